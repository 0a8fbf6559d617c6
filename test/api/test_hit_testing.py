"""Hit testing (4.6) and a dataset's recent queries (4.7), on documents built by the real pipeline:
upload → add documents → background build, then retrieval through the API."""

import pytest

from test.api.knowledge_base import add_documents, build_document, create_dataset, upload, wait_for_batch
from test.conftest import create_member

HIT_FIELDS = {
    "id", "document", "dataset_id", "score", "position", "content", "keywords", "character_count",
    "token_count", "hit_count", "enabled", "disabled_at", "status", "error", "updated_at", "created_at",
}  # fmt: skip
QUERY_FIELDS = {"id", "dataset_id", "query", "source", "created_at"}
RULE = {
    "pre_process_rules": [{"id": "remove_extra_space", "enabled": True}],
    "segment": {"separators": ["\n"], "chunk_size": 100, "chunk_overlap": 0},
}
# One passage per line; each is over half the 100-token chunk size, so each is its own segment.
CLASSICS = "\n".join(
    [
        '子曰：学而时习之，不亦说乎？有朋自远方来，不亦乐乎？人不知而不愠，不亦君子乎？曾子曰：吾日三省吾身：为人谋而不忠乎？与朋友交而不信乎？传不习乎？',
        '子曰：温故而知新，可以为师矣。子曰：君子不器。子贡问君子。子曰：先行其言而后从之。子曰：君子周而不比，小人比而不周。',
        '道可道，非常道；名可名，非常名。无名天地之始，有名万物之母。故常无欲，以观其妙；常有欲，以观其徼。此两者同出而异名，同谓之玄。',
        "Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: once or twice she had peeped into the book her sister was reading, but it had no pictures or conversations in it, 'and what is the use of a book,' thought Alice.",
        'There was nothing so very remarkable in that; but when the White Rabbit actually took a watch out of its waistcoat-pocket, and looked at it, and then hurried on, Alice started to her feet, burning with curiosity, and ran across the field after it.',
        'Sherlock Holmes took his bottle from the corner of the mantelpiece and his hypodermic syringe from its neat morocco case. With his long, white, nervous fingers he adjusted the delicate needle, and rolled back his left shirt-cuff.',
    ]
)
DETECTIVE = "\n".join(
    [
        "'You have been in Afghanistan, I perceive,' said Holmes. 'How on earth did you know that?' asked Doctor Watson in astonishment. Holmes only smiled, for the doctor had the tanned face and the stiff arm of a soldier home from the war.",
        'In the evenings Holmes played the violin in our rooms at Baker Street, sometimes sweet and melancholy airs, sometimes wild scraping sounds thrown across the strings as he sat with his eyes closed in thought, the fiddle across his knee, while Doctor Watson read his newspaper by the fire.',
    ]
)


def passages(*heads: str) -> bytes:
    """Lines long enough (over 50 tokens) that each becomes a segment of its own under RULE."""
    filler = " ".join(["The grey waves rolled slowly towards the distant shore."] * 5)
    return "\n".join(f"{head}. {filler}" for head in heads).encode()


@pytest.fixture(scope="module")
def library(app):
    """A member with a dataset of two built documents (a markdown and a txt file)."""
    client = app.test_client()
    member = create_member(app, client, name="Librarian")
    dataset_id = create_dataset(client, member)
    files = [
        upload(client, member, "classics.md", CLASSICS.encode()),
        upload(client, member, "detective.txt", DETECTIVE.encode()),
    ]
    batch = add_documents(client, member, dataset_id, files, process_type="custom", rule=RULE)["batch"]
    progress = wait_for_batch(app, client, member, dataset_id, batch)
    assert [item["status"] for item in progress] == ["completed", "completed"], progress
    return member, dataset_id, {item["name"]: item["id"] for item in progress}


def hit(client, member, dataset_id, query, strategy="full_text", k=5, score=0.0):
    body = {"query": query, "retrieval_strategy": strategy, "k": k, "score": score}
    return client.post(f"/datasets/{dataset_id}/hit", json=body, headers=member.headers)


