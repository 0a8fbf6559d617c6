"""Retrieval on both profiles: BM25 over the keyword index, the three strategies, hit counters,
recorded queries and the agent's dataset-retrieval tool.

Knowledge bases here are written straight into the tables, the keyword index and the vector
store (with the real local embedding model), the way the indexing pipeline leaves them; the API
tests build theirs through the upload → documents pipeline.
"""

import math
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
from langchain_core.embeddings import Embeddings
from sqlalchemy import func, select

import internal.core.retrieval.keyword_index as keyword_index_module
from internal.core.retrieval.dataset_retrieval_tool import NO_RESULTS, build_dataset_retrieval_tool
from internal.core.retrieval.entities import QuerySource
from internal.core.retrieval.fusion import min_max_fusion, reciprocal_rank_fusion
from internal.core.retrieval.keyword_index import B, K1, KeywordIndex
from internal.core.text_processing.keywords import EXPANSION_WEIGHT, search_terms, weighted_query_terms
from internal.exception import NotFoundException
from internal.extension.database import db, utcnow
from internal.extension.vector_store import VectorRecord, VectorStore
from internal.model import Dataset, DatasetQuery, Document, DocumentTerm, Segment, SegmentTerm
from internal.service.account_service import AccountService
from internal.service.retrieval_service import RetrievalService

LUNYU = [
    "子曰：学而时习之，不亦说乎？有朋自远方来，不亦乐乎？人不知而不愠，不亦君子乎？",
    "子曰：温故而知新，可以为师矣。",
    "子曰：学而不思则罔，思而不学则殆。",
    "子曰：三人行，必有我师焉。择其善者而从之，其不善者而改之。",
]
DAODEJING = [
    "道可道，非常道；名可名，非常名。无名天地之始，有名万物之母。",
    "上善若水。水善利万物而不争，处众人之所恶，故几于道。",
]
ALICE = [
    "Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do.",
    "The White Rabbit took a watch out of its waistcoat-pocket, and looked at it, and then hurried on.",
    "Down, down, down. Would the fall never come to an end? Alice fell slowly down the rabbit hole.",
]
HOLMES = [
    "Sherlock Holmes took his bottle from the corner of the mantelpiece, and his hypodermic syringe from its neat case.",
    "You have been in Afghanistan, I perceive, said Holmes to Doctor Watson when they first met.",
]


@dataclass
class KnowledgeBase:
    """An account with datasets whose segments are indexed like the pipeline indexes them."""

    app: object
    account_id: uuid.UUID
    datasets: list[uuid.UUID] = field(default_factory=list)
    contents: dict[uuid.UUID, str] = field(default_factory=dict)

    def injected(self, cls):
        return self.app.extensions["injector"].get(cls)

    def dataset(self) -> uuid.UUID:
        dataset = Dataset(account_id=self.account_id, name=f"kb-{uuid.uuid4().hex[:8]}", icon="", description="")
        db.session.add(dataset)
        db.session.commit()
        self.datasets.append(dataset.id)
        return dataset.id

    def document(self, dataset_id: uuid.UUID, texts: list[str], *, vectors: bool = True, **document_fields) -> list[uuid.UUID]:
        fields = {"status": "completed", "enabled": True, **document_fields}
        document = Document(account_id=self.account_id, dataset_id=dataset_id, batch="b", name="doc.txt", **fields)
        db.session.add(document)
        db.session.flush()
        now = utcnow()
        segments = [
            Segment(
                account_id=self.account_id,
                dataset_id=dataset_id,
                document_id=document.id,
                position=position,
                content=text,
                character_count=len(text),
                token_count=len(text),
                hash=uuid.uuid4().hex,
                status="completed",
                enabled=True,
                completed_at=now,
            )
            for position, text in enumerate(texts, start=1)
        ]
        db.session.add_all(segments)
        db.session.flush()
        self.injected(KeywordIndex).add_segments(segments)
        ids = [segment.id for segment in segments]
        document_id, searchable = document.id, document.enabled and document.status == "completed"
        db.session.commit()
        if vectors:
            embedded = self.injected(Embeddings).embed_documents(texts)
            self.injected(VectorStore).upsert(
                VectorRecord(segment_id, document_id, dataset_id, vector, enabled=searchable)
                for segment_id, vector in zip(ids, embedded, strict=True)
            )
        self.contents.update(zip(ids, texts, strict=True))
        return ids

    def text(self, segment_id: uuid.UUID) -> str:
        return self.contents[segment_id]


