"""AI Stack's RAG system through HTTP: ingestion through the knowledge-base pipeline, document
status and listing, semantic and hybrid search with filters, verification by the model and by
similarity, ownership, and both addresses (prefix and port)."""

import io
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from internal.extension.database import db
from internal.model import Dataset, Document, Segment, UploadFile
from test.api.knowledge_base import FIXTURES, wait_for
from test.conftest import create_member
from test.fakes.openai_server import ChatReply, ToolCall
from test.fakes.website import FakeWebsite

from .client import AIStackClient, assert_error, data_of, issue_token

CATS = "Cats are small domesticated felines that people keep as pets. They purr and chase mice."
BUDGET = "The quarterly budget report lists revenue, costs and profit margins for each department. The codename zyxqor appears here."
MOON = "The Moon orbits the Earth about once every twenty-seven days and reflects sunlight."


def caller(app, client, via: str = "prefix") -> AIStackClient:
    member = create_member(app, client, name="RAG")
    stack = AIStackClient(client, issue_token(client, member.email, member.password), via)
    stack.member = member
    return stack


@pytest.fixture
def rag(app, client) -> AIStackClient:
    """A signed-in caller on the main server's prefix (the port is covered once per family below)."""
    return caller(app, client)


@pytest.fixture
def other_rag(app, client) -> AIStackClient:
    return caller(app, client)


@pytest.fixture(scope="module")
def website():
    server = FakeWebsite().start()
    yield server
    server.stop()


def ingest(stack: AIStackClient, name: str, content: bytes, metadata=None):
    data = {"file": (io.BytesIO(content), name)}
    if metadata is not None:
        data["metadata"] = metadata if isinstance(metadata, str) else json.dumps(metadata)
    return stack.post("rag", "/api/documents/ingest", data=data, content_type="multipart/form-data")


def document_status(app, document_id: str) -> str | None:
    with app.app_context():
        try:
            return db.session.scalar(select(Document.status).where(Document.id == uuid.UUID(document_id)))
        finally:
            db.session.remove()


def wait_built(app, stack: AIStackClient, document_id: str) -> dict:
    """The document's status answer once its build finished (watched in the database, so the
    polling spends none of the caller's rate limit)."""
    wait_for(app, lambda: document_status(app, document_id) in ("completed", "error"), f"document {document_id}")
    return data_of(stack.get("rag", f"/api/documents/{document_id}"))


def ingested(app, stack: AIStackClient, name: str, content: bytes, metadata=None) -> str:
    document_id = data_of(ingest(stack, name, content, metadata), 201)["document_id"]
    assert wait_built(app, stack, document_id)["status"] == "completed"
    return document_id


def segment_count(app, document_id: str) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).where(Segment.document_id == uuid.UUID(document_id)))
        finally:
            db.session.remove()


def search(stack: AIStackClient, kind: str, **body) -> list[dict]:
    data = data_of(stack.post("rag", f"/api/search/{kind}", json=body))
    assert isinstance(data["query_time_ms"], int) and data["query_time_ms"] >= 0
    return data["results"]


# --- documents ----------------------------------------------------------------------------------


def test_ingest_builds_the_document_in_the_accounts_knowledge_base(app, client, rag):
    metadata = {"title": "知识库说明", "category": "技术文档", "tags": ["AI", "检索", "AI"]}
    answer = data_of(ingest(rag, "sample.md", (FIXTURES / "sample.md").read_bytes(), metadata), 201)
    assert answer["status"] in ("processing", "completed")
    if answer["status"] == "processing":
        assert (answer["chunks_created"], answer["vectors_generated"]) == (0, 0)

    document = wait_built(app, rag, answer["document_id"])
    chunks = segment_count(app, answer["document_id"])
    assert chunks > 0
    assert document["status"] == "completed" and document["error"] == ""
    assert (document["chunks_created"], document["vectors_generated"]) == (chunks, chunks)
    assert (document["title"], document["category"], document["tags"]) == ("知识库说明", "技术文档", ["AI", "检索"])
    assert document["file_name"] == "sample.md" and document["created_at"].endswith("Z") and document["completed_at"]

    # The knowledge base is the account's own, shown in the console like any other, and reused.
    second = data_of(ingest(rag, "sample.pdf", (FIXTURES / "sample.pdf").read_bytes()), 201)
    assert wait_built(app, rag, second["document_id"])["title"] == "sample.pdf"  # the file name by default
    datasets = client.get("/datasets", headers=rag.member.headers).json["data"]["list"]
    assert [(d["name"], d["document_count"]) for d in datasets] == [("AI Stack RAG", 2)]
    documents = client.get(f"/datasets/{datasets[0]['id']}/documents", headers=rag.member.headers).json["data"]["list"]
    assert {d["id"] for d in documents} == {answer["document_id"], second["document_id"]}


