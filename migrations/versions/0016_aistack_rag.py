"""AI Stack RAG: each account's RAG knowledge base, and the title, category and tags of RAG documents

Revision ID: c3e6a9b42d15
Revises: b2d5f8a31c04
Create Date: 2026-12-07 04:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'c3e6a9b42d15'
down_revision = 'b2d5f8a31c04'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'aistack_rag_dataset',
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('dataset_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_rag_dataset_account_id_account'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], name=op.f('fk_aistack_rag_dataset_dataset_id_dataset'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_aistack_rag_dataset')),
        sa.UniqueConstraint('dataset_id', name=op.f('uq_aistack_rag_dataset_dataset_id')),
    )
    op.create_table(
        'aistack_rag_document',
        sa.Column('document_id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('category', sa.String(length=100), nullable=False),
        sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_rag_document_account_id_account'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_aistack_rag_document_document_id_document'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id', name=op.f('pk_aistack_rag_document')),
    )
    with op.batch_alter_table('aistack_rag_document', schema=None) as batch_op:
        batch_op.create_index('ix_aistack_rag_document_account_id_category', ['account_id', 'category'], unique=False)
        batch_op.create_index('ix_aistack_rag_document_account_id_created_at', ['account_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('aistack_rag_document', schema=None) as batch_op:
        batch_op.drop_index('ix_aistack_rag_document_account_id_created_at')
        batch_op.drop_index('ix_aistack_rag_document_account_id_category')
    op.drop_table('aistack_rag_document')
    op.drop_table('aistack_rag_dataset')
