"""api_key: the key kept as an HMAC lookup hash and encrypted (no plaintext column), last_used_at

Existing keys are hashed and encrypted with the running application's DATA_SECRET_KEY, so
they keep working; the downgrade decrypts them back into the plaintext column.

Revision ID: 9a41c7e2d5b8
Revises: b7d1f3a9c2e4
Create Date: 2026-12-06 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

from pkg.secret_box import SecretBox, keyed_digest

# revision identifiers, used by Alembic.
revision = '9a41c7e2d5b8'
down_revision = 'b7d1f3a9c2e4'
branch_labels = None
depends_on = None

_api_key = sa.table(
    'api_key',
    sa.column('id', sa.Uuid()),
    sa.column('api_key', sa.String(255)),
    sa.column('key_hash', sa.String(64)),
    sa.column('encrypted_key', sa.String(255)),
)


def _secrets() -> tuple[bytes, SecretBox]:
    """The application's own keys (the ones it will look keys up and decrypt them with)."""
    from config import Settings

    settings = current_app.extensions['injector'].get(Settings)
    return settings.api_key_hash_key, SecretBox(settings.secret_box_key)


def upgrade():
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('encrypted_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(sa.select(_api_key.c.id, _api_key.c.api_key)).all()
    if rows:
        hash_key, box = _secrets()
        for row in rows:
            connection.execute(
                _api_key.update()
                .where(_api_key.c.id == row.id)
                .values(key_hash=keyed_digest(hash_key, row.api_key), encrypted_key=box.encrypt(row.api_key))
            )

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.alter_column('key_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('encrypted_key', existing_type=sa.String(length=255), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_api_key_key_hash'), ['key_hash'])
        batch_op.drop_constraint(batch_op.f('uq_api_key_api_key'), type_='unique')
        batch_op.drop_column('api_key')


def downgrade():
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_key', sa.String(length=255), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(sa.select(_api_key.c.id, _api_key.c.encrypted_key)).all()
    if rows:
        _, box = _secrets()
        for row in rows:
            connection.execute(
                _api_key.update().where(_api_key.c.id == row.id).values(api_key=box.decrypt(row.encrypted_key))
            )

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.alter_column('api_key', existing_type=sa.String(length=255), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_api_key_api_key'), ['api_key'])
        batch_op.drop_constraint(batch_op.f('uq_api_key_key_hash'), type_='unique')
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('encrypted_key')
        batch_op.drop_column('key_hash')