def test_concurrent_first_ingests_share_one_knowledge_base(app, rag):
    def ingest_one(i: int) -> int:
        return ingest(rag, f"{i}.txt", f"Document number {i} about cats.".encode()).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(ingest_one, range(4))) == [201] * 4
    with app.app_context():
        try:
            datasets = db.session.scalars(select(Dataset.id).where(Dataset.account_id == rag.member.id)).all()
            documents = db.session.scalars(select(Document.id).where(Document.account_id == rag.member.id)).all()
        finally:
            db.session.remove()
    assert len(datasets) == 1 and len(documents) == 4
    for document_id in documents:
        wait_for(app, lambda: document_status(app, str(document_id)) in ("completed", "error"), "the builds")


def test_metadata_and_files_are_validated_before_anything_is_stored(app, rag):
    txt = (FIXTURES / "sample.txt").read_bytes()
    assert_error(ingest(rag, "a.txt", txt, "{not json"), 400, "INVALID_INPUT", "metadata")
    assert_error(ingest(rag, "a.txt", txt, "[1, 2]"), 400, "INVALID_INPUT", "metadata")
    assert_error(ingest(rag, "a.txt", txt, {"tags": "AI"}), 400, "INVALID_INPUT", "metadata.tags")
    assert_error(ingest(rag, "a.txt", txt, {"category": "x" * 101}), 400, "INVALID_INPUT", "metadata.category")
    assert_error(ingest(rag, "a.exe", b"MZ\x90\x00"), 415, "INVALID_INPUT", "file")
    assert_error(ingest(rag, "fake.pdf", b"not a pdf"), 415, "INVALID_INPUT", "file")
    resp = rag.post("rag", "/api/documents/ingest", data={"metadata": "{}"}, content_type="multipart/form-data")
    assert_error(resp, 400, "INVALID_INPUT", "file")

    # A batch with one refused file stores none of them.
    files = [(io.BytesIO(txt), "good.txt"), (io.BytesIO(b"MZ"), "bad.exe")]
    resp = rag.post("rag", "/api/documents/batch-ingest", data={"files": files}, content_type="multipart/form-data")
    assert_error(resp, 415, "INVALID_INPUT", "files[1]")
    too_many = [(io.BytesIO(txt), f"{i}.txt") for i in range(11)]
    resp = rag.post("rag", "/api/documents/batch-ingest", data={"files": too_many}, content_type="multipart/form-data")
    assert_error(resp, 400, "INVALID_INPUT", "files")
    resp = rag.post("rag", "/api/documents/batch-ingest", data={"metadata": "{}"}, content_type="multipart/form-data")
    assert_error(resp, 400, "INVALID_INPUT", "files")

    assert data_of(rag.get("rag", "/api/documents")) == []
    with app.app_context():
        try:
            stored = db.session.scalar(select(func.count()).where(UploadFile.account_id == rag.member.id))
            datasets = db.session.scalar(select(func.count()).where(Dataset.account_id == rag.member.id))
        finally:
            db.session.remove()
    assert (stored, datasets) == (0, 0)


def test_batch_ingest_takes_files_and_files_brackets_with_shared_metadata(app, rag):
    data = {
        "files": [(io.BytesIO(CATS.encode()), "cats.txt")],
        "files[]": [(io.BytesIO((FIXTURES / "sample.pdf").read_bytes()), "sample.pdf")],
        "metadata": json.dumps({"title": "ignored in a batch", "category": "混合", "tags": ["batch"]}),
    }
    answer = data_of(rag.post("rag", "/api/documents/batch-ingest", data=data, content_type="multipart/form-data"), 201)
    assert answer["total"] == 2 and [d["file_name"] for d in answer["documents"]] == ["cats.txt", "sample.pdf"]
    for item in answer["documents"]:
        document = wait_built(app, rag, item["document_id"])
        assert document["status"] == "completed" and document["chunks_created"] == segment_count(app, item["document_id"])
        assert (document["title"], document["category"], document["tags"]) == (item["file_name"], "混合", ["batch"])


