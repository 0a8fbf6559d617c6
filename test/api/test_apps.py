"""llmops-api.md §1.1-1.6 apps: create, read, list, copy, edit, delete; ownership of every app endpoint."""

import time
import uuid

import pytest
from sqlalchemy import func, select

from internal.extension.database import db
from internal.model import AppConfig, AppConfigVersion, AppDatasetJoin
from internal.service.app_publish_service import AppPublishService
from test.api.apps import (
    ICON,
    assert_updated,
    builtin_tool_ref,
    create_app,
    create_dataset,
    get_app,
    get_draft,
    list_apps,
    publish,
    update_draft,
    web_app,
)
from test.api.assertions import assert_not_found, assert_validate_error

APP_FIELDS = {
    "id", "debug_conversation_id", "name", "icon", "description", "status", "draft_updated_at", "updated_at",
    "created_at",
}  # fmt: skip
ITEM_FIELDS = {
    "id", "name", "icon", "description", "preset_prompt", "model_config", "status", "updated_at", "created_at",
}  # fmt: skip
DEFAULT_CONFIG = {
    "model_config": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "parameters": {
            "temperature": 0.5,
            "top_p": 0.85,
            "frequency_penalty": 0.2,
            "presence_penalty": 0.2,
            "max_tokens": 8192,
        },
    },
    "dialog_round": 3,
    "preset_prompt": "",
    "tools": [],
    "workflows": [],
    "datasets": [],
    "retrieval_config": {"retrieval_strategy": "semantic", "k": 4, "score": 0.5},
    "long_term_memory": {"enable": False},
    "opening_statement": "",
    "opening_questions": [],
    "speech_to_text": {"enable": False},
    "text_to_speech": {"enable": False, "voice": "echo", "auto_play": False},
    "review_config": {
        "enable": False,
        "keywords": [],
        "inputs_config": {"enable": False, "preset_response": ""},
        "outputs_config": {"enable": False},
    },
    "suggested_after_answer": {"enable": True},
}


def config_of(draft: dict) -> dict:
    return {key: value for key, value in draft.items() if key not in ("id", "updated_at", "created_at")}


# --- create and read ----------------------------------------------------------------------------


def test_created_app_has_its_base_info_and_is_a_draft(client, member):
    before = int(time.time())
    app_id = create_app(client, member, "LLM应用产品经理")

    data = get_app(client, member, app_id)
    assert set(data) == APP_FIELDS
    assert data["id"] == app_id and data["name"] == "LLM应用产品经理" and data["icon"] == ICON
    assert data["description"] == "一个能帮你解答关于LLM应用产品开发的Agent智能体。"
    assert data["status"] == "draft"
    assert data["debug_conversation_id"] == ""  # no debug conversation yet
    for key in ("draft_updated_at", "updated_at", "created_at"):
        assert before - 1 <= data[key] <= int(time.time()) + 1


def test_a_new_app_gets_the_documented_default_draft(client, member):
    app_id = create_app(client, member)
    draft = get_draft(client, member, app_id)
    assert config_of(draft) == DEFAULT_CONFIG
    uuid.UUID(draft["id"])


def test_description_is_optional_and_limits_are_inclusive(client, member):
    app_id = create_app(client, member, "x" * 40, description=None)
    assert get_app(client, member, app_id)["description"] == ""
    resp = client.post("/apps", json={"name": "简短", "icon": ICON}, headers=member.headers)
    assert get_app(client, member, resp.json["data"]["id"])["description"] == ""
    app_id = create_app(client, member, "  有空格的名字  ", description="d" * 800)
    data = get_app(client, member, app_id)
    assert data["name"] == "有空格的名字" and len(data["description"]) == 800


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"icon": ICON}, "name"),
        ({"name": "", "icon": ICON}, "name"),
        ({"name": "   ", "icon": ICON}, "name"),
        ({"name": "x" * 41, "icon": ICON}, "name"),
        ({"name": "应用"}, "icon"),
        ({"name": "应用", "icon": "ftp://cdn.example.com/a.png"}, "icon"),
        ({"name": "应用", "icon": "not a url"}, "icon"),
        ({"name": "应用", "icon": ICON, "description": "d" * 801}, "description"),
    ],
)
def test_create_and_update_constraints_name_the_field(client, member, body, field):
    assert_validate_error(client.post("/apps", json=body, headers=member.headers), field)
    app_id = create_app(client, member)
    assert_validate_error(client.post(f"/apps/{app_id}", json=body, headers=member.headers), field)


