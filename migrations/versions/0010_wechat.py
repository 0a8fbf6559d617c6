"""WeChat official accounts: wechat_config (sealed credentials) and wechat_end_user (openid → end user, latest question)

Revision ID: c5e1a9d47b20
Revises: 5c1e7a9d2f30
Create Date: 2026-12-06 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c5e1a9d47b20'
down_revision = '5c1e7a9d2f30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'wechat_config',
        sa.Column('app_id', sa.Uuid(), nullable=False),
        sa.Column('wechat_app_id', sa.String(length=64), nullable=False),
        sa.Column('wechat_app_secret_sealed', sa.Text(), nullable=False),
        sa.Column('wechat_token', sa.String(length=255), nullable=False),
        sa.Column('wechat_encoding_aes_key_sealed', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['app.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id'),
    )
    op.create_table(
        'wechat_end_user',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('app_id', sa.Uuid(), nullable=False),
        sa.Column('openid', sa.String(length=128), nullable=False),
        sa.Column('end_user_id', sa.Uuid(), nullable=False),
        sa.Column('conversation_id', sa.Uuid(), nullable=True),
        sa.Column('latest_msg_key', sa.String(length=160), nullable=False),
        sa.Column('latest_status', sa.String(length=16), nullable=False),
        sa.Column('latest_answer', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['app.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('app_id', 'openid'),
    )


def downgrade():
    op.drop_table('wechat_end_user')
    op.drop_table('wechat_config')
