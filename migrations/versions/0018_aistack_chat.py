"""AI Stack chat center: chat sessions (client session id → conversation, saved context) and each
account's default chat app

Revision ID: e5a8cbd64f37
Revises: d4f7bac53e26
Create Date: 2026-12-07 04:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'e5a8cbd64f37'
down_revision = 'd4f7bac53e26'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'aistack_chat_session',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('session_id', sa.String(length=128), nullable=False),
        sa.Column('app_id', sa.Uuid(), nullable=True),
        sa.Column('conversation_id', sa.Uuid(), nullable=True),
        sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_chat_session_account_id_account'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['app_id'], ['app.id'], name=op.f('fk_aistack_chat_session_app_id_app'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_aistack_chat_session_conversation_id_conversation'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_chat_session')),
        sa.UniqueConstraint('account_id', 'session_id', name=op.f('uq_aistack_chat_session_account_id_session_id')),
    )
    with op.batch_alter_table('aistack_chat_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aistack_chat_session_account_id'), ['account_id'], unique=False)

    op.create_table(
        'aistack_chat_default_app',
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('app_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_chat_default_app_account_id_account'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['app_id'], ['app.id'], name=op.f('fk_aistack_chat_default_app_app_id_app'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_aistack_chat_default_app')),
    )


def downgrade():
    op.drop_table('aistack_chat_default_app')
    with op.batch_alter_table('aistack_chat_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aistack_chat_session_account_id'))
    op.drop_table('aistack_chat_session')