@pytest.fixture
def kb(app):
    with app.app_context():
        account = app.extensions["injector"].get(AccountService).create_account(
            f"kb-{uuid.uuid4().hex[:10]}@example.com", "secret123", "kb"
        )
        yield KnowledgeBase(app, account.id)
        db.session.rollback()


def reference_bm25(corpus: dict[uuid.UUID, str], query: str) -> dict[uuid.UUID, float]:
    """BM25 written out plainly over the given (searchable) segments, for comparison."""
    docs = {segment_id: Counter(search_terms(text)) for segment_id, text in corpus.items()}
    n = len(docs)
    average = sum(sum(counts.values()) for counts in docs.values()) / n
    scores = {}
    for segment_id, counts in docs.items():
        length = sum(counts.values())
        score = 0.0
        for term, weight in weighted_query_terms(query).items():
            df = sum(1 for other in docs.values() if term in other)
            tf = counts.get(term, 0)
            if df and tf:
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                score += weight * idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        if score > 0:
            scores[segment_id] = score
    return scores


def assert_matches_reference(found: list[tuple[uuid.UUID, float]], expected: dict[uuid.UUID, float], k: int):
    best = sorted(expected.items(), key=lambda item: -item[1])[:k]
    assert [score for _, score in found] == pytest.approx([score for _, score in best], rel=1e-6)
    # Equal scores may come in either order; the sets of ids per score must agree.
    assert {segment_id for segment_id, _ in found} == {segment_id for segment_id, _ in best}


# --- BM25 --------------------------------------------------------------------------------------


def test_bm25_ranks_chinese_and_english_like_the_formula(kb):
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    ids = kb.document(dataset, LUNYU + DAODEJING + ALICE + HOLMES, vectors=False)
    corpus = {segment_id: kb.text(segment_id) for segment_id in ids}

    for query in ("学而时习之", "道", "Alice rabbit", "Holmes Watson Afghanistan", "水善利万物", "the rabbit's WATCH"):
        found = index.search([dataset], query, 5)
        assert found, query
        assert_matches_reference(found, reference_bm25(corpus, query), 5)

    top_text = kb.text(index.search([dataset], "温故知新", 1)[0][0])
    assert top_text.startswith("子曰：温故而知新")
    assert kb.text(index.search([dataset], "white rabbit watch", 1)[0][0]).startswith("The White Rabbit")


def test_rarer_terms_and_repeats_weigh_more_and_long_segments_are_normalised(kb):
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    rare, common_twice, common_long = kb.document(
        dataset,
        [
            "quantum appears here once with apple",
            "apple apple pie",
            "apple " + " ".join(f"filler{i}" for i in range(40)),
        ]
        + [f"apple orchard number {i}" for i in range(6)],
        vectors=False,
    )[:3]
    ranked = [segment_id for segment_id, _ in index.search([dataset], "quantum apple", 10)]
    assert ranked[0] == rare  # the rare term outweighs any number of common ones
    assert ranked.index(common_twice) < ranked.index(common_long)  # tf saturates, length normalises
    assert ranked[-1] == common_long


def test_nothing_is_found_for_unknown_or_empty_queries_or_k_zero(kb):
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    kb.document(dataset, ALICE, vectors=False)
    assert index.search([dataset], "zeppelin", 5) == []
    assert index.search([dataset], "，。！ the of", 5) == []  # punctuation and stop-words only
    assert index.search([dataset], "Alice", 0) == []
    assert index.search([], "Alice", 5) == []
    assert index.search([uuid.uuid4()], "Alice", 5) == []