def test_list_documents_pages_sorts_and_filters(app, rag):
    first = ingested(app, rag, "b.txt", CATS.encode(), {"title": "B cats", "category": "动物"})
    second = ingested(app, rag, "a.txt", BUDGET.encode(), {"title": "A budget", "category": "财务"})

    resp = rag.get("rag", "/api/documents", query_string={"page": 1, "page_size": 1})
    assert resp.json["pagination"] == {"page": 1, "page_size": 1, "total_items": 2, "total_pages": 2}
    assert [d["document_id"] for d in data_of(resp)] == [second]  # newest first by default
    titles = data_of(rag.get("rag", "/api/documents", query_string={"sort": "title", "order": "asc"}))
    assert [d["title"] for d in titles] == ["A budget", "B cats"]
    animals = data_of(rag.get("rag", "/api/documents", query_string={"filter[category]": "动物"}))
    assert [d["document_id"] for d in animals] == [first]
    completed = data_of(rag.get("rag", "/api/documents", query_string={"filter[status]": "completed"}))
    assert len(completed) == 2
    assert data_of(rag.get("rag", "/api/documents", query_string={"filter[status]": "failed"})) == []
    assert data_of(rag.get("rag", "/api/documents", query_string={"filter[date_to]": "2000-01-01"})) == []
    assert len(data_of(rag.get("rag", "/api/documents", query_string={"filter[date_from]": "2000-01-01"}))) == 2
    assert_error(rag.get("rag", "/api/documents", query_string={"filter[status]": "done"}), 400, "INVALID_INPUT", "filter[status]")
    assert_error(rag.get("rag", "/api/documents", query_string={"sort": "size"}), 400, "INVALID_INPUT", "sort")


