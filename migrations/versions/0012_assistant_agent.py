"""Assistant agent: account.assistant_agent_conversation_id; conversations, messages and their
steps may belong to no app (the assistant runs on a configuration of its own)

Revision ID: e4a7c2d9f1b3
Revises: d3f8a1c6b2e0
Create Date: 2026-12-07 02:30:00.000000

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e4a7c2d9f1b3'
down_revision = 'd3f8a1c6b2e0'
branch_labels = None
depends_on = None

APP_OWNED = ('conversation', 'message', 'message_agent_thought')


@contextmanager
def _foreign_keys_off_on_sqlite():
    """SQLite changes a column by copying its table and dropping the old one, and with foreign
    keys on, DROP TABLE deletes every row first and cascades that to the tables referring to
    it (messages of conversations, everything of an account). The pragma only takes effect
    outside a transaction, so the one the driver opened implicitly is committed first."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    driver_connection = bind.connection.dbapi_connection
    driver_connection.commit()
    driver_connection.execute('PRAGMA foreign_keys=OFF')
    try:
        yield
    finally:
        driver_connection.commit()
        driver_connection.execute('PRAGMA foreign_keys=ON')


def upgrade():
    with _foreign_keys_off_on_sqlite():
        with op.batch_alter_table('account', schema=None) as batch_op:
            batch_op.add_column(sa.Column('assistant_agent_conversation_id', sa.Uuid(), nullable=True))
        for table in APP_OWNED:
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.alter_column('app_id', existing_type=sa.Uuid(), nullable=True)


def downgrade():
    # Rows of no app (the assistant's) cannot satisfy NOT NULL again.
    op.execute(sa.text('DELETE FROM message_agent_thought WHERE app_id IS NULL'))
    op.execute(sa.text('DELETE FROM message WHERE app_id IS NULL'))
    op.execute(sa.text('DELETE FROM conversation WHERE app_id IS NULL'))
    with _foreign_keys_off_on_sqlite():
        for table in reversed(APP_OWNED):
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.alter_column('app_id', existing_type=sa.Uuid(), nullable=False)
        with op.batch_alter_table('account', schema=None) as batch_op:
            batch_op.drop_column('assistant_agent_conversation_id')
