"""llmops-api.md §4.15-4.20 segments: list, add, update, switch, delete and detail, each reflected in the vector
store and the keyword index before the answer."""

import hashlib
import time

import pytest

from test.api.assertions import assert_not_found, assert_validate_error
from test.api.knowledge_base import (
    add_documents,
    build_document,
    create_dataset,
    keyword_hits,
    list_segments,
    upload,
    vector_hits,
    wait_for_batch,
)

SEGMENT_FIELDS = {
    "id", "document_id", "dataset_id", "position", "content", "keywords", "character_count", "token_count",
    "hit_count", "enabled", "disabled_at", "status", "error", "updated_at", "created_at",
}  # fmt: skip
PARAGRAPHS = [
    "Flask is a lightweight web framework for Python applications.",
    "PostgreSQL stores relational data with strong transactional guarantees.",
    "Redis keeps frequently used values in memory for fast access.",
]
# One paragraph per segment: each line is cut on its own with this rule.
ONE_PER_LINE = {
    "pre_process_rules": [{"id": "remove_extra_space", "enabled": True}],
    "segment": {"separators": ["\n\n"], "chunk_size": 100, "chunk_overlap": 0},
}
NEW_CONTENT = "向量数据库根据语义相似度查找最接近的文本片段。"


@pytest.fixture
def document(app, client, member):
    """A built document of three one-paragraph segments: (dataset_id, document_id, segments)."""
    dataset_id = create_dataset(client, member)
    text = "\n\n".join(" ".join([paragraph] * 6) for paragraph in PARAGRAPHS)
    progress = build_document(
        app, client, member, dataset_id, "stack.txt", text.encode(), process_type="custom", rule=ONE_PER_LINE
    )
    assert progress["status"] == "completed", progress
    segments = list_segments(client, member, dataset_id, progress["id"])
    assert len(segments) == 3
    return dataset_id, progress["id"], segments


def segments_path(dataset_id, document_id, *rest):
    return "/".join([f"/datasets/{dataset_id}/documents/{document_id}/segments", *rest])


def get_segment(client, member, dataset_id, document_id, segment_id):
    return client.get(segments_path(dataset_id, document_id, segment_id), headers=member.headers)


def get_document(client, member, dataset_id, document_id):
    return client.get(f"/datasets/{dataset_id}/documents/{document_id}", headers=member.headers).json["data"]




# --- list and detail ------------------------------------------------------------------------------------------


def test_list_is_in_document_order_with_every_documented_field(client, member, document):
    dataset_id, document_id, segments = document
    resp = client.get(segments_path(dataset_id, document_id), headers=member.headers)
    assert resp.json["code"] == "success"
    data = resp.json["data"]
    assert data["paginator"] == {"current_page": 1, "page_size": 20, "total_page": 1, "total_record": 3}
    for position, (item, paragraph) in enumerate(zip(data["list"], PARAGRAPHS, strict=True), start=1):
        assert set(item) == SEGMENT_FIELDS  # no hash in the list
        assert item["position"] == position and paragraph in item["content"]
        assert (item["document_id"], item["dataset_id"]) == (document_id, dataset_id)
        assert (item["status"], item["enabled"], item["disabled_at"], item["error"], item["hit_count"]) == (
            "completed", True, 0, "", 0,
        )  # fmt: skip
        assert item["keywords"] and item["token_count"] > 0 and item["character_count"] == len(item["content"])


def test_list_pages_and_searches_content(client, member, document):
    dataset_id, document_id, _ = document

    def contents(**query):
        resp = client.get(segments_path(dataset_id, document_id), query_string=query, headers=member.headers)
        return resp.json["data"]

    page = contents(page_size=2, current_page=2)
    assert [item["position"] for item in page["list"]] == [3]
    assert page["paginator"] == {"current_page": 2, "page_size": 2, "total_page": 2, "total_record": 3}
    assert [item["position"] for item in contents(search_word="postgresql")["list"]] == [2]  # case-insensitive
    assert contents(search_word="%")["list"] == []
    assert len(contents(search_word="")["list"]) == 3
    for query, field in (({"page_size": 0}, "page_size"), ({"page_size": 51}, "page_size"), ({"current_page": 0}, "current_page")):
        assert_validate_error(client.get(segments_path(dataset_id, document_id), query_string=query, headers=member.headers), field)


