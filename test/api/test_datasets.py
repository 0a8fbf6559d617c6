"""llmops-api.md §4.1-4.5 knowledge bases: list, create, update, detail, delete (with its background clean-up)."""

import time

import pytest

from test.api.assertions import assert_not_found, assert_validate_error, success_data
from test.api.knowledge_base import (
    ICON,
    build_document,
    create_dataset,
    stored_rows,
    vector_hits,
    wait_for,
)

ITEM_FIELDS = {
    "id", "name", "icon", "description", "document_count", "character_count", "related_app_count",
    "app_count", "word_count", "updated_at", "created_at",
}  # fmt: skip
SAMPLE = "知识库会把上传的文档切分成片段，再为每个片段生成向量。\n\nHybrid retrieval combines keyword search with semantic search.".encode()


def get_dataset(client, member, dataset_id):
    return client.get(f"/datasets/{dataset_id}", headers=member.headers)


def list_names(client, member, **query) -> list[str]:
    resp = client.get("/datasets", query_string=query, headers=member.headers)
    return [item["name"] for item in success_data(resp)["list"]]




# --- create and list ------------------------------------------------------------------------------


def test_created_dataset_is_listed_with_every_documented_field(client, member):
    before = int(time.time())
    dataset_id = create_dataset(client, member, "慕课LLMOps知识库", description="课程资料")

    data = client.get("/datasets", headers=member.headers).json["data"]
    assert data["paginator"] == {"current_page": 1, "page_size": 20, "total_page": 1, "total_record": 1}
    [item] = data["list"]
    assert set(item) == ITEM_FIELDS
    assert item["id"] == dataset_id and item["name"] == "慕课LLMOps知识库" and item["icon"] == ICON
    assert item["description"] == "课程资料"
    assert item["document_count"] == item["character_count"] == item["related_app_count"] == 0
    # llmops-api-index.md D1: the pagination sample's names for the same two counts.
    assert item["app_count"] == item["related_app_count"] and item["word_count"] == item["character_count"]
    assert before - 1 <= item["created_at"] <= int(time.time()) + 1
    assert item["updated_at"] >= item["created_at"]


@pytest.mark.parametrize("description", [None, "", "   "])
def test_an_empty_description_is_generated_from_the_name(client, member, description):
    body = {"name": "产品手册", "icon": ICON}
    if description is not None:
        body["description"] = description
    assert client.post("/datasets", json=body, headers=member.headers).json["code"] == "success"
    [item] = client.get("/datasets", headers=member.headers).json["data"]["list"]
    assert item["description"] == "Useful for when you want to answer queries about the 产品手册"


def test_names_are_unique_per_account_only(client, member, other_member):
    create_dataset(client, member, "通用知识库")
    resp = client.post("/datasets", json={"name": "通用知识库", "icon": ICON}, headers=member.headers)
    assert_validate_error(resp, "name")
    assert "已存在" in resp.json["message"]
    # Surrounding spaces are not part of the name.
    assert_validate_error(client.post("/datasets", json={"name": " 通用知识库 ", "icon": ICON}, headers=member.headers), "name")
    create_dataset(client, other_member, "通用知识库")  # another account may use the same name


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"icon": ICON}, "name"),
        ({"name": "", "icon": ICON}, "name"),
        ({"name": "   ", "icon": ICON}, "name"),
        ({"name": "x" * 101, "icon": ICON}, "name"),
        ({"name": "ok"}, "icon"),
        ({"name": "ok", "icon": "not a url"}, "icon"),
        ({"name": "ok", "icon": "ftp://cdn.example.com/a.png"}, "icon"),
        ({"name": "ok", "icon": ICON, "description": "d" * 2001}, "description"),
    ],
)
def test_create_constraints(client, member, body, field):
    assert_validate_error(client.post("/datasets", json=body, headers=member.headers), field)
    assert list_names(client, member) == []


