"""analysis index: an app's messages by time, covering every column the analysis page sums

Revision ID: f6b2d8e4a1c7
Revises: e4a7c2d9f1b3
Create Date: 2026-12-07 02:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f6b2d8e4a1c7'
down_revision = 'e4a7c2d9f1b3'
branch_labels = None
depends_on = None

COLUMNS = ['app_id', 'created_at', 'created_by', 'conversation_id', 'answer_token_count', 'latency', 'total_price']


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_analysis', COLUMNS, unique=False)


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_analysis')