def test_detail_adds_the_hash_of_the_content(client, member, document):
    dataset_id, document_id, segments = document
    resp = get_segment(client, member, dataset_id, document_id, segments[0]["id"])
    assert resp.json["code"] == "success" and resp.json["message"] == ""
    data = resp.json["data"]
    assert set(data) == SEGMENT_FIELDS | {"hash"}
    assert data["hash"] == hashlib.sha256(data["content"].encode()).hexdigest()
    assert {key: value for key, value in data.items() if key != "hash"} == segments[0]


# --- create -----------------------------------------------------------------------------------------------------


def test_a_new_segment_goes_last_with_extracted_keywords_and_is_retrievable(app, client, member, document):
    dataset_id, document_id, segments = document
    characters_before = get_document(client, member, dataset_id, document_id)["character_count"]

    resp = client.post(segments_path(dataset_id, document_id), json={"content": NEW_CONTENT}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "新增文档片段成功"}

    listed = list_segments(client, member, dataset_id, document_id)
    new = listed[-1]
    assert len(listed) == 4 and new["position"] == 4 and new["content"] == NEW_CONTENT
    assert new["keywords"] and "向量" in "".join(new["keywords"])
    assert (new["status"], new["enabled"], new["character_count"]) == ("completed", True, len(NEW_CONTENT))
    assert new["token_count"] > 0
    assert get_segment(client, member, dataset_id, document_id, new["id"]).json["data"]["hash"] == (
        hashlib.sha256(NEW_CONTENT.encode()).hexdigest()
    )
    document_row = get_document(client, member, dataset_id, document_id)
    assert document_row["character_count"] == characters_before + len(NEW_CONTENT)
    assert document_row["segment_count"] == 4

    assert max(vector_hits(app, dataset_id, NEW_CONTENT).items(), key=lambda hit: hit[1])[0] == new["id"]
    assert new["id"] in keyword_hits(app, dataset_id, "向量数据库")


def test_supplied_keywords_are_kept_as_they_are(client, member, document):
    dataset_id, document_id, _ = document
    body = {"content": NEW_CONTENT, "keywords": ["Python", "Flask", "工程师"]}
    assert client.post(segments_path(dataset_id, document_id), json=body, headers=member.headers).json["code"] == "success"
    assert list_segments(client, member, dataset_id, document_id)[-1]["keywords"] == ["Python", "Flask", "工程师"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "content"),
        ({"content": ""}, "content"),
        ({"content": "   \n "}, "content"),
        ({"content": 42}, "content"),
        ({"content": "ok", "keywords": "Python"}, "keywords"),
        ({"content": "ok", "keywords": [""]}, "keywords[0]"),
        ({"content": "ok", "keywords": ["k"] * 51}, "keywords"),
    ],
)
def test_create_constraints(client, member, document, body, field):
    dataset_id, document_id, _ = document
    assert_validate_error(client.post(segments_path(dataset_id, document_id), json=body, headers=member.headers), field)
    assert len(list_segments(client, member, dataset_id, document_id)) == 3


def test_content_is_limited_to_1000_tokens(client, member, document):
    dataset_id, document_id, _ = document
    too_long = "token " * 1001  # one token per word
    assert_validate_error(client.post(segments_path(dataset_id, document_id), json={"content": too_long}, headers=member.headers), "content")
    just_right = "token " * 990
    assert client.post(segments_path(dataset_id, document_id), json={"content": just_right}, headers=member.headers).json["code"] == "success"
    assert list_segments(client, member, dataset_id, document_id)[-1]["token_count"] <= 1000


def test_a_document_still_being_built_takes_no_new_segments(app, client, member):
    dataset_id = create_dataset(client, member)
    data = add_documents(client, member, dataset_id, [upload(client, member, "bad.pdf", b"%PDF-1.4 not a pdf")])
    document_id = data["documents"][0]["id"]
    [progress] = wait_for_batch(app, client, member, dataset_id, data["batch"])
    assert progress["status"] == "error"

    resp = client.post(segments_path(dataset_id, document_id), json={"content": NEW_CONTENT}, headers=member.headers)
    assert resp.status_code == 400 and resp.json["code"] == "fail"
    assert list_segments(client, member, dataset_id, document_id) == []


# --- update -------------------------------------------------------------------------------------------------------


