"""end users: callers of a published app who are not accounts; conversations and messages of end users

Revision ID: 5c1e7a9d2f30
Revises: 3b7d2e91c4a6
Create Date: 2026-12-06 23:05:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5c1e7a9d2f30'
down_revision = '3b7d2e91c4a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('end_user',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('app_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_end_user_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['app_id'], ['app.id'], name=op.f('fk_end_user_app_id_app'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_end_user'))
    )
    with op.batch_alter_table('end_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_end_user_app_id'), ['app_id'], unique=False)

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_user_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversation_end_user_id'), ['end_user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_conversation_end_user_id_end_user'), 'end_user', ['end_user_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_user_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_message_end_user_id_end_user'), 'end_user', ['end_user_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_end_user_id_end_user'), type_='foreignkey')
        batch_op.drop_column('end_user_id')

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_conversation_end_user_id_end_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_conversation_end_user_id'))
        batch_op.drop_column('end_user_id')

    with op.batch_alter_table('end_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_end_user_app_id'))

    op.drop_table('end_user')
