"""AI Stack OAuth2 authorization server: aistack_oauth2_client (secret kept hashed),
aistack_oauth2_code (single use) and aistack_oauth2_token (access and refresh tokens kept hashed)

Revision ID: b2d5f8a31c04
Revises: a1c4e7f20b93
Create Date: 2026-12-07 04:28:50.842522

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'b2d5f8a31c04'
down_revision = 'a1c4e7f20b93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('aistack_oauth2_client',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=True),
    sa.Column('client_name', sa.String(length=255), nullable=False),
    sa.Column('redirect_uris', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column('scope', sa.String(length=255), nullable=False),
    sa.Column('token_endpoint_auth_method', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_oauth2_client_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_oauth2_client')),
    sa.UniqueConstraint('client_id', name=op.f('uq_aistack_oauth2_client_client_id'))
    )
    with op.batch_alter_table('aistack_oauth2_client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aistack_oauth2_client_account_id'), ['account_id'], unique=False)

    op.create_table('aistack_oauth2_code',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('oauth2_client_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2000), nullable=False),
    sa.Column('scope', sa.String(length=255), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=16), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_oauth2_code_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['oauth2_client_id'], ['aistack_oauth2_client.id'], name=op.f('fk_aistack_oauth2_code_oauth2_client_id_aistack_oauth2_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_oauth2_code')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_aistack_oauth2_code_code_hash'))
    )
    with op.batch_alter_table('aistack_oauth2_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aistack_oauth2_code_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aistack_oauth2_code_oauth2_client_id'), ['oauth2_client_id'], unique=False)

    op.create_table('aistack_oauth2_token',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('oauth2_client_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('grant_id', sa.Uuid(), nullable=False),
    sa.Column('access_token_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('scope', sa.String(length=255), nullable=False),
    sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refresh_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('access_revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refresh_revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_oauth2_token_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['oauth2_client_id'], ['aistack_oauth2_client.id'], name=op.f('fk_aistack_oauth2_token_oauth2_client_id_aistack_oauth2_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_oauth2_token')),
    sa.UniqueConstraint('access_token_hash', name=op.f('uq_aistack_oauth2_token_access_token_hash')),
    sa.UniqueConstraint('refresh_token_hash', name=op.f('uq_aistack_oauth2_token_refresh_token_hash'))
    )
    with op.batch_alter_table('aistack_oauth2_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aistack_oauth2_token_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aistack_oauth2_token_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aistack_oauth2_token_oauth2_client_id'), ['oauth2_client_id'], unique=False)



def downgrade():
    with op.batch_alter_table('aistack_oauth2_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aistack_oauth2_token_oauth2_client_id'))
        batch_op.drop_index(batch_op.f('ix_aistack_oauth2_token_grant_id'))
        batch_op.drop_index(batch_op.f('ix_aistack_oauth2_token_account_id'))

    op.drop_table('aistack_oauth2_token')
    with op.batch_alter_table('aistack_oauth2_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aistack_oauth2_code_oauth2_client_id'))
        batch_op.drop_index(batch_op.f('ix_aistack_oauth2_code_account_id'))

    op.drop_table('aistack_oauth2_code')
    with op.batch_alter_table('aistack_oauth2_client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aistack_oauth2_client_account_id'))

    op.drop_table('aistack_oauth2_client')
