"""Full-text retrieval: the `segment_term` inverted index and BM25 ranking in SQL.

Writes join the caller's transaction and keep `document_term` (per document and term: postings
and the sum of their segments' lengths) in step, so a search finds BM25's corpus statistics in a
few rows per document instead of counting postings. A search reads the postings of the query's
terms from one covering index and skips unsearchable segments (a segment or document that is
disabled or not completed). Very common terms are scored only for the best candidates
(MaxScore), which keeps a query's cost near the size of its rarer terms' postings without
changing the ranking.
"""

import math
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from injector import inject
from sqlalchemy import Float, and_, bindparam, case, cast, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import Uuid

from internal.core.text_processing.keywords import search_terms, weighted_query_terms
from internal.extension.database import SQLAlchemy
from internal.model import Document, DocumentTerm, Segment, SegmentTerm
from internal.model.dataset import UNSEARCHABLE

# BM25 parameters: term-frequency saturation and length normalisation.
K1 = 1.2
B = 0.75
# The row of each segment that carries its length; search_terms never yields an empty term.
LENGTH_TERM = ""
# Postings scored in SQL for every candidate; rarer terms are taken first until this is reached.
POSTING_BUDGET = 20_000
# Longer id lists go to the database as a subquery rather than as bound parameters.
MAX_LISTED_IDS = 500
# Parenthesised: a bare OR inside a longer WHERE would bind to its neighbours.
_UNSEARCHABLE = f"({UNSEARCHABLE})"
_WRITE_CHUNK = 5_000
_DELETE_CHUNK = 500


@dataclass(frozen=True)
class _Scope:
    """The datasets searched (only these documents of them, if given) and what in them must not
    be returned."""

    dataset_ids: list[uuid.UUID]
    excluded_document_ids: list[uuid.UUID]
    excluded_segment_ids: list[uuid.UUID]
    document_ids: list[uuid.UUID] | None = None

    def postings(self) -> list:
        """Conditions on `segment_term` rows of the searched datasets and documents."""
        conditions = [SegmentTerm.dataset_id.in_(self.dataset_ids)]
        if self.document_ids is not None:
            conditions.append(SegmentTerm.document_id.in_(self.document_ids))
        return conditions


@dataclass(frozen=True)
class _Corpus:
    """BM25 statistics over the searchable segments of the scope."""

    segment_count: int
    average_length: float
    document_frequency: dict[str, int]