def test_only_searchable_segments_count_and_are_returned(kb):
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    ids = kb.document(dataset, ALICE + HOLMES, vectors=False)
    disabled_doc = kb.document(dataset, ["Alice and the rabbit again, in a disabled document"], vectors=False, enabled=False)
    indexing_doc = kb.document(dataset, ["Alice rabbit in a document still indexing"], vectors=False, status="indexing")
    segment = db.session.get(Segment, ids[2])  # "Down, down, down ... Alice fell slowly down the rabbit hole"
    segment.enabled = False
    db.session.commit()

    searchable = {segment_id: kb.text(segment_id) for segment_id in ids if segment_id != ids[2]}
    found = index.search([dataset], "Alice rabbit", 10)
    assert ids[2] not in {segment_id for segment_id, _ in found}
    assert not {segment_id for segment_id, _ in found} & set(disabled_doc + indexing_doc)
    # IDF and the average length are computed over the searchable segments only.
    assert_matches_reference(found, reference_bm25(searchable, "Alice rabbit"), 10)

    segment = db.session.get(Segment, ids[2])
    segment.enabled = True
    segment.status = "indexing"
    db.session.commit()
    assert ids[2] not in {segment_id for segment_id, _ in index.search([dataset], "rabbit hole", 10)}

    segment.status = "completed"
    db.session.get(Document, db.session.get(Segment, disabled_doc[0]).document_id).enabled = True
    db.session.commit()
    found = {segment_id for segment_id, _ in index.search([dataset], "rabbit", 10)}
    assert ids[2] in found and disabled_doc[0] in found and indexing_doc[0] not in found


def test_many_unsearchable_segments_are_excluded_through_subqueries(kb, monkeypatch):
    monkeypatch.setattr(keyword_index_module, "MAX_LISTED_IDS", 1)
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    ids = kb.document(dataset, [f"lantern story {i}" for i in range(6)], vectors=False)
    kb.document(dataset, ["lantern in a hidden document"], vectors=False, enabled=False)
    kb.document(dataset, ["lantern in another hidden document"], vectors=False, status="error")
    for segment_id in ids[:3]:
        db.session.get(Segment, segment_id).enabled = False
    db.session.commit()
    found = index.search([dataset], "lantern", 10)
    assert {segment_id for segment_id, _ in found} == set(ids[3:])
    assert_matches_reference(found, reference_bm25({i: kb.text(i) for i in ids[3:]}, "lantern"), 10)


def test_the_common_term_shortcut_gives_the_exhaustive_ranking(kb, monkeypatch):
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    rng = random.Random(7)
    words = [f"w{i}" for i in range(60)]
    texts = []
    for _ in range(150):
        # A few words in every segment, the rest drawn with a heavy head like real text.
        chosen = ["alpha"] * rng.randint(1, 3) + rng.choices(words, weights=[1 / (r + 1) for r in range(60)], k=12)
        if rng.random() < 0.5:
            chosen.append("beta")
        texts.append(" ".join(chosen))
    kb.document(dataset, texts, vectors=False)

    queries = ["alpha beta w3", "alpha w50 w51", "alpha beta", "w0 w1 w2 w55", "alpha", "w0 w1 w2 w3 w4 w5 w6 alpha beta", "w59 w58"]
    exhaustive = {query: index.search([dataset], query, 7) for query in queries}
    monkeypatch.setattr(keyword_index_module, "POSTING_BUDGET", 1)
    for query in queries:
        shortcut = index.search([dataset], query, 7)
        assert [score for _, score in shortcut] == pytest.approx([score for _, score in exhaustive[query]], rel=1e-9)
        assert shortcut == exhaustive[query] or {s for s, _ in shortcut} == {s for s, _ in exhaustive[query]}