def test_unknown_app_is_not_found_and_a_malformed_id_matches_no_route(client, member):
    assert_not_found(client.get(f"/apps/{uuid.uuid4()}", headers=member.headers))
    assert_not_found(client.get("/apps/not-a-uuid", headers=member.headers))


def test_every_app_endpoint_needs_a_login(client, member):
    app_id = create_app(client, member)
    for method, path in [("GET", "/apps"), ("POST", "/apps"), ("GET", f"/apps/{app_id}"), ("POST", f"/apps/{app_id}/publish")]:
        resp = client.open(path, method=method, json={})
        assert resp.status_code == 401 and resp.json["code"] == "unauthorized"


# --- list -----------------------------------------------------------------------------------------


def test_list_is_newest_first_paginated_searchable_and_shows_the_draft_model(client, member, other_member):
    for name in ("客服助手", "Writing Bot", "翻译助手"):
        create_app(client, member, name)
    create_app(client, other_member, "别人的助手")

    first = client.get("/apps", query_string={"page_size": 10}, headers=member.headers).json["data"]
    assert first["paginator"] == {"current_page": 1, "page_size": 10, "total_page": 1, "total_record": 3}
    assert [item["name"] for item in first["list"]] == ["翻译助手", "Writing Bot", "客服助手"]
    item = first["list"][0]
    assert set(item) == ITEM_FIELDS
    assert item["model_config"] == {"provider": "openai", "model": "gpt-4o-mini"}
    assert item["preset_prompt"] == "" and item["status"] == "draft"
    assert isinstance(item["updated_at"], int) and isinstance(item["created_at"], int)

    second = client.get("/apps", query_string={"page_size": 10, "current_page": 2}, headers=member.headers).json["data"]
    assert second["list"] == [] and second["paginator"]["total_record"] == 3

    def search(word):
        return [item["name"] for item in list_apps(client, member, search_word=word)]

    assert search("助手") == ["翻译助手", "客服助手"]
    assert search("writing") == ["Writing Bot"]  # case-insensitive
    assert search("%") == [] and search("_") == []  # wildcards are matched literally
    assert search("") == ["翻译助手", "Writing Bot", "客服助手"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page_size": 9}, "page_size"),
        ({"page_size": 51}, "page_size"),
        ({"current_page": 0}, "current_page"),
        ({"search_word": "x" * 41}, "search_word"),
    ],
)
def test_list_query_constraints(client, member, query, field):
    assert_validate_error(client.get("/apps", query_string=query, headers=member.headers), field)


def test_list_pages_with_ten_per_page(client, member):
    ids = [create_app(client, member, f"应用{index}") for index in range(11)]
    data = client.get("/apps", query_string={"page_size": 10, "current_page": 2}, headers=member.headers).json["data"]
    assert [item["id"] for item in data["list"]] == [ids[0]]
    assert data["paginator"] == {"current_page": 2, "page_size": 10, "total_page": 2, "total_record": 11}


# --- update -----------------------------------------------------------------------------------------


