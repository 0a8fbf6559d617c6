"""keyword index rebuilt: full-text search terms now include single Han characters

Search terms changed (internal/core/text_processing/keywords.py: every Han character that is
not a stop-word is a term too), so queries would look up terms that older segments were never
indexed with. Every segment's `segment_term` rows are rebuilt with the current rule, in
batches. No schema change.

Revision ID: b4d145f6a0a2
Revises: a3c034e5cf1f
Create Date: 2026-12-07 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4d145f6a0a2'
down_revision = 'a3c034e5cf1f'
branch_labels = None
depends_on = None

BATCH = 500

_segment = sa.table(
    'segment',
    sa.column('id', sa.Uuid()),
    sa.column('dataset_id', sa.Uuid()),
    sa.column('document_id', sa.Uuid()),
    sa.column('content', sa.Text()),
)
_segment_term = sa.table(
    'segment_term',
    sa.column('segment_id', sa.Uuid()),
    sa.column('term', sa.String(64)),
    sa.column('dataset_id', sa.Uuid()),
    sa.column('document_id', sa.Uuid()),
    sa.column('frequency', sa.Integer()),
    sa.column('segment_length', sa.Integer()),
)


def upgrade():
    # The rule lives in one place; the migration applies the current one.
    from internal.core.retrieval.keyword_index import term_rows

    connection = op.get_bind()
    after = None
    while True:
        # Only segments that are indexed (they have the length row); the others are indexed when built.
        indexed = sa.exists().where(_segment_term.c.segment_id == _segment.c.id, _segment_term.c.term == '')
        query = sa.select(_segment.c.id, _segment.c.dataset_id, _segment.c.document_id, _segment.c.content).where(indexed)
        if after is not None:
            query = query.where(_segment.c.id > after)
        batch = connection.execute(query.order_by(_segment.c.id).limit(BATCH)).all()
        if not batch:
            return
        ids = [row.id for row in batch]
        connection.execute(sa.delete(_segment_term).where(_segment_term.c.segment_id.in_(ids)))
        rows = [term for row in batch for term in term_rows(row.id, row.dataset_id, row.document_id, row.content or "")]
        connection.execute(sa.insert(_segment_term), rows)
        after = ids[-1]


def downgrade():
    # The older code reads these rows correctly: its queries never look up single characters,
    # and only the stored segment lengths are a little longer than it would have written.
    pass