def test_documents_of_another_account_are_not_found_and_never_searched(app, client, rag, other_rag):
    mine = ingested(app, rag, "cats.txt", CATS.encode(), {"category": "动物"})
    theirs = ingested(app, other_rag, "cats.txt", CATS.encode(), {"category": "动物"})

    assert_error(other_rag.get("rag", f"/api/documents/{mine}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(other_rag.delete("rag", f"/api/documents/{mine}"), 404, "RESOURCE_NOT_FOUND")
    for kind in ("semantic", "hybrid"):
        results = search(rag, kind, query="pets that purr", top_k=10)
        assert {r["document_id"] for r in results} == {mine}
        assert search(rag, kind, query="pets that purr", filters={"document_ids": [theirs]}) == []
    resp = other_rag.post("rag", "/api/verification/verify", json={"content": "Cats purr.", "sources": [mine]})
    assert_error(resp, 404, "RESOURCE_NOT_FOUND")
    assert data_of(rag.get("rag", f"/api/documents/{mine}"))["status"] == "completed"


def test_delete_goes_through_the_platforms_deletion(app, client, rag):
    document_id = ingested(app, rag, "cats.txt", CATS.encode())
    assert data_of(rag.delete("rag", f"/api/documents/{document_id}")) == {"document_id": document_id, "deleted": True}
    assert_error(rag.get("rag", f"/api/documents/{document_id}"), 404, "RESOURCE_NOT_FOUND")
    assert document_status(app, document_id) is None
    assert search(rag, "semantic", query="pets that purr") == []
    assert_error(rag.get("rag", "/api/documents/not-a-uuid"), 404, "RESOURCE_NOT_FOUND")


# --- search -------------------------------------------------------------------------------------


@pytest.fixture
def library(app, rag) -> dict[str, str]:
    """Three small documents of the caller with distinct categories and tags."""
    return {
        "cats": ingested(app, rag, "cats.txt", CATS.encode(), {"title": "猫", "category": "动物", "tags": ["cats", "pets"]}),
        "budget": ingested(app, rag, "budget.txt", BUDGET.encode(), {"category": "财务", "tags": ["budget"]}),
        "moon": ingested(app, rag, "moon.txt", MOON.encode(), {"category": "天文", "tags": ["space"]}),
    }


def test_semantic_search_finds_the_right_chunk_within_the_filters(app, rag, library):
    results = search(rag, "semantic", query="Which animals do people keep at home as pets?", top_k=3)
    top = results[0]
    assert top["document_id"] == library["cats"] and top["content"] == CATS
    assert top["metadata"] == {"title": "猫", "category": "动物", "tags": ["cats", "pets"], "document_name": "cats.txt", "position": 1}
    assert top["chunk_id"] and 0 < top["score"] <= 1
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert len(search(rag, "semantic", query="pets", top_k=1)) == 1

    # Filters restrict the search itself: top_k=1 still finds the filtered document.
    assert [r["document_id"] for r in search(rag, "semantic", query="pets", top_k=1, filters={"category": "财务"})] == [library["budget"]]
    tagged = search(rag, "semantic", query="pets", top_k=5, filters={"tags": ["space", "budget"]})
    assert {r["document_id"] for r in tagged} == {library["moon"], library["budget"]}
    chosen = search(rag, "semantic", query="pets", top_k=1, filters={"document_ids": [library["moon"]]})
    assert [r["document_id"] for r in chosen] == [library["moon"]]
    assert search(rag, "semantic", query="pets", filters={"category": "天文", "tags": ["cats"]}) == []
    assert search(rag, "semantic", query="pets", filters={"category": "不存在"}) == []

    for body, field in (
        ({"query": "pets", "top_k": 0}, "top_k"),
        ({"query": "pets", "top_k": 51}, "top_k"),
        ({"query": "   "}, "query"),
        ({"query": "pets", "filters": {"document_ids": ["nope"]}}, "filters.document_ids[0]"),
    ):
        assert_error(rag.post("rag", "/api/search/semantic", json=body), 400, "INVALID_INPUT", field)


def test_hybrid_weights_change_the_ranking(app, rag, library):
    query = "household animal companions zyxqor"
    keyword = search(rag, "hybrid", query=query, semantic_weight=0, keyword_weight=1, top_k=3)
    assert keyword[0]["document_id"] == library["budget"] and keyword[0]["score"] == 1.0
    semantic = search(rag, "hybrid", query=query, semantic_weight=1, keyword_weight=0, top_k=3)
    assert semantic[0]["document_id"] == library["cats"] and semantic[0]["score"] == 1.0
    # Weights are normalised: 0.2 and 0.2 rank and score as 0.5 and 0.5 do.
    assert search(rag, "hybrid", query=query, semantic_weight=0.2, keyword_weight=0.2) == search(
        rag, "hybrid", query=query, semantic_weight=0.5, keyword_weight=0.5
    )
    assert all(0 <= r["score"] <= 1 for r in semantic + keyword)
    filtered = search(rag, "hybrid", query=query, keyword_weight=1, semantic_weight=0, filters={"category": "动物"})
    assert {r["document_id"] for r in filtered} == {library["cats"]}

    both_zero = rag.post("rag", "/api/search/hybrid", json={"query": query, "semantic_weight": 0, "keyword_weight": 0})
    assert_error(both_zero, 400, "INVALID_INPUT", "keyword_weight")
    assert_error(rag.post("rag", "/api/search/hybrid", json={"query": query, "semantic_weight": 1.5}), 400, "INVALID_INPUT", "semantic_weight")


def test_search_before_any_ingest_finds_nothing(rag):
    assert search(rag, "semantic", query="anything") == []
    assert search(rag, "hybrid", query="anything") == []


# --- verification -------------------------------------------------------------------------------


def verification_scores(*rows: list[float]) -> ChatReply:
    claims = [{"claim": i, "scores": scores} for i, scores in enumerate(rows, start=1)]
    return ChatReply(tool_calls=[ToolCall("VerificationScores", {"claims": claims})])


def test_verification_by_the_model_with_structured_output(app, rag, llm):
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    content = f"The Eiffel Tower is in Paris. It was finished in 1889 ({marker})."
    sources = ["The Eiffel Tower stands in Paris, France.", "Construction ended in 1889."]
    llm.script_chat(marker, verification_scores([0.95, 0.1], [0.0, 0.9]))

    result = data_of(rag.post("rag", "/api/verification/verify", json={"content": content, "sources": sources}))
    assert result["method"] == "model" and result["verified"] is True
    assert result["confidence"] == pytest.approx(0.93)
    assert result["sources"] == [{"source": sources[0], "support_score": 0.47}, {"source": sources[1], "support_score": 0.5}]
    assert [(c["supported"], c["support_score"], c["best_source"]) for c in result["claims"]] == [
        (True, 0.95, sources[0]),
        (True, 0.9, sources[1]),
    ]
    [request] = llm.chat_requests(marker)
    assert request["tools"][0]["function"]["name"] == "VerificationScores"
    prompt = json.dumps(request["messages"], ensure_ascii=False)
    assert sources[0] in prompt and "[Claim 2]" in prompt

    # A claim no source supports fails the verification.
    llm.script_chat(marker, verification_scores([0.9, 0.0], [0.1, 0.2]))
    result = data_of(rag.post("rag", "/api/verification/verify", json={"content": content, "sources": sources}))
    assert result["verified"] is False and [c["supported"] for c in result["claims"]] == [True, False]


def test_verification_falls_back_to_similarity_when_the_model_fails(app, rag, llm):
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    llm.script_chat(marker, ChatReply(status=500, error_message="the model is down"))
    content = f"Cats are pets that purr. Bananas grow on the Moon {marker}."
    result = data_of(rag.post("rag", "/api/verification/verify", json={"content": content, "sources": [CATS]}))
    assert result["method"] == "similarity" and result["verified"] is False
    supported, unsupported = result["claims"]
    assert supported["supported"] and supported["best_source"] == CATS
    assert not unsupported["supported"] and unsupported["support_score"] < supported["support_score"]


def test_verification_reads_documents_and_urls_through_the_guarded_client(app, rag, llm, website):
    document_id = ingested(app, rag, "cats.txt", CATS.encode())
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    llm.script_chat(marker, verification_scores([0.9, 0.8]))
    url = f"{website.url}/article"
    body = {"content": f"An agent calls tools ({marker}).", "sources": [document_id, url]}
    result = data_of(rag.post("rag", "/api/verification/verify", json=body))
    assert result["method"] == "model" and [s["source"] for s in result["sources"]] == [document_id, url]
    prompt = json.dumps(llm.chat_requests(marker)[0]["messages"], ensure_ascii=False)
    assert "They purr and chase mice." in prompt  # the document's chunks
    assert "An agent calls tools" in prompt and "do-not-read" not in prompt  # the page's visible text
    assert any(r.path == "/article" for r in website.requests)

    for source in ("http://127.0.0.2/article", "http://10.0.0.1/"):  # private and not allowed
        resp = rag.post("rag", "/api/verification/verify", json={"content": "x y", "sources": ["text", source]})
        assert_error(resp, 400, "INVALID_INPUT", "sources[1]")
    resp = rag.post("rag", "/api/verification/verify", json={"content": "x y", "sources": [f"{website.url}/missing"]})
    assert_error(resp, 400, "INVALID_INPUT", "sources[0]")


def test_verification_is_bounded(rag):
    too_many = {"content": "A claim.", "sources": [f"source {i}" for i in range(11)]}
    assert_error(rag.post("rag", "/api/verification/verify", json=too_many), 400, "INVALID_INPUT", "sources")
    too_long = {"content": "x" * 10001, "sources": ["s"]}
    assert_error(rag.post("rag", "/api/verification/verify", json=too_long), 400, "INVALID_INPUT", "content")
    assert_error(rag.post("rag", "/api/verification/verify", json={"content": "A claim.", "sources": []}), 400, "INVALID_INPUT", "sources")
    resp = rag.post("rag", "/api/verification/verify", json={"content": "A claim.", "sources": [str(uuid.uuid4())]})
    assert_error(resp, 404, "RESOURCE_NOT_FOUND")


# --- both addresses -----------------------------------------------------------------------------


def test_every_endpoint_family_on_both_addresses(app, aistack, llm):
    """Documents, search and verification through /aistack/rag/api/... and port 8011's /api/..."""
    document_id = data_of(ingest(aistack, "cats.txt", CATS.encode(), {"category": "动物"}), 201)["document_id"]
    assert wait_built(app, aistack, document_id)["status"] == "completed"
    assert [d["document_id"] for d in data_of(aistack.get("rag", "/api/documents"))] == [document_id]
    batch = {"files": [(io.BytesIO(MOON.encode()), "moon.txt")]}
    answer = data_of(aistack.post("rag", "/api/documents/batch-ingest", data=batch, content_type="multipart/form-data"), 201)
    assert answer["total"] == 1

    assert search(aistack, "semantic", query="pets", top_k=1, filters={"category": "动物"})[0]["document_id"] == document_id
    assert search(aistack, "hybrid", query="purr", keyword_weight=1, semantic_weight=0)[0]["document_id"] == document_id

    marker = f"marker-{uuid.uuid4().hex[:8]}"
    llm.script_chat(marker, verification_scores([1.0]))
    result = data_of(aistack.post("rag", "/api/verification/verify", json={"content": f"Cats purr {marker}.", "sources": [document_id]}))
    assert (result["method"], result["verified"]) == ("model", True)

    assert data_of(aistack.delete("rag", f"/api/documents/{document_id}"))["deleted"] is True
    assert "/api/search/hybrid" in aistack.get("rag", "/docs/openapi.json").json["paths"]