def test_limits_are_inclusive(client, member):
    create_dataset(client, member, "n" * 100, description="d" * 2000)
    [item] = client.get("/datasets", headers=member.headers).json["data"]["list"]
    assert item["name"] == "n" * 100 and item["description"] == "d" * 2000


def test_list_is_newest_first_paginated_and_searchable_by_name(client, member):
    for name in ("天气知识库", "Weather KB", "翻译知识库"):
        create_dataset(client, member, name)

    first = client.get("/datasets", query_string={"page_size": 2}, headers=member.headers).json["data"]
    assert [item["name"] for item in first["list"]] == ["翻译知识库", "Weather KB"]
    assert first["paginator"] == {"current_page": 1, "page_size": 2, "total_page": 2, "total_record": 3}
    assert list_names(client, member, page_size=2, current_page=2) == ["天气知识库"]
    assert list_names(client, member, page_size=2, current_page=3) == []

    assert list_names(client, member, search_word="知识库") == ["翻译知识库", "天气知识库"]
    assert list_names(client, member, search_word="weather") == ["Weather KB"]  # case-insensitive
    assert list_names(client, member, search_word="%") == [] and list_names(client, member, search_word="_") == []
    assert list_names(client, member, search_word="") == ["翻译知识库", "Weather KB", "天气知识库"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"page_size": 0}, "page_size"), ({"page_size": 51}, "page_size"), ({"current_page": 0}, "current_page")],
)
def test_list_query_constraints(client, member, query, field):
    assert_validate_error(client.get("/datasets", query_string=query, headers=member.headers), field)


def test_page_size_bounds_are_accepted(client, member):
    for size in (1, 50):
        assert client.get("/datasets", query_string={"page_size": size}, headers=member.headers).json["code"] == "success"


# --- update -----------------------------------------------------------------------------------------


def test_update_changes_name_icon_and_description(client, member):
    dataset_id = create_dataset(client, member, "旧名字")
    body = {"name": "新名字", "icon": "https://cdn.example.com/new.png", "description": "新的描述"}
    resp = client.post(f"/datasets/{dataset_id}", json=body, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "更新知识库成功"}

    data = get_dataset(client, member, dataset_id).json["data"]
    assert (data["name"], data["icon"], data["description"]) == ("新名字", "https://cdn.example.com/new.png", "新的描述")


def test_update_with_an_empty_description_regenerates_it_from_the_new_name(client, member):
    dataset_id = create_dataset(client, member, "旧名字", description="手写的描述")
    resp = client.post(f"/datasets/{dataset_id}", json={"name": "新名字", "icon": ICON, "description": ""}, headers=member.headers)
    assert resp.json["code"] == "success"
    assert get_dataset(client, member, dataset_id).json["data"]["description"] == (
        "Useful for when you want to answer queries about the 新名字"
    )


def test_update_name_uniqueness_excludes_the_dataset_itself(client, member):
    first = create_dataset(client, member, "甲")
    create_dataset(client, member, "乙")
    assert client.post(f"/datasets/{first}", json={"name": "甲", "icon": ICON}, headers=member.headers).json["code"] == "success"
    assert_validate_error(client.post(f"/datasets/{first}", json={"name": "乙", "icon": ICON}, headers=member.headers), "name")
    assert get_dataset(client, member, first).json["data"]["name"] == "甲"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"icon": ICON}, "name"),
        ({"name": "x" * 101, "icon": ICON}, "name"),
        ({"name": "ok", "icon": "javascript:alert(1)"}, "icon"),
        ({"name": "ok", "icon": ICON, "description": "d" * 2001}, "description"),
    ],
)
def test_update_constraints(client, member, body, field):
    dataset_id = create_dataset(client, member, "原名")
    assert_validate_error(client.post(f"/datasets/{dataset_id}", json=body, headers=member.headers), field)
    assert get_dataset(client, member, dataset_id).json["data"]["name"] == "原名"


# --- detail -------------------------------------------------------------------------------------------


