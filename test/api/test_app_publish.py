"""llmops-api.md §1.15-1.20 publishing: the published config, version history, roll-back and the WebApp token."""

import re
import uuid

import pytest

from internal.service.app_publish_service import AppPublishService
from test.api.apps import (
    api_tool_ref,
    assert_updated,
    builtin_tool_ref,
    create_api_tool,
    create_app,
    get_app,
    get_draft,
    histories,
    listed_app,
    publish,
    update_draft,
    web_app,
)
from test.api.assertions import assert_fail, assert_not_found, assert_validate_error

TOKEN_RULE = re.compile(r"^[A-Za-z0-9]{16}$")


def find_by_token(app, token: str):
    with app.app_context():
        found = app.extensions["injector"].get(AppPublishService).find_published_by_token(token)
        return str(found.id) if found else None


def regenerate(client, member, app_id):
    return client.post(f"/apps/{app_id}/published-config/regenerate-web-app-token", headers=member.headers)


def cancel(client, member, app_id):
    return client.post(f"/apps/{app_id}/cancel-publish", headers=member.headers)


def fallback(client, member, app_id, version_id):
    return client.post(f"/apps/{app_id}/fallback-history", json={"app_config_version_id": version_id}, headers=member.headers)


# --- publish ----------------------------------------------------------------------------------------


def test_a_draft_app_has_no_web_app_token(client, member):
    app_id = create_app(client, member)
    resp = client.get(f"/apps/{app_id}/published-config", headers=member.headers)
    assert resp.json == {"code": "success", "data": {"web_app": {"token": "", "status": "draft"}}, "message": ""}
    assert histories(client, member, app_id)["list"] == []


def test_publishing_records_versions_and_gives_the_web_app_a_token(app, client, member):
    app_id = create_app(client, member)
    publish(client, member, app_id)

    assert get_app(client, member, app_id)["status"] == "published"
    web = web_app(client, member, app_id)
    assert web["status"] == "published" and TOKEN_RULE.match(web["token"]), web
    assert find_by_token(app, web["token"]) == app_id
    first = histories(client, member, app_id)
    assert first["paginator"] == {"current_page": 1, "page_size": 20, "total_page": 1, "total_record": 1}
    [version] = first["list"]
    assert set(version) == {"id", "version", "created_at"} and version["version"] == 1

    publish(client, member, app_id)  # an update of the publication
    publish(client, member, app_id)
    assert web_app(client, member, app_id)["token"] == web["token"]  # the token survives re-publishing
    data = histories(client, member, app_id)
    assert [item["version"] for item in data["list"]] == [3, 2, 1]
    assert len({item["id"] for item in data["list"]}) == 3

    page = histories(client, member, app_id, page_size=1, current_page=2)
    assert [item["version"] for item in page["list"]] == [2]
    assert page["paginator"] == {"current_page": 2, "page_size": 1, "total_page": 3, "total_record": 3}


@pytest.mark.parametrize(("query", "field"), [({"page_size": 0}, "page_size"), ({"page_size": 51}, "page_size"), ({"current_page": 0}, "current_page")])
def test_history_query_constraints(client, member, query, field):
    app_id = create_app(client, member)
    resp = client.get(f"/apps/{app_id}/publish-histories", query_string=query, headers=member.headers)
    assert_validate_error(resp, field)


def test_the_list_shows_the_published_config_until_the_draft_is_published(client, member):
    app_id = create_app(client, member)
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "发布的提示词"}))
    publish(client, member, app_id)

    model = {"provider": "moonshot", "model": "moonshot-v1-8k", "parameters": {"max_tokens": 2048}}
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "草稿提示词", "model_config": model}))
    item = listed_app(client, member, app_id)
    assert item["status"] == "published"
    assert item["preset_prompt"] == "发布的提示词"
    assert item["model_config"] == {"provider": "openai", "model": "gpt-4o-mini"}
    assert get_draft(client, member, app_id)["preset_prompt"] == "草稿提示词"

    publish(client, member, app_id)
    item = listed_app(client, member, app_id)
    assert item["preset_prompt"] == "草稿提示词"
    assert item["model_config"] == {"provider": "moonshot", "model": "moonshot-v1-8k"}


def test_publishing_leaves_out_bindings_that_are_gone(client, member):
    app_id = create_app(client, member)
    provider_id, tool_id = create_api_tool(client, member)
    tools = [api_tool_ref(provider_id, tool_id), builtin_tool_ref("time", "current_time")]
    assert_updated(update_draft(client, member, app_id, {"tools": tools}))
    client.post(f"/api-tools/{provider_id}/delete", headers=member.headers)

    publish(client, member, app_id)
    [version] = histories(client, member, app_id)["list"]
    assert_updated(update_draft(client, member, app_id, {"tools": []}))
    assert fallback(client, member, app_id, version["id"]).json["code"] == "success"
    assert [tool["provider"]["id"] for tool in get_draft(client, member, app_id)["tools"]] == ["time"]


# --- cancel publish ---------------------------------------------------------------------------------


