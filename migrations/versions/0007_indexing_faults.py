"""indexing faults: document.build_attempts (interrupted builds are retried a bounded number of times), index_cleanup (deletions whose vectors are still to be removed)

Revision ID: b7d1f3a9c2e4
Revises: 3b7d2e91c4a6
Create Date: 2026-12-06 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'b7d1f3a9c2e4'
down_revision = '3b7d2e91c4a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('build_attempts', sa.Integer(), server_default='0', nullable=False))
    op.create_table('index_cleanup',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('dataset_id', sa.Uuid(), nullable=False),
    sa.Column('document_ids', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column('whole_dataset', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('index_cleanup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_cleanup_updated_at'), ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('index_cleanup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_cleanup_updated_at'))
    op.drop_table('index_cleanup')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('build_attempts')
