"""llmops-api.md §4.8-4.14 documents: adding files in batches and the indexing pipeline behind them, progress,
names, switches, detail and deletion."""

import hashlib
import re
import time
from datetime import datetime

import pytest

from test.api.assertions import assert_not_found, assert_validate_error
from test.api.knowledge_base import (
    FIXTURES,
    add_documents,
    batch_progress,
    build_document,
    build_running,
    create_dataset,
    keyword_hits,
    list_segments,
    stored_rows,
    upload,
    upload_fixture,
    upload_image,
    vector_hits,
    wait_for,
    wait_for_batch,
)

FORMATS = [
    "sample.txt", "sample.md", "sample.pdf", "sample.docx", "sample.html",
    "sample.csv", "sample.xlsx", "sample.json", "sample_gbk.txt", "sample_utf16.txt",
]  # fmt: skip
ROW_FIELDS = {
    "id", "name", "character_count", "hit_count", "position", "enabled", "disabled_at", "status", "error",
    "updated_at", "created_at",
}  # fmt: skip
PROGRESS_FIELDS = {
    "id", "name", "size", "extension", "mime_type", "position", "segment_count", "completed_segment_count",
    "error", "status", "processing_started_at", "parsing_completed_at", "splitting_completed_at",
    "completed_at", "stopped_at", "created_at",
}  # fmt: skip
MISSING = object()
RETRIEVAL = "Hybrid retrieval combines keyword search with semantic search."
SAMPLE = f"知识库会把上传的文档切分成片段，再为每个片段生成向量。\n\n{RETRIEVAL}".encode()
CUSTOM_RULE = {
    "pre_process_rules": [
        {"id": "remove_extra_space", "enabled": True},
        {"id": "remove_url_and_email", "enabled": True},
    ],
    "segment": {"separators": ["\n"], "chunk_size": 100, "chunk_overlap": 0},
}


def documents_path(dataset_id, *rest):
    return "/".join([f"/datasets/{dataset_id}/documents", *rest])


def get_document(client, member, dataset_id, document_id):
    return client.get(documents_path(dataset_id, document_id), headers=member.headers)


def set_enabled(client, member, dataset_id, document_id, enabled):
    return client.post(documents_path(dataset_id, document_id, "enabled"), json={"enabled": enabled}, headers=member.headers)




def long_text(paragraphs: int) -> bytes:
    """Distinct paragraphs of about 120 tokens each, so a build takes a while."""
    lines = []
    for number in range(paragraphs):
        words = " ".join(f"topic{number}word{index}" for index in range(40))
        lines.append(f"第{number}段：关于主题{number}的说明。{words}")
    return "\n\n".join(lines).encode()


# --- the pipeline, end to end --------------------------------------------------------------------------


def test_every_supported_format_is_built_into_segments(app, client, member):
    dataset_id = create_dataset(client, member)
    upload_ids = [upload_fixture(client, member, name) for name in FORMATS]
    before = int(time.time())

    data = add_documents(client, member, dataset_id, upload_ids)

    # The answer comes at once, with every document waiting and the batch id.
    assert set(data) == {"documents", "batch"}
    assert re.fullmatch(r"\d{20}", data["batch"])
    stamp = datetime.strptime(data["batch"][:14], "%Y%m%d%H%M%S")
    assert abs((stamp - datetime.now()).total_seconds()) < 60
    assert 100000 <= int(data["batch"][14:]) <= 999999
    assert [item["name"] for item in data["documents"]] == FORMATS
    for item in data["documents"]:
        assert set(item) == {"id", "name", "status", "created_at"}
        assert item["status"] == "waiting" and before - 1 <= item["created_at"] <= int(time.time()) + 1

    progress = wait_for_batch(app, client, member, dataset_id, data["batch"])
    assert [item["id"] for item in progress] == [item["id"] for item in data["documents"]]
    assert [item["position"] for item in progress] == list(range(1, 11))
    for item, name in zip(progress, FORMATS, strict=True):
        assert set(item) == PROGRESS_FIELDS
        assert (item["status"], item["error"]) == ("completed", ""), (name, item)
        assert item["name"] == name and item["size"] == (FIXTURES / name).stat().st_size
        assert item["extension"] == "." + name.rsplit(".", 1)[1]
        assert item["mime_type"] and "/" in item["mime_type"]
        assert item["segment_count"] == item["completed_segment_count"] >= 1
        assert (
            before - 1
            <= item["processing_started_at"]
            <= item["parsing_completed_at"]
            <= item["splitting_completed_at"]
            <= item["completed_at"]
            <= int(time.time()) + 1
        )
        assert item["stopped_at"] == 0

        segments = list_segments(client, member, dataset_id, item["id"])
        assert len(segments) == item["segment_count"]
        assert [segment["position"] for segment in segments] == list(range(1, len(segments) + 1))
        for segment in segments:
            assert segment["status"] == "completed" and segment["enabled"] is True
            assert segment["keywords"] and all(isinstance(word, str) and word for word in segment["keywords"])
            assert segment["token_count"] > 0 and segment["character_count"] == len(segment["content"])
            detail = client.get(
                documents_path(dataset_id, item["id"], "segments", segment["id"]), headers=member.headers
            ).json["data"]
            assert detail["hash"] == hashlib.sha256(segment["content"].encode()).hexdigest()

    # Every format's text is findable: the English sentence all fixtures share, and Chinese.
    all_text = " ".join(
        segment["content"] for item in progress for segment in list_segments(client, member, dataset_id, item["id"])
    )
    assert "知识库" in all_text and "semantic search" in all_text
    assert vector_hits(app, dataset_id, RETRIEVAL)
    assert keyword_hits(app, dataset_id, "知识库")


