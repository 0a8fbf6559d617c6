"""AI Stack RAG knowledge graph: builds, entities, relationships and the segments they came from

Revision ID: d4f7bac53e26
Revises: c3e6a9b42d15
Create Date: 2026-12-07 04:50:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'd4f7bac53e26'
down_revision = 'c3e6a9b42d15'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def _times(*names):
    return [sa.Column(name, sa.DateTime(timezone=True), nullable=False) for name in names]


def upgrade():
    op.create_table(
        'aistack_rag_graph_build',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('document_ids', JSON, nullable=False),
        sa.Column('extract_entities', sa.Boolean(), nullable=False),
        sa.Column('extract_relationships', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total_chunks', sa.Integer(), nullable=False),
        sa.Column('processed_chunks', sa.Integer(), nullable=False),
        sa.Column('entities_count', sa.Integer(), nullable=False),
        sa.Column('relationships_count', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        *_times('updated_at', 'created_at'),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_aistack_rag_graph_build_account_id', 'aistack_rag_graph_build', ['account_id'])

    op.create_table(
        'aistack_rag_graph_entity',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('normalized_name', sa.String(length=255), nullable=False),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        *_times('updated_at', 'created_at'),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'normalized_name', 'type'),
    )
    op.create_index('ix_aistack_rag_graph_entity_account_id', 'aistack_rag_graph_entity', ['account_id'])

    op.create_table(
        'aistack_rag_graph_relationship',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('source_id', sa.Uuid(), nullable=False),
        sa.Column('target_id', sa.Uuid(), nullable=False),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        *_times('updated_at', 'created_at'),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['source_id'], ['aistack_rag_graph_entity.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['target_id'], ['aistack_rag_graph_entity.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'source_id', 'target_id', 'type'),
    )
    for column in ('account_id', 'source_id', 'target_id'):
        op.create_index(f'ix_aistack_rag_graph_relationship_{column}', 'aistack_rag_graph_relationship', [column])

    op.create_table(
        'aistack_rag_graph_mention',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('document_id', sa.Uuid(), nullable=False),
        sa.Column('segment_id', sa.Uuid(), nullable=False),
        sa.Column('entity_id', sa.Uuid(), nullable=True),
        sa.Column('relationship_id', sa.Uuid(), nullable=True),
        *_times('created_at'),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['entity_id'], ['aistack_rag_graph_entity.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['relationship_id'], ['aistack_rag_graph_relationship.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_aistack_rag_graph_mention_account_document', 'aistack_rag_graph_mention', ['account_id', 'document_id']
    )
    op.create_index('ix_aistack_rag_graph_mention_entity_id', 'aistack_rag_graph_mention', ['entity_id'])
    op.create_index('ix_aistack_rag_graph_mention_relationship_id', 'aistack_rag_graph_mention', ['relationship_id'])


def downgrade():
    op.drop_table('aistack_rag_graph_mention')
    op.drop_table('aistack_rag_graph_relationship')
    op.drop_table('aistack_rag_graph_entity')
    op.drop_table('aistack_rag_graph_build')