def test_update_changes_only_the_base_info(client, member):
    app_id = create_app(client, member)
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "你是产品经理"}))
    body = {"name": "新名字", "icon": "https://cdn.example.com/new.png", "description": "新的描述"}
    resp = client.post(f"/apps/{app_id}", json=body, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改Agent智能体应用成功"}

    data = get_app(client, member, app_id)
    assert (data["name"], data["icon"], data["description"]) == ("新名字", "https://cdn.example.com/new.png", "新的描述")
    assert data["status"] == "draft"
    assert get_draft(client, member, app_id)["preset_prompt"] == "你是产品经理"

    client.post(f"/apps/{app_id}", json={"name": "新名字", "icon": ICON}, headers=member.headers)
    assert get_app(client, member, app_id)["description"] == ""  # an omitted description clears it


# --- copy -------------------------------------------------------------------------------------------


def test_copy_makes_an_independent_draft_app_with_the_same_info_and_draft(client, member):
    source_id = create_app(client, member, "原应用")
    assert_updated(
        update_draft(
            client,
            member,
            source_id,
            {"preset_prompt": "原始提示词", "tools": [builtin_tool_ref("time", "current_time", timezone="UTC")], "dialog_round": 7},
        )
    )
    publish(client, member, source_id)

    resp = client.post(f"/apps/{source_id}/copy", headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    copy_id = resp.json["data"]["id"]
    assert resp.json["data"] == {"id": copy_id, "app_id": copy_id}  # llmops-api-index.md D5: both keys
    assert copy_id != source_id

    source, copied = get_app(client, member, source_id), get_app(client, member, copy_id)
    assert (copied["name"], copied["icon"], copied["description"]) == (source["name"], source["icon"], source["description"])
    assert copied["status"] == "draft" and web_app(client, member, copy_id) == {"token": "", "status": "draft"}
    source_draft, copy_draft = get_draft(client, member, source_id), get_draft(client, member, copy_id)
    assert copy_draft["id"] != source_draft["id"]
    assert config_of(copy_draft) == config_of(source_draft)
    assert client.get(f"/apps/{copy_id}/publish-histories", headers=member.headers).json["data"]["list"] == []

    # Editing either leaves the other alone.
    assert_updated(update_draft(client, member, copy_id, {"preset_prompt": "副本提示词", "tools": []}))
    assert get_draft(client, member, source_id)["preset_prompt"] == "原始提示词"
    assert len(get_draft(client, member, source_id)["tools"]) == 1
    client.post(f"/apps/{copy_id}", json={"name": "副本", "icon": ICON}, headers=member.headers)
    assert get_app(client, member, source_id)["name"] == "原应用"
    assert_updated(update_draft(client, member, source_id, {"dialog_round": 1}))
    assert get_draft(client, member, copy_id)["dialog_round"] == 7


# --- delete -----------------------------------------------------------------------------------------


def test_delete_removes_the_app_its_configs_versions_bindings_and_web_app(app, client, member):
    app_id = create_app(client, member)
    dataset_id = create_dataset(client, member)
    assert_updated(update_draft(client, member, app_id, {"datasets": [dataset_id]}))
    publish(client, member, app_id)
    token = web_app(client, member, app_id)["token"]
    kept_id = create_app(client, member, "保留的应用")

    resp = client.post(f"/apps/{app_id}/delete", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "删除Agent智能体应用成功"}

    assert_not_found(client.get(f"/apps/{app_id}", headers=member.headers))
    assert_not_found(client.get(f"/apps/{app_id}/draft-app-config", headers=member.headers))
    assert_not_found(client.get(f"/apps/{app_id}/publish-histories", headers=member.headers))
    assert_not_found(client.post(f"/apps/{app_id}/delete", headers=member.headers))
    assert [item["id"] for item in list_apps(client, member)] == [kept_id]
    with app.app_context():
        assert app.extensions["injector"].get(AppPublishService).find_published_by_token(token) is None
        app_uuid = uuid.UUID(app_id)
        for model in (AppConfig, AppConfigVersion, AppDatasetJoin):
            assert db.session.scalar(select(func.count()).select_from(model).where(model.app_id == app_uuid)) == 0


# --- ownership --------------------------------------------------------------------------------------


def _app_endpoints(app_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", f"/apps/{app_id}", None),
        ("POST", f"/apps/{app_id}", {"name": "改名", "icon": ICON}),
        ("POST", f"/apps/{app_id}/copy", None),
        ("GET", f"/apps/{app_id}/draft-app-config", None),
        ("POST", f"/apps/{app_id}/draft-app-config", {"preset_prompt": "改了"}),
        ("POST", f"/apps/{app_id}/publish", None),
        ("POST", f"/apps/{app_id}/cancel-publish", None),
        ("GET", f"/apps/{app_id}/publish-histories", None),
        ("POST", f"/apps/{app_id}/fallback-history", {"app_config_version_id": str(uuid.uuid4())}),
        ("GET", f"/apps/{app_id}/published-config", None),
        ("POST", f"/apps/{app_id}/published-config/regenerate-web-app-token", None),
        ("POST", f"/apps/{app_id}/delete", None),
    ]


def test_another_accounts_app_is_not_found_on_every_endpoint_and_stays_untouched(client, member, other_member):
    app_id = create_app(client, member, "我的应用")
    publish(client, member, app_id)
    token = web_app(client, member, app_id)["token"]

    for method, path, body in _app_endpoints(app_id):
        resp = client.open(path, method=method, json=body, headers=other_member.headers)
        assert_not_found(resp)

    data = get_app(client, member, app_id)
    assert data["name"] == "我的应用" and data["status"] == "published"
    assert get_draft(client, member, app_id)["preset_prompt"] == ""
    assert web_app(client, member, app_id)["token"] == token
    assert [item["name"] for item in list_apps(client, other_member)] == []