def test_cancel_publish_returns_to_draft_and_the_token_stops_working(app, client, member):
    app_id = create_app(client, member)
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "发布的提示词"}))
    publish(client, member, app_id)
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "草稿提示词"}))
    token = web_app(client, member, app_id)["token"]

    resp = cancel(client, member, app_id)
    assert resp.json == {"code": "success", "data": {}, "message": "取消发布应用配置成功"}
    assert get_app(client, member, app_id)["status"] == "draft"
    assert web_app(client, member, app_id) == {"token": "", "status": "draft"}
    assert find_by_token(app, token) is None
    item = listed_app(client, member, app_id)
    assert item["status"] == "draft" and item["preset_prompt"] == "草稿提示词"  # the draft shows again
    assert [item["version"] for item in histories(client, member, app_id)["list"]] == [1]  # history stays

    assert_fail(cancel(client, member, app_id))  # no longer published
    assert_fail(regenerate(client, member, app_id))

    publish(client, member, app_id)  # publishing again gives a fresh token
    new_token = web_app(client, member, app_id)["token"]
    assert TOKEN_RULE.match(new_token) and new_token != token
    assert [item["version"] for item in histories(client, member, app_id)["list"]] == [2, 1]


def test_an_app_never_published_cannot_be_cancelled(client, member):
    app_id = create_app(client, member)
    resp = cancel(client, member, app_id)
    assert_fail(resp)
    assert get_app(client, member, app_id)["status"] == "draft"


# --- WebApp token -----------------------------------------------------------------------------------


def test_regenerating_the_token_invalidates_the_old_one(app, client, member):
    app_id = create_app(client, member)
    assert_fail(regenerate(client, member, app_id))  # a draft app has no WebApp
    publish(client, member, app_id)
    old = web_app(client, member, app_id)["token"]

    resp = regenerate(client, member, app_id)
    assert resp.json["code"] == "success" and resp.json["message"] == ""
    new = resp.json["data"]["token"]
    assert set(resp.json["data"]) == {"token"}
    assert TOKEN_RULE.match(new) and new != old
    assert web_app(client, member, app_id) == {"token": new, "status": "published"}
    assert find_by_token(app, old) is None and find_by_token(app, new) == app_id
    assert find_by_token(app, "") is None

    assert cancel(client, member, app_id).json["code"] == "success"
    assert web_app(client, member, app_id)["token"] == ""
    assert find_by_token(app, new) is None


# --- fall back to a history version -------------------------------------------------------------------


def test_fallback_copies_a_version_into_the_draft_only(client, member):
    app_id = create_app(client, member)
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "版本一", "dialog_round": 1}))
    publish(client, member, app_id)
    model = {"provider": "deepseek", "model": "deepseek-chat", "parameters": {}}
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "版本二", "dialog_round": 2, "model_config": model}))
    publish(client, member, app_id)
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "未发布的草稿"}))
    version_one = histories(client, member, app_id)["list"][1]
    assert version_one["version"] == 1

    resp = fallback(client, member, app_id, version_one["id"])
    assert resp.json == {"code": "success", "data": {}, "message": "回退历史配置至草稿成功"}

    draft = get_draft(client, member, app_id)
    assert draft["preset_prompt"] == "版本一" and draft["dialog_round"] == 1
    assert draft["model_config"]["provider"] == "openai"
    item = listed_app(client, member, app_id)  # the publication is untouched
    assert item["preset_prompt"] == "版本二" and item["model_config"]["provider"] == "deepseek"
    assert [item["version"] for item in histories(client, member, app_id)["list"]] == [2, 1]

    publish(client, member, app_id)
    assert listed_app(client, member, app_id)["preset_prompt"] == "版本一"


def test_fallback_drops_bindings_that_are_gone_since(client, member):
    app_id = create_app(client, member)
    provider_id, tool_id = create_api_tool(client, member)
    assert_updated(update_draft(client, member, app_id, {"tools": [api_tool_ref(provider_id, tool_id)]}))
    publish(client, member, app_id)
    version_id = histories(client, member, app_id)["list"][0]["id"]
    # The publication snapshot still names the tool; the tool then goes.
    client.post(f"/api-tools/{provider_id}/delete", headers=member.headers)

    assert fallback(client, member, app_id, version_id).json["code"] == "success"
    assert get_draft(client, member, app_id)["tools"] == []


def test_fallback_needs_a_version_of_this_app(client, member, other_member):
    app_id, other_app_id = create_app(client, member), create_app(client, member, "另一个应用")
    publish(client, member, other_app_id)
    other_version = histories(client, member, other_app_id)["list"][0]["id"]
    before = get_draft(client, member, app_id)

    assert_not_found(fallback(client, member, app_id, other_version))
    assert_not_found(fallback(client, member, app_id, str(uuid.uuid4())))
    assert_not_found(fallback(client, other_member, other_app_id, other_version))
    assert_validate_error(fallback(client, member, app_id, "v1"), "app_config_version_id")
    resp = client.post(f"/apps/{app_id}/fallback-history", json={}, headers=member.headers)
    assert_validate_error(resp, "app_config_version_id")
    assert get_draft(client, member, app_id) == before