def test_the_built_document_counts_its_segments(app, client, member):
    dataset_id = create_dataset(client, member)
    progress = build_document(app, client, member, dataset_id, "notes.txt", SAMPLE)
    segments = list_segments(client, member, dataset_id, progress["id"])

    resp = get_document(client, member, dataset_id, progress["id"])
    assert resp.json["code"] == "success" and resp.json["message"] == ""
    data = resp.json["data"]
    assert set(data) == ROW_FIELDS | {"dataset_id", "segment_count"}
    assert data["dataset_id"] == dataset_id and data["name"] == "notes.txt"
    assert data["segment_count"] == len(segments)
    assert data["character_count"] == sum(segment["character_count"] for segment in segments)
    assert (data["status"], data["enabled"], data["disabled_at"], data["error"], data["hit_count"]) == (
        "completed", True, 0, "", 0,
    )  # fmt: skip
    assert data["position"] == 1


def test_a_custom_rule_is_applied_and_the_documents_misspelling_is_accepted(app, client, member):
    dataset_id = create_dataset(client, member)
    # Lines of about 60 tokens: two never fit in one 100-token segment, so every line is one.
    alpha, beta, gamma = (" ".join([word] * 60) for word in ("alpha", "beta", "gamma"))
    second = f"第二行 联系 admin@example.com 或访问 https://example.com/page {beta}"
    text = f"第一行  有   多余的空格 {alpha}\n{second}\n{second}\n第三行 {gamma}"
    # llmops-api-index.md D32: the document's own example spells the key `pre_proces_rules`.
    rule = {"pre_proces_rules": CUSTOM_RULE["pre_process_rules"], "segment": CUSTOM_RULE["segment"]}
    progress = build_document(
        app, client, member, dataset_id, "rules.txt", text.encode(), process_type="custom", rule=rule
    )
    assert progress["status"] == "completed", progress

    contents = [segment["content"] for segment in list_segments(client, member, dataset_id, progress["id"])]
    # Cut at lines, spaces collapsed, links and e-mails gone, and the repeated line indexed once.
    assert contents == [f"第一行 有 多余的空格 {alpha}", f"第二行 联系 或访问 {beta}", f"第三行 {gamma}"]


def test_positions_continue_after_the_datasets_last_document(app, client, member):
    dataset_id = create_dataset(client, member)
    first = add_documents(client, member, dataset_id, [upload(client, member, "a.txt", b"alpha"), upload(client, member, "b.txt", b"beta")])
    second = add_documents(client, member, dataset_id, [upload(client, member, "c.txt", b"gamma")])
    assert first["batch"] != second["batch"]
    positions = {
        item["name"]: item["position"]
        for batch in (first["batch"], second["batch"])
        for item in wait_for_batch(app, client, member, dataset_id, batch)
    }
    assert positions == {"a.txt": 1, "b.txt": 2, "c.txt": 3}