def hits(client, member, dataset_id, query, strategy="full_text", k=5, score=0.0) -> list[dict]:
    resp = hit(client, member, dataset_id, query, strategy, k, score)
    assert resp.status_code == 200 and resp.json["code"] == "success", resp.json
    assert resp.json["message"] == ""  # llmops-api-index.md D31: always present
    return resp.json["data"]


def queries(client, member, dataset_id) -> list[dict]:
    resp = client.get(f"/datasets/{dataset_id}/queries", headers=member.headers)
    assert resp.status_code == 200 and resp.json["code"] == "success", resp.json
    assert resp.json["message"] == ""
    return resp.json["data"]


def test_a_hit_returns_segments_with_their_document(app, library):
    client = app.test_client()
    member, dataset_id, documents = library
    data = hits(client, member, dataset_id, "Holmes Watson Afghanistan")

    assert isinstance(data, list) and data
    top = data[0]
    assert set(top) == HIT_FIELDS
    assert top["content"].startswith("'You have been in Afghanistan")
    assert top["document"] == {
        "id": documents["detective.txt"],
        "name": "detective.txt",
        "extension": top["document"]["extension"],
        "mime_type": "text/plain",
    }
    assert top["document"]["extension"].lstrip(".") == "txt"
    assert (top["dataset_id"], top["score"], top["status"], top["enabled"], top["disabled_at"], top["error"]) == (
        dataset_id, 0, "completed", True, 0, "",
    )  # fmt: skip
    assert top["position"] >= 1 and top["character_count"] == len(top["content"]) and top["token_count"] > 0
    assert isinstance(top["keywords"], list) and top["keywords"]
    assert isinstance(top["created_at"], int) and isinstance(top["updated_at"], int)
    assert any(item["content"].startswith("In the evenings Holmes") for item in data)


def test_each_strategy_finds_its_kind_of_match(app, library):
    client = app.test_client()
    member, dataset_id, documents = library
    [keyword] = hits(client, member, dataset_id, "温故知新", "full_text", k=1)
    assert keyword["content"].startswith("子曰：温故而知新")
    assert keyword["document"]["mime_type"] == "text/markdown"

    semantic = hits(client, member, dataset_id, "兔子从背心口袋里掏出怀表", "semantic", k=3)
    assert "White Rabbit" in semantic[0]["content"]  # across languages
    scores = [item["score"] for item in semantic]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 and round(s, 2) == s for s in scores)
    assert hits(client, member, dataset_id, "兔子从背心口袋里掏出怀表", "semantic", k=3, score=1.0) == []

    hybrid = hits(client, member, dataset_id, "White Rabbit 怀表", "hybrid", k=10)
    assert "White Rabbit" in hybrid[0]["content"]
    assert all(item["score"] == 0 for item in hybrid)
    assert len({item["id"] for item in hybrid}) == len(hybrid) <= 8


def test_k_limits_the_results_and_zero_returns_nothing_but_is_recorded(app, library):
    client = app.test_client()
    member, dataset_id, _ = library
    assert len(hits(client, member, dataset_id, "Holmes", "semantic", k=2)) == 2
    assert hits(client, member, dataset_id, "Holmes zero", "hybrid", k=0) == []
    assert queries(client, member, dataset_id)[0]["query"] == "Holmes zero"


def test_hits_are_counted_on_segments_documents_and_the_dataset(app, client, member):
    dataset_id = create_dataset(client, member)
    text = passages("The lighthouse keeper at night", "A lighthouse on the rocks", "Mountain climbing")
    progress = build_document(app, client, member, dataset_id, "sea.txt", text, process_type="custom", rule=RULE)
    assert progress["status"] == "completed", progress

    first = hits(client, member, dataset_id, "lighthouse")
    assert len(first) == 2 and all(item["hit_count"] == 1 for item in first)
    second = hits(client, member, dataset_id, "lighthouse keeper", k=1)
    assert second[0]["hit_count"] == 2

    # Two of its segments in the first query still count once for the document.
    document = client.get(f"/datasets/{dataset_id}/documents/{progress['id']}", headers=member.headers).json["data"]
    assert document["hit_count"] == 2
    dataset = client.get(f"/datasets/{dataset_id}", headers=member.headers).json["data"]
    assert dataset["hit_count"] == 2