def test_a_modern_question_finds_classical_text_through_the_glossary(kb):
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    texts = ["知者不言，言者不知。", "上善若水，水善利万物而不争。", "明天会下雨，记得带伞。"]
    ids = kb.document(dataset, texts, vectors=False)
    question = "明白的人不说话"
    # 说话 looks up 言 and 语, 明白 also 知 and 晓, each at half the weight of the question's own terms.
    assert weighted_query_terms(question)["言"] == EXPANSION_WEIGHT < 1
    found = index.search([dataset], question, 3)
    assert found[0][0] == ids[0]
    assert_matches_reference(found, reference_bm25(dict(zip(ids, texts, strict=True)), question), 3)


def test_search_is_scoped_to_the_given_datasets(kb):
    index = kb.injected(KeywordIndex)
    first, second, third = kb.dataset(), kb.dataset(), kb.dataset()
    a = kb.document(first, ["the lighthouse keeper"], vectors=False)
    b = kb.document(second, ["a lighthouse on the rocks"], vectors=False)
    kb.document(third, ["lighthouse lighthouse lighthouse"], vectors=False)
    assert {s for s, _ in index.search([first, second], "lighthouse", 10)} == set(a + b)
    assert {s for s, _ in index.search([second], "lighthouse", 10)} == set(b)


def test_search_may_be_restricted_to_some_documents_with_their_own_statistics(kb):
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    kb.document(dataset, ["lighthouse lighthouse lighthouse"], vectors=False)
    chosen = kb.document(dataset, ["the lighthouse keeper", "a lighthouse on the rocks", "the keeper sleeps"], vectors=False)
    document_id = db.session.scalar(select(Segment.document_id).where(Segment.id == chosen[0]))
    found = index.search([dataset], "lighthouse keeper", 3, document_ids=[document_id])
    # BM25 over the chosen document's segments only, as if the others were not there.
    assert_matches_reference(found, reference_bm25({s: kb.text(s) for s in chosen}, "lighthouse keeper"), 3)
    assert index.search([dataset], "lighthouse", 5, document_ids=[]) == []
    assert index.search([dataset], "lighthouse", 5, document_ids=[uuid.uuid4()]) == []


def assert_statistics_match_postings(dataset: uuid.UUID) -> None:
    """document_term holds exactly what counting segment_term's postings per document gives."""
    counted = db.session.execute(
        select(SegmentTerm.document_id, SegmentTerm.term, func.count(), func.sum(SegmentTerm.segment_length))
        .where(SegmentTerm.dataset_id == dataset)
        .group_by(SegmentTerm.document_id, SegmentTerm.term)
    ).all()
    kept = db.session.execute(
        select(DocumentTerm.document_id, DocumentTerm.term, DocumentTerm.postings, DocumentTerm.total_length).where(
            DocumentTerm.dataset_id == dataset
        )
    ).all()
    assert sorted(map(tuple, kept)) == sorted(map(tuple, counted))


def test_removing_a_segment_twice_at_once_subtracts_its_statistics_once(kb):
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    ids = kb.document(dataset, ALICE, vectors=False)
    first_removed, second_started = threading.Event(), threading.Event()
    failures = []

    def first() -> None:
        # Removes the segment and keeps its transaction open while the second removal starts.
        with kb.app.app_context():
            try:
                index.remove_segments([ids[0]])
                first_removed.set()
                second_started.wait(10)
                time.sleep(0.3)
                db.session.commit()
            except Exception as exc:  # reported below; a thread's exception would be lost
                failures.append(exc)
                first_removed.set()

    def second() -> None:
        with kb.app.app_context():
            try:
                first_removed.wait(10)
                second_started.set()
                index.remove_segments([ids[0]])  # waits for the first to commit, then finds nothing
                db.session.commit()
            except Exception as exc:
                failures.append(exc)

    removers = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in removers:
        thread.start()
    for thread in removers:
        thread.join()
    assert failures == []
    assert_statistics_match_postings(dataset)
    assert index.search([dataset], "sister bank", 5) == []


