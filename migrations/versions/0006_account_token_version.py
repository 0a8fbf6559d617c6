"""account.token_version: access tokens carry it; changing the password moves it on

Revision ID: 3b7d2e91c4a6
Revises: 8e686657f8de
Create Date: 2026-12-06 22:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '3b7d2e91c4a6'
down_revision = '8e686657f8de'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('token_version')
