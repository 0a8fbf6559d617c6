"""aistack content: publications (scheduled, published by the periodic sweep, or cancelled)

Revision ID: d0fd01b29c8c
Revises: c9ecf0a18b7b
Create Date: 2026-12-07 05:30:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'd0fd01b29c8c'
down_revision = 'c9ecf0a18b7b'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table(
        'aistack_content_publication',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('images', JSON, nullable=False),
        sa.Column('app_id', sa.Uuid(), nullable=True),
        sa.Column('webhook_url', sa.String(length=2048), nullable=True),
        sa.Column('thumb_media_id', sa.String(length=128), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('scheduled_time', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=False),
        sa.Column('engagement', JSON, nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'], ['account.id'], name='fk_aistack_content_publication_account_id_account', ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['app_id'], ['app.id'], name='fk_aistack_content_publication_app_id_app', ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_content_publication'),
    )
    with op.batch_alter_table('aistack_content_publication', schema=None) as batch_op:
        batch_op.create_index('ix_aistack_content_publication_account_id', ['account_id'], unique=False)
        batch_op.create_index('ix_aistack_content_publication_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_aistack_content_publication_due', ['status', 'scheduled_time'], unique=False)


def downgrade():
    with op.batch_alter_table('aistack_content_publication', schema=None) as batch_op:
        batch_op.drop_index('ix_aistack_content_publication_due')
        batch_op.drop_index('ix_aistack_content_publication_created_at')
        batch_op.drop_index('ix_aistack_content_publication_account_id')
    op.drop_table('aistack_content_publication')