def test_progress_is_visible_while_a_large_document_is_indexed(app, client, member):
    dataset_id = create_dataset(client, member)
    data = add_documents(client, member, dataset_id, [upload(client, member, "long.txt", long_text(800))])
    seen = set()

    def finished():
        [item] = batch_progress(client, member, dataset_id, data["batch"])
        seen.add((item["status"], item["segment_count"], item["completed_segment_count"]))
        return item if item["status"] in ("completed", "error") else None

    item = wait_for(app, finished, "the large document")
    assert item["status"] == "completed" and item["segment_count"] >= 100
    # Segments become completed batch by batch, not all at once at the end.
    partial = {done for status, total, done in seen if status == "indexing" and 0 < done < total}
    assert partial, sorted(seen)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.pdf", b"%PDF-1.7\nthis is not really a pdf", "PDF"),
        ("blank.pdf", (FIXTURES / "blank.pdf").read_bytes(), "PDF"),
        ("encrypted.pdf", (FIXTURES / "encrypted.pdf").read_bytes(), "加密"),
        ("weird.txt", b"hello \x80\xff world", "编码"),
        ("spaces.md", b"   \n\n   \t  ", ""),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 40, "Word"),
    ],
)
def test_a_file_that_cannot_be_parsed_ends_in_error_with_nothing_indexed(app, client, member, name, content, message):
    dataset_id = create_dataset(client, member)
    progress = build_document(app, client, member, dataset_id, name, content)

    assert progress["status"] == "error"
    assert progress["error"] and message in progress["error"], progress["error"]
    assert progress["stopped_at"] >= progress["processing_started_at"] > 0
    assert progress["completed_at"] == 0
    assert progress["segment_count"] == progress["completed_segment_count"] == 0
    assert stored_rows(app, progress["id"]) == (0, 0)

    row = get_document(client, member, dataset_id, progress["id"]).json["data"]
    assert (row["status"], row["enabled"], row["error"]) == ("error", False, progress["error"])
    # A failed document cannot be switched on.
    resp = set_enabled(client, member, dataset_id, progress["id"], True)
    assert resp.status_code == 400 and resp.json["code"] == "fail"


def test_one_failing_file_does_not_stop_the_rest_of_its_batch(app, client, member):
    dataset_id = create_dataset(client, member)
    ids = [upload(client, member, "bad.pdf", b"%PDF-1.4 garbage"), upload(client, member, "good.txt", SAMPLE)]
    progress = wait_for_batch(app, client, member, dataset_id, add_documents(client, member, dataset_id, ids)["batch"])
    assert [item["status"] for item in progress] == ["error", "completed"]


# --- create constraints ---------------------------------------------------------------------------------


def custom(pre_process_rules=MISSING, **segment) -> dict:
    """A custom-rule body: CUSTOM_RULE with the given changes (MISSING drops a key)."""
    rule = {**CUSTOM_RULE, "segment": _without_missing({**CUSTOM_RULE["segment"], **segment})}
    if pre_process_rules is not MISSING:
        rule["pre_process_rules"] = pre_process_rules
    return {"process_type": "custom", "rule": rule}


def _without_missing(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not MISSING}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"upload_file_ids": MISSING, "process_type": "automatic"}, "upload_file_ids"),
        ({"upload_file_ids": [], "process_type": "automatic"}, "upload_file_ids"),
        ({"upload_file_ids": ["not-a-uuid"], "process_type": "automatic"}, "upload_file_ids[0]"),
        ({"process_type": "manual"}, "process_type"),
        ({}, "process_type"),
        ({"process_type": "custom"}, "rule"),
        ({"process_type": "custom", "rule": {"pre_process_rules": []}}, "rule.segment"),
        (custom([{"id": "remove_all", "enabled": True}]), "rule.pre_process_rules[0].id"),
        (custom([{"id": "remove_extra_space"}]), "rule.pre_process_rules[0].enabled"),
        (custom([{"id": "remove_extra_space", "enabled": True}] * 2), "rule.pre_process_rules"),
        (custom(separators=[]), "rule.segment.separators"),
        (custom(separators="\n"), "rule.segment.separators"),
        (custom(separators=["(unclosed"]), "rule.segment.separators[0]"),
        (custom(chunk_size=99), "rule.segment.chunk_size"),
        (custom(chunk_size=1001), "rule.segment.chunk_size"),
        (custom(chunk_overlap=-1), "rule.segment.chunk_overlap"),
        (custom(chunk_overlap=51), "rule.segment.chunk_overlap"),  # at most half of chunk_size
        (custom(chunk_overlap=MISSING), "rule.segment.chunk_overlap"),
        (custom(chunk_size=MISSING), "rule.segment.chunk_size"),
    ],
)
def test_create_constraints(client, member, body, field):
    dataset_id = create_dataset(client, member)
    upload_id = upload(client, member, "a.txt", SAMPLE)
    body = _without_missing({"upload_file_ids": [upload_id], **body})
    assert_validate_error(client.post(documents_path(dataset_id), json=body, headers=member.headers), field)
    assert client.get(documents_path(dataset_id), headers=member.headers).json["data"]["list"] == []