def test_index_writes_are_idempotent_and_removals_complete(kb):
    index = kb.injected(KeywordIndex)
    dataset = kb.dataset()
    ids = kb.document(dataset, ALICE, vectors=False)
    other_doc = kb.document(dataset, HOLMES, vectors=False)

    segments = db.session.scalars(select(Segment).where(Segment.id.in_(ids))).all()
    index.add_segments(segments)  # a retried indexing step
    db.session.commit()
    assert_statistics_match_postings(dataset)
    rows = db.session.scalar(select(func.count()).select_from(SegmentTerm).where(SegmentTerm.segment_id == ids[0]))
    assert rows == len(set(search_terms(ALICE[0]))) + 1  # one row per distinct term plus the length row

    segment = db.session.get(Segment, ids[0])
    segment.content = "A completely new text about croquet"
    index.remove_segments([ids[0]])
    index.add_segments([segment])
    db.session.commit()
    assert index.search([dataset], "sister bank", 5) == []
    assert index.search([dataset], "croquet", 5)[0][0] == ids[0]
    assert_statistics_match_postings(dataset)

    index.remove_segments([ids[1]])
    db.session.commit()
    assert ids[1] not in {s for s, _ in index.search([dataset], "rabbit watch", 5)}
    assert_statistics_match_postings(dataset)

    index.remove_document(db.session.get(Segment, other_doc[0]).document_id)
    db.session.commit()
    assert index.search([dataset], "Holmes", 5) == []
    assert_statistics_match_postings(dataset)

    index.remove_dataset(dataset)
    db.session.commit()
    assert index.search([dataset], "rabbit", 5) == []
    assert db.session.scalar(select(func.count()).select_from(SegmentTerm).where(SegmentTerm.dataset_id == dataset)) == 0
    assert db.session.scalar(select(func.count()).select_from(DocumentTerm).where(DocumentTerm.dataset_id == dataset)) == 0


# --- strategies through the service ----------------------------------------------------------


def search(kb, dataset_ids, query, strategy, k=5, score=0.0, **kwargs):
    return kb.injected(RetrievalService).search(kb.account_id, dataset_ids, query, strategy, k, score, **kwargs)


def test_semantic_scores_are_similarities_and_the_threshold_applies(kb):
    dataset = kb.dataset()
    kb.document(dataset, LUNYU + ALICE + HOLMES)
    found = search(kb, [dataset], "Who is the famous detective?", "semantic", k=3)
    assert len(found) == 3
    assert found[0].content.startswith(("Sherlock", "You have been in Afghanistan"))
    scores = [segment.score for segment in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 1 and round(score, 2) == score for score in scores)

    threshold = scores[1]
    above = search(kb, [dataset], "Who is the famous detective?", "semantic", k=3, score=threshold)
    # Compared with the rounded score that is shown, so equal shown scores pass together.
    assert [segment.id for segment in above] == [segment.id for segment in found if segment.score >= threshold]
    assert found[0].id in {segment.id for segment in above} and len(above) >= 2
    assert search(kb, [dataset], "Who is the famous detective?", "semantic", k=3, score=1.0) == []


def test_cross_lingual_semantic_retrieval(kb):
    dataset = kb.dataset()
    kb.document(dataset, LUNYU + ALICE)
    found = search(kb, [dataset], "兔子从背心口袋里掏出一块怀表", "semantic", k=1)
    assert found[0].content.startswith("The White Rabbit")


def test_full_text_and_hybrid_scores_are_zero(kb):
    dataset = kb.dataset()
    kb.document(dataset, ALICE + HOLMES)
    for strategy in ("full_text", "hybrid"):
        found = search(kb, [dataset], "Holmes", strategy)
        assert found and all(segment.score == 0 for segment in found)


