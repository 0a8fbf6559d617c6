"""document.build_attempts: builds started per document, so interrupted builds are retried a bounded number of times

Revision ID: b7d1f3a9c2e4
Revises: 8e686657f8de
Create Date: 2026-12-06 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b7d1f3a9c2e4'
down_revision = '8e686657f8de'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('build_attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('build_attempts')