def test_at_most_ten_distinct_files_per_batch(client, member):
    dataset_id = create_dataset(client, member)
    ids = [upload(client, member, f"{index}.txt", f"文件{index}".encode()) for index in range(11)]
    assert_validate_error(
        client.post(documents_path(dataset_id), json={"upload_file_ids": ids, "process_type": "automatic"}, headers=member.headers),
        "upload_file_ids",
    )
    assert_validate_error(
        client.post(
            documents_path(dataset_id),
            json={"upload_file_ids": [ids[0], ids[0]], "process_type": "automatic"},
            headers=member.headers,
        ),
        "upload_file_ids",
    )
    assert client.get(documents_path(dataset_id), headers=member.headers).json["data"]["list"] == []


def test_uploads_must_be_the_callers_documents(client, member, other_member):
    dataset_id = create_dataset(client, member)
    mine = upload(client, member, "mine.txt", SAMPLE)
    theirs = upload(client, other_member, "theirs.txt", SAMPLE)
    image = upload_image(client, member)

    def create(ids):
        return client.post(documents_path(dataset_id), json={"upload_file_ids": ids, "process_type": "automatic"}, headers=member.headers)

    assert_not_found(create([mine, theirs]))
    assert_not_found(create(["00000000-0000-4000-8000-000000000000"]))
    assert_validate_error(create([image]), "upload_file_ids")
    assert client.get(documents_path(dataset_id), headers=member.headers).json["data"]["list"] == []


# --- list, rename, switch -------------------------------------------------------------------------------


def test_list_is_newest_first_paginated_and_searchable_by_name(app, client, member):
    dataset_id = create_dataset(client, member)
    for name in ("接口文档.md", "Prompt Guide.txt", "课程提示词.md"):
        add_documents(client, member, dataset_id, [upload(client, member, name, SAMPLE)])

    data = client.get(documents_path(dataset_id), query_string={"page_size": 2}, headers=member.headers).json["data"]
    assert [item["name"] for item in data["list"]] == ["课程提示词.md", "Prompt Guide.txt"]
    assert data["paginator"] == {"current_page": 1, "page_size": 2, "total_page": 2, "total_record": 3}
    assert all(set(item) == ROW_FIELDS for item in data["list"])
    assert [item["position"] for item in data["list"]] == [3, 2]

    def search(word):
        resp = client.get(documents_path(dataset_id), query_string={"search_word": word}, headers=member.headers)
        return [item["name"] for item in resp.json["data"]["list"]]

    assert search(".md") == ["课程提示词.md", "接口文档.md"]
    assert search("prompt") == ["Prompt Guide.txt"]
    assert search("%") == []
    for size, field in ((0, "page_size"), (51, "page_size")):
        assert_validate_error(client.get(documents_path(dataset_id), query_string={"page_size": size}, headers=member.headers), field)


def test_rename_allows_duplicates_and_any_name(app, client, member):
    dataset_id = create_dataset(client, member)
    data = add_documents(client, member, dataset_id, [upload(client, member, "a.txt", SAMPLE), upload(client, member, "b.txt", SAMPLE)])
    first, second = (item["id"] for item in data["documents"])

    for document_id in (first, second):
        resp = client.post(documents_path(dataset_id, document_id, "name"), json={"name": "同名文档"}, headers=member.headers)
        assert resp.json == {"code": "success", "data": {}, "message": "更新文档信息成功"}
    assert get_document(client, member, dataset_id, first).json["data"]["name"] == "同名文档"
    assert get_document(client, member, dataset_id, second).json["data"]["name"] == "同名文档"

    for body in ({}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}):
        resp = client.post(documents_path(dataset_id, first, "name"), json=body, headers=member.headers)
        assert_validate_error(resp, "name")
    assert client.post(documents_path(dataset_id, first, "name"), json={"name": "x" * 100}, headers=member.headers).json["code"] == "success"


