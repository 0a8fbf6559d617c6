"""keyword index statistics: document_term holds, per document and search term, its postings and
the sum of their segments' lengths, so a search reads BM25's corpus statistics from a few rows per
document instead of counting every posting of the query's terms; filled from segment_term

Revision ID: c5e256a7b1b3
Revises: b4d145f6a0a2
Create Date: 2026-12-07 09:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5e256a7b1b3'
down_revision = 'b4d145f6a0a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'document_term',
        sa.Column('document_id', sa.Uuid(), nullable=False),
        sa.Column('term', sa.String(length=64), nullable=False),
        sa.Column('dataset_id', sa.Uuid(), nullable=False),
        sa.Column('postings', sa.Integer(), nullable=False),
        sa.Column('total_length', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], name=op.f('fk_document_term_dataset_id_dataset'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_term_document_id_document'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id', 'term', name=op.f('pk_document_term')),
    )
    op.create_index(
        'ix_document_term_dataset', 'document_term', ['dataset_id', 'term', 'document_id', 'postings', 'total_length'], unique=False
    )
    op.execute(
        "INSERT INTO document_term (document_id, term, dataset_id, postings, total_length)"
        " SELECT document_id, term, dataset_id, count(*), sum(segment_length) FROM segment_term"
        " GROUP BY document_id, term, dataset_id"
    )


def downgrade():
    op.drop_index('ix_document_term_dataset', table_name='document_term')
    op.drop_table('document_term')
