"""AI Stack chat center reminders: aistack_chat_reminder (firing, showing, webhook delivery) and
aistack_chat_reminder_webhook (an account's webhook, sealed secret)

Revision ID: f6a9bcd75e48
Revises: e5a8cbd64f37
Create Date: 2026-12-07 04:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f6a9bcd75e48'
down_revision = 'e5a8cbd64f37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'aistack_chat_reminder',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('remind_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('session_id', sa.String(length=255), nullable=True),
        sa.Column('webhook_url', sa.String(length=2048), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('shown_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivery_status', sa.String(length=16), nullable=False),
        sa.Column('delivery_attempts', sa.Integer(), nullable=False),
        sa.Column('delivery_last_error', sa.Text(), nullable=False),
        sa.Column('next_delivery_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'], ['account.id'], name='fk_aistack_chat_reminder_account_id_account', ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_chat_reminder'),
    )
    with op.batch_alter_table('aistack_chat_reminder', schema=None) as batch_op:
        batch_op.create_index('ix_aistack_chat_reminder_account_id', ['account_id'], unique=False)
        batch_op.create_index('ix_aistack_chat_reminder_due', ['status', 'remind_at'], unique=False)
        batch_op.create_index('ix_aistack_chat_reminder_delivery', ['delivery_status', 'next_delivery_at'], unique=False)
        batch_op.create_index('ix_aistack_chat_reminder_unshown', ['account_id', 'status', 'shown_at'], unique=False)

    op.create_table(
        'aistack_chat_reminder_webhook',
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('url', sa.String(length=2048), nullable=False),
        sa.Column('secret_sealed', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'], ['account.id'], name='fk_aistack_chat_reminder_webhook_account_id_account', ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('account_id', name='pk_aistack_chat_reminder_webhook'),
    )


def downgrade():
    op.drop_table('aistack_chat_reminder_webhook')
    with op.batch_alter_table('aistack_chat_reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_aistack_chat_reminder_unshown')
        batch_op.drop_index('ix_aistack_chat_reminder_delivery')
        batch_op.drop_index('ix_aistack_chat_reminder_due')
        batch_op.drop_index('ix_aistack_chat_reminder_account_id')
    op.drop_table('aistack_chat_reminder')