def test_disabling_a_document_hides_it_from_retrieval_at_once(app, client, member):
    dataset_id = create_dataset(client, member)
    progress = build_document(app, client, member, dataset_id, "notes.txt", SAMPLE)
    [segment] = [s for s in list_segments(client, member, dataset_id, progress["id"]) if RETRIEVAL in s["content"]]
    assert segment["id"] in vector_hits(app, dataset_id, RETRIEVAL)
    assert segment["id"] in keyword_hits(app, dataset_id, "hybrid retrieval")

    before = int(time.time())
    resp = set_enabled(client, member, dataset_id, progress["id"], False)
    assert resp.json == {"code": "success", "data": {}, "message": "更改文档启用状态成功"}
    row = get_document(client, member, dataset_id, progress["id"]).json["data"]
    assert row["enabled"] is False and before - 1 <= row["disabled_at"] <= int(time.time()) + 1
    assert vector_hits(app, dataset_id, RETRIEVAL) == {}
    assert keyword_hits(app, dataset_id, "hybrid retrieval") == []
    # The segments keep their own switch; only the document's changed.
    assert all(s["enabled"] for s in list_segments(client, member, dataset_id, progress["id"]))

    assert set_enabled(client, member, dataset_id, progress["id"], True).json["code"] == "success"
    row = get_document(client, member, dataset_id, progress["id"]).json["data"]
    assert row["enabled"] is True and row["disabled_at"] == 0
    assert segment["id"] in vector_hits(app, dataset_id, RETRIEVAL)
    assert segment["id"] in keyword_hits(app, dataset_id, "hybrid retrieval")


def test_a_document_still_waiting_cannot_be_switched(client, member):
    dataset_id = create_dataset(client, member)
    # Not yet completed: read straight from the create answer, before the build can finish.
    data = add_documents(client, member, dataset_id, [upload(client, member, "long.txt", long_text(150))])
    document_id = data["documents"][0]["id"]
    status = get_document(client, member, dataset_id, document_id).json["data"]["status"]
    if status != "completed":
        resp = set_enabled(client, member, dataset_id, document_id, True)
        assert resp.status_code == 400 and resp.json["code"] == "fail" and resp.json["message"]
    assert_validate_error(
        client.post(documents_path(dataset_id, document_id, "enabled"), json={"enabled": "maybe"}, headers=member.headers),
        "enabled",
    )
    assert_validate_error(client.post(documents_path(dataset_id, document_id, "enabled"), json={}, headers=member.headers), "enabled")


# --- delete ---------------------------------------------------------------------------------------------------


def test_delete_removes_the_document_its_segments_terms_and_vectors(app, client, member):
    dataset_id = create_dataset(client, member)
    kept = build_document(app, client, member, dataset_id, "kept.txt", "另一份文档，讲的是模型供应商。".encode())
    progress = build_document(app, client, member, dataset_id, "notes.txt", SAMPLE)
    segment_ids = {s["id"] for s in list_segments(client, member, dataset_id, progress["id"])}
    assert segment_ids & set(vector_hits(app, dataset_id, RETRIEVAL))

    resp = client.post(documents_path(dataset_id, progress["id"], "delete"), headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "删除文档成功"}

    assert_not_found(get_document(client, member, dataset_id, progress["id"]))
    assert [item["id"] for item in client.get(documents_path(dataset_id), headers=member.headers).json["data"]["list"]] == [kept["id"]]
    assert_not_found(client.get(documents_path(dataset_id, progress["id"], "segments"), headers=member.headers))
    assert stored_rows(app, progress["id"]) == (0, 0)
    assert keyword_hits(app, dataset_id, "hybrid retrieval") == []
    wait_for(app, lambda: not segment_ids & set(vector_hits(app, dataset_id, RETRIEVAL)), "the vectors to go")
    assert client.get(f"/datasets/{dataset_id}", headers=member.headers).json["data"]["document_count"] == 1
    # The other document is untouched.
    assert stored_rows(app, kept["id"])[0] >= 1
    assert_not_found(client.post(documents_path(dataset_id, progress["id"], "delete"), headers=member.headers))