def test_hybrid_with_chosen_weights_reports_the_fused_score_and_honours_the_documents(kb):
    dataset = kb.dataset()
    kb.document(dataset, ALICE)
    holmes = kb.document(dataset, HOLMES)
    document_id = db.session.scalar(select(Segment.document_id).where(Segment.id == holmes[0]))
    service = kb.injected(RetrievalService)
    keyword_only = service.search(kb.account_id, [dataset], "Holmes Alice", "hybrid", 5, 0.0, hybrid_weights=(1.0, 0.0))
    assert keyword_only[0].score == 1.0 and all(0 <= segment.score <= 1 for segment in keyword_only)
    restricted = service.search(
        kb.account_id, [dataset], "Alice", "hybrid", 5, 0.0, document_ids=[document_id], hybrid_weights=(0.5, 0.5)
    )
    assert {segment.id for segment in restricted} <= set(holmes) and restricted


def test_hybrid_merges_both_rankings_without_duplicates(kb):
    dataset = kb.dataset()
    kb.document(dataset, LUNYU + DAODEJING + ALICE + HOLMES)
    query = "Alice tired sister: what does a detective perceive?"
    keyword = [segment.id for segment in search(kb, [dataset], query, "full_text", k=2)]
    semantic = [segment.id for segment in search(kb, [dataset], query, "semantic", k=2)]
    hybrid = [segment.id for segment in search(kb, [dataset], query, "hybrid", k=10)]
    assert len(hybrid) == len(set(hybrid))
    assert set(keyword) | set(semantic) <= set(hybrid)


def test_hybrid_applies_the_threshold_to_the_semantic_side_only(kb):
    dataset = kb.dataset()
    kb.document(dataset, ALICE + HOLMES)
    found = search(kb, [dataset], "mantelpiece syringe", "hybrid", k=5, score=1.0)
    # No vector reaches similarity 1, so only the keyword side contributes.
    assert [segment.content for segment in found] == [HOLMES[0]]


def test_min_max_fusion_adds_scores_rescaled_per_ranking():
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    # BM25 and cosine scales differ; each side is rescaled to 0-1 before the weighted sum.
    keyword = [(a, 12.0), (b, 7.0), (c, 2.0)]  # a 1.0, b 0.5, c 0.0
    semantic = [(c, 0.9), (d, 0.8), (b, 0.5)]  # c 1.0, d 0.75, b 0.0
    assert min_max_fusion([keyword, semantic]) == [a, c, d, b]
    assert min_max_fusion([keyword, semantic], weights=[0.2, 0.8]) == [c, d, a, b]
    assert min_max_fusion([[(a, 3.0)], []]) == [a]
    assert min_max_fusion([[], []]) == []


def test_reciprocal_rank_fusion_orders_by_summed_reciprocal_ranks():
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    assert reciprocal_rank_fusion([[a, b, c], [b, d]]) == [b, a, d, c]
    assert reciprocal_rank_fusion([[a], [b]], weights=[1.0, 2.0]) == [b, a]
    assert reciprocal_rank_fusion([[], []]) == []


def test_only_searchable_segments_come_back_from_every_strategy(kb):
    dataset = kb.dataset()
    ids = kb.document(dataset, HOLMES)
    hidden = kb.document(dataset, ["Sherlock Holmes played the violin in Baker Street."], enabled=False)
    db.session.get(Segment, ids[1]).enabled = False  # the vector store still has it enabled
    db.session.commit()
    for strategy in ("full_text", "semantic", "hybrid"):
        found = {segment.id for segment in search(kb, [dataset], "Sherlock Holmes Watson violin", strategy, k=10)}
        assert found == {ids[0]}, strategy
        assert not found & set(hidden)


# --- counters and recorded queries -------------------------------------------------------------