def test_detail_has_the_counts_of_built_documents(app, client, member):
    dataset_id = create_dataset(client, member)
    empty = get_dataset(client, member, dataset_id).json["data"]
    assert set(empty) == (ITEM_FIELDS | {"hit_count"})
    assert (empty["document_count"], empty["character_count"], empty["hit_count"], empty["related_app_count"]) == (0, 0, 0, 0)

    first = build_document(app, client, member, dataset_id, "a.txt", SAMPLE)
    second = build_document(app, client, member, dataset_id, "b.md", "# 标题\n\n第二份文档的内容。".encode())
    assert first["status"] == second["status"] == "completed"

    data = get_dataset(client, member, dataset_id).json["data"]
    documents = client.get(f"/datasets/{dataset_id}/documents", headers=member.headers).json["data"]["list"]
    assert data["document_count"] == 2
    assert data["character_count"] == sum(item["character_count"] for item in documents) > 0
    assert data["hit_count"] == sum(item["hit_count"] for item in documents) == 0
    [item] = client.get("/datasets", headers=member.headers).json["data"]["list"]
    assert item["document_count"] == 2 and item["character_count"] == data["character_count"]


# --- delete -------------------------------------------------------------------------------------------


def test_delete_hides_the_dataset_at_once_and_removes_its_index_in_the_background(app, client, member):
    dataset_id = create_dataset(client, member, "待删除")
    progress = build_document(app, client, member, dataset_id, "a.txt", SAMPLE)
    assert progress["status"] == "completed"
    assert vector_hits(app, dataset_id, "Hybrid retrieval combines keyword search with semantic search.")

    resp = client.post(f"/datasets/{dataset_id}/delete", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "删除知识库成功"}

    assert_not_found(get_dataset(client, member, dataset_id))
    assert list_names(client, member) == []
    assert_not_found(client.get(f"/datasets/{dataset_id}/documents", headers=member.headers))
    assert_not_found(client.get(f"/datasets/{dataset_id}/documents/{progress['id']}", headers=member.headers))
    assert stored_rows(app, progress["id"]) == (0, 0)
    wait_for(app, lambda: not vector_hits(app, dataset_id, "Hybrid retrieval combines keyword search"), "vectors to go")
    # The name is free again straight away.
    create_dataset(client, member, "待删除")


def test_deleting_twice_is_not_found(client, member):
    dataset_id = create_dataset(client, member)
    assert client.post(f"/datasets/{dataset_id}/delete", headers=member.headers).json["code"] == "success"
    assert_not_found(client.post(f"/datasets/{dataset_id}/delete", headers=member.headers))


# --- ownership and auth ---------------------------------------------------------------------------------


def test_another_accounts_dataset_is_not_found_anywhere(client, member, other_member):
    dataset_id = create_dataset(client, member, "我的知识库")

    assert list_names(client, other_member) == []
    assert_not_found(get_dataset(client, other_member, dataset_id))
    assert_not_found(client.post(f"/datasets/{dataset_id}", json={"name": "抢走", "icon": ICON}, headers=other_member.headers))
    assert_not_found(client.post(f"/datasets/{dataset_id}/delete", headers=other_member.headers))

    data = get_dataset(client, member, dataset_id).json["data"]
    assert data["name"] == "我的知识库"


def test_unknown_ids_are_not_found(client, member):
    missing = "00000000-0000-4000-8000-000000000000"
    assert_not_found(get_dataset(client, member, missing))
    assert_not_found(client.post(f"/datasets/{missing}", json={"name": "x", "icon": ICON}, headers=member.headers))
    assert_not_found(client.post(f"/datasets/{missing}/delete", headers=member.headers))
    assert client.get("/datasets/not-a-uuid", headers=member.headers).json["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/datasets"),
        ("POST", "/datasets"),
        ("GET", "/datasets/00000000-0000-4000-8000-000000000000"),
        ("POST", "/datasets/00000000-0000-4000-8000-000000000000"),
        ("POST", "/datasets/00000000-0000-4000-8000-000000000000/delete"),
    ],
)
def test_every_route_needs_a_login(client, method, path):
    resp = client.open(path, method=method, json={})
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"