def test_deleting_a_document_while_it_is_indexed_leaves_nothing_behind(app, client, member):
    dataset_id = create_dataset(client, member)
    data = add_documents(client, member, dataset_id, [upload(client, member, "long.txt", long_text(1500))])
    document_id = data["documents"][0]["id"]

    def indexing_started():
        [item] = batch_progress(client, member, dataset_id, data["batch"])
        assert item["status"] != "completed", "the build finished before it could be interrupted"
        return item["status"] == "indexing" and item["completed_segment_count"] > 0

    wait_for(app, indexing_started, "some segments to be indexed")
    resp = client.post(documents_path(dataset_id, document_id, "delete"), headers=member.headers)
    assert resp.json["code"] == "success"
    assert_not_found(get_document(client, member, dataset_id, document_id))

    wait_for(app, lambda: not build_running(app, document_id), "the interrupted build to stop")
    assert stored_rows(app, document_id) == (0, 0)
    wait_for(app, lambda: vector_hits(app, dataset_id, "第1段：关于主题1的说明。") == {}, "no vectors left")
    assert keyword_hits(app, dataset_id, "topic1word1") == []


# --- ownership and nesting ---------------------------------------------------------------------------------


def test_another_accounts_documents_are_not_found_anywhere(app, client, member, other_member):
    dataset_id = create_dataset(client, member)
    data = add_documents(client, member, dataset_id, [upload(client, member, "notes.txt", SAMPLE)])
    document_id = data["documents"][0]["id"]
    wait_for_batch(app, client, member, dataset_id, data["batch"])
    theirs = upload(client, other_member, "theirs.txt", SAMPLE)

    for resp in (
        client.get(documents_path(dataset_id), headers=other_member.headers),
        client.post(documents_path(dataset_id), json={"upload_file_ids": [theirs], "process_type": "automatic"}, headers=other_member.headers),
        client.get(documents_path(dataset_id, "batch", data["batch"]), headers=other_member.headers),
        get_document(client, other_member, dataset_id, document_id),
        client.post(documents_path(dataset_id, document_id, "name"), json={"name": "x"}, headers=other_member.headers),
        set_enabled(client, other_member, dataset_id, document_id, False),
        client.post(documents_path(dataset_id, document_id, "delete"), headers=other_member.headers),
        client.get(documents_path(dataset_id, document_id, "segments"), headers=other_member.headers),
    ):
        assert_not_found(resp)

    row = get_document(client, member, dataset_id, document_id).json["data"]
    assert (row["name"], row["enabled"]) == ("notes.txt", True)
    assert client.get(documents_path(dataset_id), headers=other_member.headers).json["code"] == "not_found"


def test_a_document_is_only_found_under_its_own_dataset(app, client, member):
    dataset_id = create_dataset(client, member)
    other_dataset = create_dataset(client, member)
    data = add_documents(client, member, dataset_id, [upload(client, member, "a.txt", SAMPLE)])
    document_id = data["documents"][0]["id"]

    assert_not_found(get_document(client, member, other_dataset, document_id))
    assert_not_found(client.post(documents_path(other_dataset, document_id, "name"), json={"name": "x"}, headers=member.headers))
    assert_not_found(set_enabled(client, member, other_dataset, document_id, False))
    assert_not_found(client.post(documents_path(other_dataset, document_id, "delete"), headers=member.headers))
    assert_not_found(client.get(f"/datasets/{other_dataset}/documents/batch/{data['batch']}", headers=member.headers))
    assert get_document(client, member, dataset_id, document_id).json["code"] == "success"
    wait_for_batch(app, client, member, dataset_id, data["batch"])


def test_unknown_batch_is_not_found(client, member):
    dataset_id = create_dataset(client, member)
    assert_not_found(client.get(f"/datasets/{dataset_id}/documents/batch/20240516234156542163", headers=member.headers))


def test_rule_bounds_are_accepted(app, client, member):
    dataset_id = create_dataset(client, member)
    for body in (custom(chunk_size=1000, chunk_overlap=500, separators=["\n", ""]), custom(chunk_size=100, chunk_overlap=50)):
        data = add_documents(client, member, dataset_id, [upload(client, member, "a.txt", SAMPLE)], **body)
        [progress] = wait_for_batch(app, client, member, dataset_id, data["batch"])
        assert progress["status"] == "completed", progress