@inject
@dataclass
class KeywordIndex:
    db: SQLAlchemy

    # --- writing (the caller's session; the caller commits) -------------------------------------

    def add_segments(self, segments: Iterable[Segment]) -> None:
        """Index the segments' current content; indexing a segment again replaces its terms."""
        rows, segment_ids = [], []
        for segment in segments:
            segment_ids.append(segment.id)
            rows.extend(term_rows(segment.id, segment.dataset_id, segment.document_id, segment.content))
        if not segment_ids:
            return
        self.remove_segments(segment_ids)
        for start in range(0, len(rows), _WRITE_CHUNK):
            self.db.session.execute(insert(SegmentTerm), rows[start : start + _WRITE_CHUNK])
        self._add_statistics(
            _statistics((row["document_id"], row["term"], row["dataset_id"], row["segment_length"]) for row in rows)
        )

    def remove_segments(self, segment_ids: Iterable[uuid.UUID]) -> None:
        ids = list(segment_ids)
        for start in range(0, len(ids), _DELETE_CHUNK):
            # What this transaction deleted, not what it saw: of two transactions removing the
            # same segment, the second deletes (and subtracts) nothing.
            removed = self.db.session.execute(
                delete(SegmentTerm)
                .where(SegmentTerm.segment_id.in_(ids[start : start + _DELETE_CHUNK]))
                .returning(SegmentTerm.document_id, SegmentTerm.term, SegmentTerm.dataset_id, SegmentTerm.segment_length)
                .execution_options(synchronize_session=False)
            ).all()
            if not removed:
                continue
            self._add_statistics(_statistics(removed, sign=-1))
            documents = {document_id for document_id, *_ in removed}
            self._delete(DocumentTerm, DocumentTerm.document_id.in_(documents), DocumentTerm.postings <= 0)

    def remove_document(self, document_id: uuid.UUID) -> None:
        self._delete(SegmentTerm, SegmentTerm.document_id == document_id)
        self._delete(DocumentTerm, DocumentTerm.document_id == document_id)

    def remove_dataset(self, dataset_id: uuid.UUID) -> None:
        self._delete(SegmentTerm, SegmentTerm.dataset_id == dataset_id)
        self._delete(DocumentTerm, DocumentTerm.dataset_id == dataset_id)

    def _delete(self, model: type[SegmentTerm] | type[DocumentTerm], *conditions) -> None:
        self.db.session.execute(delete(model).where(*conditions).execution_options(synchronize_session=False))

    def _add_statistics(self, changes: dict[tuple[uuid.UUID, str], list]) -> None:
        """Adds (document, term) → [dataset, postings, length] to the statistics; rows are written
        in key order, so concurrent writers lock shared rows in the same order."""
        dialect = postgresql if self.db.engine.dialect.name == "postgresql" else sqlite
        table = DocumentTerm.__table__
        upsert = dialect.insert(table)
        upsert = upsert.on_conflict_do_update(
            index_elements=[table.c.document_id, table.c.term],
            set_={
                "postings": table.c.postings + upsert.excluded.postings,
                "total_length": table.c.total_length + upsert.excluded.total_length,
            },
        )
        rows = [
            {"document_id": document, "term": term, "dataset_id": dataset, "postings": postings, "total_length": length}
            for (document, term), (dataset, postings, length) in sorted(changes.items(), key=lambda item: (str(item[0][0]), item[0][1]))
        ]
        for start in range(0, len(rows), _WRITE_CHUNK):
            self.db.session.execute(upsert, rows[start : start + _WRITE_CHUNK])

    # --- searching --------------------------------------------------------------------------------

    def search(
        self,
        dataset_ids: Sequence[uuid.UUID],
        query: str,
        k: int,
        document_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[tuple[uuid.UUID, float]]:
        """The `k` best searchable segments of the datasets for the query, best first, with BM25
        scores; with `document_ids`, only segments of those documents (the corpus statistics
        too: the search is over that sub-collection)."""
        query_terms = {term: weight for term, weight in weighted_query_terms(query).items() if term}
        if k <= 0 or not dataset_ids or not query_terms or (document_ids is not None and not document_ids):
            return []
        scope = self._scope(list(dict.fromkeys(dataset_ids)))
        if document_ids is not None:
            scope = replace(scope, document_ids=list(dict.fromkeys(document_ids)))
        corpus = self._corpus(scope, list(query_terms))
        if corpus.segment_count == 0:
            return []
        # A term's greatest possible contribution to a score: idf * (k1 + 1), times its weight in
        # the query (its repeats, or less for an equivalent the query was expanded with).
        ceilings = {
            term: weight * _idf(corpus.segment_count, corpus.document_frequency[term]) * (K1 + 1)
            for term, weight in query_terms.items()
            if corpus.document_frequency.get(term, 0) > 0
        }
        if not ceilings:
            return []
        return _MaxScore(self, scope, corpus, ceilings).top(k)

    def _scope(self, dataset_ids: list[uuid.UUID]) -> _Scope:
        session = self.db.session
        documents = session.scalars(_unsearchable_documents(dataset_ids)).all()
        segments = session.scalars(self._unsearchable_segments(dataset_ids)).all()
        return _Scope(dataset_ids, list(documents), list(segments))

    def _unsearchable_segments(self, dataset_ids: list[uuid.UUID]):
        """Unsearchable segments of searchable documents (the others go with their document)."""
        # SQLite's planner does not pick a partial index without statistics, so it is named.
        hint = " INDEXED BY ix_segment_unsearchable" if self.db.engine.dialect.name == "sqlite" else ""
        sql = (
            f"SELECT id FROM segment{hint} WHERE dataset_id IN :dataset_ids AND {_UNSEARCHABLE}"
            f" AND document_id NOT IN (SELECT id FROM document WHERE dataset_id IN :dataset_ids AND {_UNSEARCHABLE})"
        )
        return (
            text(sql)
            .bindparams(bindparam("dataset_ids", dataset_ids, expanding=True, type_=Uuid()))
            .columns(id=Uuid())
        )

    def _excluded_documents(self, scope: _Scope):
        """The excluded documents as ids, or for many of them as the query that finds them."""
        if len(scope.excluded_document_ids) <= MAX_LISTED_IDS:
            return scope.excluded_document_ids
        return _unsearchable_documents(scope.dataset_ids)

    def _excluded_segments(self, scope: _Scope):
        if len(scope.excluded_segment_ids) <= MAX_LISTED_IDS:
            return scope.excluded_segment_ids
        found = self._unsearchable_segments(scope.dataset_ids).subquery()
        return select(found.c.id)

    def _corpus(self, scope: _Scope, terms: list[str]) -> _Corpus:
        """Segment count, average length and document frequencies, over searchable segments only:
        the statistics of the searchable documents minus what their excluded segments hold."""
        looked_up = [LENGTH_TERM, *terms]
        conditions = [DocumentTerm.dataset_id.in_(scope.dataset_ids), DocumentTerm.term.in_(looked_up)]
        if scope.document_ids is not None:
            conditions.append(DocumentTerm.document_id.in_(scope.document_ids))
        if scope.excluded_document_ids:
            conditions.append(DocumentTerm.document_id.not_in(self._excluded_documents(scope)))
        rows = self.db.session.execute(
            select(DocumentTerm.term, func.sum(DocumentTerm.postings), func.sum(DocumentTerm.total_length))
            .where(*conditions)
            .group_by(DocumentTerm.term)
        )
        totals = {term: (int(count), int(length)) for term, count, length in rows}
        if scope.excluded_segment_ids:
            excluded = self._term_totals(
                and_(
                    SegmentTerm.segment_id.in_(self._excluded_segments(scope)),
                    *scope.postings()[1:],  # excluded segments lie inside the datasets already
                    SegmentTerm.term.in_(looked_up),
                )
            )
            for term, (count, length) in excluded.items():
                total_count, total_length = totals.get(term, (0, 0))
                totals[term] = (total_count - count, total_length - length)
        segment_count, total_length = totals.pop(LENGTH_TERM, (0, 0))
        average = total_length / segment_count if segment_count else 0.0
        return _Corpus(segment_count, max(average, 1.0), {term: count for term, (count, _) in totals.items()})

    def _term_totals(self, condition) -> dict[str, tuple[int, int]]:
        """Per term: its postings and the sum of their segments' lengths."""
        rows = self.db.session.execute(
            select(SegmentTerm.term, func.count(), func.coalesce(func.sum(SegmentTerm.segment_length), 0))
            .where(condition)
            .group_by(SegmentTerm.term)
        )
        return {term: (int(count), int(length)) for term, count, length in rows}

    def _excluded(self, scope: _Scope) -> list:
        """Conditions that keep unsearchable segments out of the postings."""
        conditions = []
        if scope.excluded_document_ids:
            conditions.append(SegmentTerm.document_id.not_in(self._excluded_documents(scope)))
        if scope.excluded_segment_ids:
            conditions.append(SegmentTerm.segment_id.not_in(self._excluded_segments(scope)))
        return conditions

    def _partial_scores(
        self, scope: _Scope, corpus: _Corpus, ceilings: dict[str, float], limit: int
    ) -> list[tuple[uuid.UUID, float]]:
        """The `limit` best segments by the BM25 of the given terms only, best first."""
        frequency = cast(SegmentTerm.frequency, Float)
        norm_base, norm_per_length = _length_norm(corpus)
        contribution = case(ceilings, value=SegmentTerm.term) * frequency / (
            frequency + norm_base + norm_per_length * SegmentTerm.segment_length
        )
        score = func.sum(contribution).label("score")
        rows = self.db.session.execute(
            select(SegmentTerm.segment_id, score)
            .where(
                *scope.postings(),
                SegmentTerm.term.in_(list(ceilings)),
                *self._excluded(scope),
            )
            .group_by(SegmentTerm.segment_id)
            .order_by(score.desc(), SegmentTerm.segment_id)
            .limit(limit)
        )
        return [(segment_id, float(value)) for segment_id, value in rows]

    def _exact_contributions(
        self, segment_ids: list[uuid.UUID], corpus: _Corpus, ceilings: dict[str, float]
    ) -> dict[uuid.UUID, float]:
        """What the given terms add to each segment's score (segments without them add nothing)."""
        norm_base, norm_per_length = _length_norm(corpus)
        added: dict[uuid.UUID, float] = {}
        for start in range(0, len(segment_ids), _DELETE_CHUNK):
            rows = self.db.session.execute(
                select(SegmentTerm.segment_id, SegmentTerm.term, SegmentTerm.frequency, SegmentTerm.segment_length).where(
                    SegmentTerm.segment_id.in_(segment_ids[start : start + _DELETE_CHUNK]),
                    SegmentTerm.term.in_(list(ceilings)),
                )
            )
            for segment_id, term, frequency, length in rows:
                value = ceilings[term] * frequency / (frequency + norm_base + norm_per_length * length)
                added[segment_id] = added.get(segment_id, 0.0) + value
        return added


def term_rows(segment_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID, content: str) -> list[dict]:
    """The `segment_term` rows of a segment's content: its length row and one row per term."""
    counts = Counter(term for term in search_terms(content) if term)
    length = sum(counts.values())
    common = {"segment_id": segment_id, "dataset_id": dataset_id, "document_id": document_id}
    rows = [{**common, "term": LENGTH_TERM, "frequency": 0, "segment_length": length}]
    rows.extend({**common, "term": term, "frequency": n, "segment_length": length} for term, n in counts.items())
    return rows


def _statistics(postings: Iterable[tuple], sign: int = 1) -> dict[tuple[uuid.UUID, str], list]:
    """(document, term) → [dataset, postings, total length] of (document, term, dataset, length)
    postings, negated with sign=-1 (for postings removed)."""
    totals: dict[tuple[uuid.UUID, str], list] = {}
    for document_id, term, dataset_id, length in postings:
        row = totals.setdefault((document_id, term), [dataset_id, 0, 0])
        row[1] += sign
        row[2] += sign * length
    return totals


def _unsearchable_documents(dataset_ids: list[uuid.UUID]):
    return select(Document.id).where(Document.dataset_id.in_(dataset_ids), text(_UNSEARCHABLE))


def _idf(segment_count: int, document_frequency: int) -> float:
    """BM25's idf in Lucene's form, always positive."""
    return math.log(1 + (segment_count - document_frequency + 0.5) / (document_frequency + 0.5))


def _length_norm(corpus: _Corpus) -> tuple[float, float]:
    """k1 * (1 - b + b * length / avgdl) as base + per_length * length."""
    return K1 * (1 - B), K1 * B / corpus.average_length


class _MaxScore:
    """Exact top-k: score candidates on the rarer ("essential") terms in SQL, add the common
    terms' exact contributions for the best of them, and stop once nothing unseen can win.

    At most three passes: the rarer terms; then, if an unseen segment could still win, with the
    weightiest common terms made essential and a deeper candidate list; then, if still needed,
    every term scored in SQL (exact by construction). Each pass aggregates its terms' postings
    once, so a query's worst case is about the cost of all its postings, never a multiple."""

    def __init__(self, index: KeywordIndex, scope: _Scope, corpus: _Corpus, ceilings: dict[str, float]):
        self.index = index
        self.scope = scope
        self.corpus = corpus
        self.ceilings = ceilings

    def top(self, k: int) -> list[tuple[uuid.UUID, float]]:
        by_rarity = sorted(self.ceilings, key=lambda term: (self.corpus.document_frequency[term], term))
        essential, common = [], []
        postings = 0
        for term in by_rarity:
            postings += self.corpus.document_frequency[term]
            (essential if not essential or postings <= POSTING_BUDGET else common).append(term)
        limit = max(4 * k, 40)
        ranked, threshold, settled = self._rank(k, essential, common, limit)
        if settled:
            return ranked
        # Make essential the common terms that weigh most (the rarer first among equals) until
        # those left could not lift a segment holding only them past the threshold found.
        common.sort(key=lambda term: (self.ceilings[term], -self.corpus.document_frequency[term], term))
        while common and sum(self.ceilings[term] for term in common) > threshold:
            essential.append(common.pop())
        ranked, threshold, settled = self._rank(k, essential, common, 4 * limit)
        if settled:
            return ranked
        return self._rank(k, essential + common, [], k)[0]

    def _rank(
        self, k: int, essential: list[str], common: list[str], limit: int
    ) -> tuple[list[tuple[uuid.UUID, float]], float, bool]:
        """The top k among the `limit` best segments by their essential terms, the k-th score
        (-inf if fewer), and whether no unseen segment can beat it."""
        essential_ceilings = {term: self.ceilings[term] for term in essential}
        common_ceilings = {term: self.ceilings[term] for term in common}
        common_ceiling = sum(common_ceilings.values())
        partial = self.index._partial_scores(self.scope, self.corpus, essential_ceilings, limit)
        added = self.index._exact_contributions([sid for sid, _ in partial], self.corpus, common_ceilings) if common else {}
        full = sorted(((sid, score + added.get(sid, 0.0)) for sid, score in partial), key=lambda item: (-item[1], str(item[0])))
        ranked = full[:k]
        threshold = ranked[-1][1] if len(ranked) == k else -math.inf
        # Unseen: a segment past the limit scores at most the last partial score plus every
        # common term; a segment holding only common terms, at most their sum.
        beyond_limit = partial[-1][1] + common_ceiling if len(partial) == limit else -math.inf
        only_common = common_ceiling if common else -math.inf
        return ranked, threshold, threshold >= max(beyond_limit, only_common)