def hit_counts(model, ids):
    return {row.id: row.hit_count for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def test_hits_count_per_segment_and_once_per_document_per_query(kb):
    dataset = kb.dataset()
    first = kb.document(dataset, ["sailing ships at sea", "sailing boats on the lake"])
    second = kb.document(dataset, ["sailing lessons for beginners"])
    kb.document(dataset, ["mountain climbing"])
    documents = {segment_id: db.session.get(Segment, segment_id).document_id for segment_id in first + second}
    updated_before = db.session.get(Segment, first[0]).updated_at

    found = search(kb, [dataset], "sailing", "full_text", k=10)
    assert {segment.id for segment in found} == set(first + second)
    assert all(segment.hit_count == 1 for segment in found)  # the response shows the new count
    search(kb, [dataset], "sailing ships", "full_text", k=1)

    segment_hits = hit_counts(Segment, first + second)
    assert segment_hits[first[0]] == 2 and segment_hits[first[1]] == 1 and segment_hits[second[0]] == 1
    document_hits = hit_counts(Document, set(documents.values()))
    assert document_hits[documents[first[0]]] == 2  # two queries, though three of its segments were hit
    assert document_hits[documents[second[0]]] == 1
    assert db.session.get(Segment, first[0]).updated_at == updated_before  # a hit is not an edit


def test_every_search_records_one_query_per_dataset_even_with_k_zero(kb):
    first, second = kb.dataset(), kb.dataset()
    ids = kb.document(first, ["compass and map"])
    app_id = uuid.uuid4()

    assert search(kb, [first], "compass", "full_text", k=0) == []
    assert hit_counts(Segment, ids)[ids[0]] == 0
    search(kb, [first, second, first], "compass", "semantic", k=3, source=QuerySource.APP, source_app_id=app_id)

    queries = db.session.scalars(
        select(DatasetQuery).where(DatasetQuery.dataset_id.in_([first, second])).order_by(DatasetQuery.created_at)
    ).all()
    assert (queries[0].dataset_id, queries[0].source, queries[0].source_app_id) == (first, "Hit Testing", None)
    # The repeated dataset is searched and recorded once.
    assert sorted((str(q.dataset_id), q.source, q.source_app_id) for q in queries[1:]) == sorted(
        [(str(first), "App", app_id), (str(second), "App", app_id)]
    )
    assert all(q.query == "compass" and q.created_by == kb.account_id for q in queries)


def test_datasets_of_other_accounts_are_ignored_and_hit_testing_them_is_not_found(kb, app):
    mine = kb.dataset()
    kb.document(mine, ["a shared word: harbour"])
    stranger = KnowledgeBase(app, app.extensions["injector"].get(AccountService).create_account(
        f"s-{uuid.uuid4().hex[:10]}@example.com", "secret123", "s"
    ).id)
    theirs = stranger.dataset()
    stranger.document(theirs, ["their harbour"])

    found = search(kb, [mine, theirs], "harbour", "full_text")
    assert [segment.content for segment in found] == ["a shared word: harbour"]
    assert db.session.scalar(select(func.count()).select_from(DatasetQuery).where(DatasetQuery.dataset_id == theirs)) == 0
    with pytest.raises(NotFoundException):
        kb.injected(RetrievalService).hit(kb.account_id, theirs, "harbour", "full_text", 3, 0.0)
    with pytest.raises(NotFoundException):
        kb.injected(RetrievalService).recent_queries(kb.account_id, uuid.uuid4())


# --- the agent's tool ----------------------------------------------------------------------------


def test_dataset_retrieval_tool_uses_the_app_config_and_records_app_queries(kb):
    dataset = kb.dataset()
    kb.document(dataset, ALICE + HOLMES)
    app_id = uuid.uuid4()
    tool = build_dataset_retrieval_tool(
        kb.injected(RetrievalService),
        kb.account_id,
        [dataset],
        {"retrieval_strategy": "full_text", "k": 2, "score": 0.5},
        app_id=app_id,
    )
    assert tool.name == "dataset_retrieval" and "query" in tool.args

    answer = tool.invoke({"query": "Holmes"})
    assert sorted(answer.split("\n\n")) == sorted(HOLMES)
    assert tool.invoke({"query": "zeppelin"}) == NO_RESULTS
    recorded = db.session.scalars(select(DatasetQuery).where(DatasetQuery.dataset_id == dataset)).all()
    assert {(q.source, q.source_app_id, q.query) for q in recorded} == {("App", app_id, "Holmes"), ("App", app_id, "zeppelin")}