def test_update_re_embeds_and_re_indexes_the_segment(app, client, member, document):
    dataset_id, document_id, segments = document
    target = segments[0]
    assert max(vector_hits(app, dataset_id, target["content"]).items(), key=lambda hit: hit[1])[0] == target["id"]

    body = {"content": NEW_CONTENT, "keywords": ["向量", "相似度"]}
    resp = client.post(segments_path(dataset_id, document_id, target["id"]), json=body, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改文档片段信息成功"}

    data = get_segment(client, member, dataset_id, document_id, target["id"]).json["data"]
    assert (data["content"], data["keywords"], data["position"]) == (NEW_CONTENT, ["向量", "相似度"], 1)
    assert data["hash"] == hashlib.sha256(NEW_CONTENT.encode()).hexdigest()
    assert data["character_count"] == len(NEW_CONTENT) and 0 < data["token_count"] < target["token_count"]

    hits = vector_hits(app, dataset_id, NEW_CONTENT)
    assert max(hits.items(), key=lambda hit: hit[1])[0] == target["id"] and hits[target["id"]] > 0.99
    assert target["id"] in keyword_hits(app, dataset_id, "向量数据库")
    assert target["id"] not in keyword_hits(app, dataset_id, "lightweight framework")
    assert get_document(client, member, dataset_id, document_id)["character_count"] == sum(
        item["character_count"] for item in list_segments(client, member, dataset_id, document_id)
    )


def test_update_without_keywords_extracts_them_again(client, member, document):
    dataset_id, document_id, segments = document
    resp = client.post(segments_path(dataset_id, document_id, segments[1]["id"]), json={"content": NEW_CONTENT}, headers=member.headers)
    assert resp.json["code"] == "success"
    keywords = get_segment(client, member, dataset_id, document_id, segments[1]["id"]).json["data"]["keywords"]
    assert keywords and keywords != segments[1]["keywords"]


def test_update_constraints(client, member, document):
    dataset_id, document_id, segments = document
    path = segments_path(dataset_id, document_id, segments[0]["id"])
    assert_validate_error(client.post(path, json={"content": ""}, headers=member.headers), "content")
    assert_validate_error(client.post(path, json={"content": "token " * 1001}, headers=member.headers), "content")
    assert get_segment(client, member, dataset_id, document_id, segments[0]["id"]).json["data"]["content"] == segments[0]["content"]


# --- switch and delete ---------------------------------------------------------------------------------------------


def test_disabling_a_segment_hides_it_from_retrieval_at_once(app, client, member, document):
    dataset_id, document_id, segments = document
    target = segments[2]
    assert target["id"] in vector_hits(app, dataset_id, target["content"])

    before = int(time.time())
    resp = client.post(segments_path(dataset_id, document_id, target["id"], "enabled"), json={"enabled": False}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改片段状态成功"}
    data = get_segment(client, member, dataset_id, document_id, target["id"]).json["data"]
    assert data["enabled"] is False and before - 1 <= data["disabled_at"] <= int(time.time()) + 1
    assert target["id"] not in vector_hits(app, dataset_id, target["content"])
    assert target["id"] not in keyword_hits(app, dataset_id, "redis memory")
    assert segments[0]["id"] in vector_hits(app, dataset_id, segments[0]["content"])  # the others stay

    resp = client.post(segments_path(dataset_id, document_id, target["id"], "enabled"), json={"enabled": True}, headers=member.headers)
    assert resp.json["code"] == "success"
    data = get_segment(client, member, dataset_id, document_id, target["id"]).json["data"]
    assert data["enabled"] is True and data["disabled_at"] == 0
    assert target["id"] in vector_hits(app, dataset_id, target["content"])
    assert target["id"] in keyword_hits(app, dataset_id, "redis memory")


def test_a_segment_enabled_under_a_disabled_document_stays_hidden(app, client, member, document):
    dataset_id, document_id, segments = document
    target = segments[0]
    path = segments_path(dataset_id, document_id, target["id"], "enabled")
    assert client.post(path, json={"enabled": False}, headers=member.headers).json["code"] == "success"
    resp = client.post(f"/datasets/{dataset_id}/documents/{document_id}/enabled", json={"enabled": False}, headers=member.headers)
    assert resp.json["code"] == "success"

    assert client.post(path, json={"enabled": True}, headers=member.headers).json["code"] == "success"
    assert target["id"] not in vector_hits(app, dataset_id, target["content"])
    # Switching the document back on brings back every enabled segment, this one included.
    resp = client.post(f"/datasets/{dataset_id}/documents/{document_id}/enabled", json={"enabled": True}, headers=member.headers)
    assert resp.json["code"] == "success"
    assert target["id"] in vector_hits(app, dataset_id, target["content"])


def test_enabled_must_be_a_boolean(client, member, document):
    dataset_id, document_id, segments = document
    path = segments_path(dataset_id, document_id, segments[0]["id"], "enabled")
    assert_validate_error(client.post(path, json={}, headers=member.headers), "enabled")
    assert_validate_error(client.post(path, json={"enabled": "sometimes"}, headers=member.headers), "enabled")


def test_delete_removes_the_segment_from_both_indexes_and_the_counts(app, client, member, document):
    dataset_id, document_id, segments = document
    target = segments[1]
    resp = client.post(segments_path(dataset_id, document_id, target["id"], "delete"), headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "删除文档片段成功"}

    assert_not_found(get_segment(client, member, dataset_id, document_id, target["id"]))
    remaining = list_segments(client, member, dataset_id, document_id)
    assert [item["id"] for item in remaining] == [segments[0]["id"], segments[2]["id"]]
    assert target["id"] not in vector_hits(app, dataset_id, target["content"])
    assert target["id"] not in keyword_hits(app, dataset_id, "postgresql relational")
    document_row = get_document(client, member, dataset_id, document_id)
    assert document_row["segment_count"] == 2
    assert document_row["character_count"] == sum(item["character_count"] for item in remaining)
    assert_not_found(client.post(segments_path(dataset_id, document_id, target["id"], "delete"), headers=member.headers))

    # A segment added afterwards still goes after the last one.
    client.post(segments_path(dataset_id, document_id), json={"content": NEW_CONTENT}, headers=member.headers)
    assert list_segments(client, member, dataset_id, document_id)[-1]["position"] == 4


# --- ownership and nesting ------------------------------------------------------------------------------------------


def test_another_accounts_segments_are_not_found_anywhere(app, client, member, other_member, document):
    dataset_id, document_id, segments = document
    segment_id = segments[0]["id"]
    for resp in (
        client.get(segments_path(dataset_id, document_id), headers=other_member.headers),
        client.post(segments_path(dataset_id, document_id), json={"content": "x"}, headers=other_member.headers),
        get_segment(client, other_member, dataset_id, document_id, segment_id),
        client.post(segments_path(dataset_id, document_id, segment_id), json={"content": "x"}, headers=other_member.headers),
        client.post(segments_path(dataset_id, document_id, segment_id, "enabled"), json={"enabled": False}, headers=other_member.headers),
        client.post(segments_path(dataset_id, document_id, segment_id, "delete"), headers=other_member.headers),
    ):
        assert_not_found(resp)
    assert get_segment(client, member, dataset_id, document_id, segment_id).json["data"] == {
        **segments[0],
        "hash": hashlib.sha256(segments[0]["content"].encode()).hexdigest(),
    }
    assert segment_id in vector_hits(app, dataset_id, segments[0]["content"])


def test_ids_that_do_not_belong_together_are_not_found(app, client, member, document):
    dataset_id, document_id, segments = document
    segment_id = segments[0]["id"]
    other_dataset = create_dataset(client, member)
    sibling = build_document(app, client, member, dataset_id, "sibling.txt", "同一个知识库里的另一份文档。".encode())

    for dataset, doc in ((other_dataset, document_id), (dataset_id, sibling["id"])):
        assert_not_found(get_segment(client, member, dataset, doc, segment_id))
        assert_not_found(client.post(segments_path(dataset, doc, segment_id), json={"content": "x"}, headers=member.headers))
        assert_not_found(
            client.post(segments_path(dataset, doc, segment_id, "enabled"), json={"enabled": False}, headers=member.headers)
        )
        assert_not_found(client.post(segments_path(dataset, doc, segment_id, "delete"), headers=member.headers))
    assert_not_found(client.get(segments_path(other_dataset, document_id), headers=member.headers))
    assert_not_found(client.post(segments_path(other_dataset, document_id), json={"content": "x"}, headers=member.headers))
    missing = "00000000-0000-4000-8000-000000000000"
    assert_not_found(get_segment(client, member, dataset_id, document_id, missing))
    assert len(list_segments(client, member, dataset_id, document_id)) == 3
    assert len(list_segments(client, member, dataset_id, sibling["id"])) == 1


def test_every_route_needs_a_login(client, document):
    dataset_id, document_id, segments = document
    for method, path in (
        ("GET", segments_path(dataset_id, document_id)),
        ("POST", segments_path(dataset_id, document_id)),
        ("GET", segments_path(dataset_id, document_id, segments[0]["id"])),
        ("POST", segments_path(dataset_id, document_id, segments[0]["id"], "delete")),
    ):
        resp = client.open(path, method=method, json={})
        assert resp.status_code == 401 and resp.json["code"] == "unauthorized"