def test_disabled_documents_are_not_hit(app, client, member):
    dataset_id = create_dataset(client, member)
    progress = build_document(app, client, member, dataset_id, "notes.txt", b"the secret harbour map", process_type="custom", rule=RULE)
    document_path = f"/datasets/{dataset_id}/documents/{progress['id']}/enabled"
    assert len(hits(client, member, dataset_id, "harbour", "hybrid")) == 1

    resp = client.post(document_path, json={"enabled": False}, headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    for strategy in ("full_text", "semantic", "hybrid"):
        assert hits(client, member, dataset_id, "secret harbour map", strategy) == [], strategy

    client.post(document_path, json={"enabled": True}, headers=member.headers)
    assert len(hits(client, member, dataset_id, "harbour")) == 1


def test_recent_queries_are_the_latest_ten_newest_first(app, client, member):
    dataset_id = create_dataset(client, member)
    assert queries(client, member, dataset_id) == []
    for i in range(12):
        hits(client, member, dataset_id, f"question {i}", ("full_text", "semantic", "hybrid")[i % 3])

    recent = queries(client, member, dataset_id)
    assert [item["query"] for item in recent] == [f"question {i}" for i in range(11, 1, -1)]
    assert all(set(item) == QUERY_FIELDS for item in recent)
    assert all(item["source"] == "Hit Testing" and item["dataset_id"] == dataset_id for item in recent)
    assert all(isinstance(item["created_at"], int) and item["created_at"] > 0 for item in recent)
    assert [item["created_at"] for item in recent] == sorted((item["created_at"] for item in recent), reverse=True)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"query": None}, "query"),
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({"query": "问" * 201}, "query"),
        ({"retrieval_strategy": None}, "retrieval_strategy"),
        ({"retrieval_strategy": "keyword"}, "retrieval_strategy"),
        ({"k": None}, "k"),
        ({"k": -1}, "k"),
        ({"k": 11}, "k"),
        ({"k": 2.5}, "k"),
        ({"k": "3"}, "k"),
        ({"score": None}, "score"),
        ({"score": -0.01}, "score"),
        ({"score": 1.01}, "score"),
        ({"score": "0.5"}, "score"),
    ],
)
def test_hit_constraints(client, member, change, field):
    dataset_id = create_dataset(client, member)
    body = {"query": "LLMOps", "retrieval_strategy": "hybrid", "k": 10, "score": 0.4}
    body.update(change)
    body = {key: value for key, value in body.items() if value is not None}
    resp = client.post(f"/datasets/{dataset_id}/hit", json=body, headers=member.headers)
    assert resp.status_code == 400
    assert resp.json["code"] == "validate_error" and resp.json["message"].startswith(field), resp.json
    assert queries(client, member, dataset_id) == []


def test_limits_are_inclusive(client, member):
    dataset_id = create_dataset(client, member)
    for k, score in ((0, 0), (10, 1), (10, 0.999)):
        assert hits(client, member, dataset_id, "问" * 200, "semantic", k, score) == []
    assert len(queries(client, member, dataset_id)) == 3


def test_another_accounts_dataset_is_not_found(app, client, member, other_member):
    dataset_id = create_dataset(client, other_member)
    for resp in (
        hit(client, member, dataset_id, "anything"),
        client.get(f"/datasets/{dataset_id}/queries", headers=member.headers),
        hit(client, member, "00000000-0000-4000-8000-000000000000", "anything"),
    ):
        assert resp.status_code == 404 and resp.json["code"] == "not_found", resp.json
    assert queries(client, other_member, dataset_id) == []


@pytest.mark.parametrize(("method", "path"), [("POST", "hit"), ("GET", "queries")])
def test_both_routes_need_a_login(client, method, path):
    resp = client.open(f"/datasets/00000000-0000-4000-8000-000000000000/{path}", method=method, json={})
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"
