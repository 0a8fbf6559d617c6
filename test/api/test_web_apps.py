"""llmops-api.md §15.1-15.3 WebApps and §5.1 their conversation list: any signed-in account reaches a
published app by its token, on the published config, with conversations of its own."""

import pytest

from test.api.apps import assert_updated, create_app, publish, update_draft, web_app
from test.api.assertions import assert_envelope, assert_not_found, assert_validate_error, success_data
from test.api.chat import chat_app


def get_web_app(client, member, token):
    return client.get(f"/web-apps/{token}", headers=member.headers)


def list_conversations(client, member, token, **query):
    return client.get(f"/web-apps/{token}/conversations", query_string=query, headers=member.headers)


def published_token(client, member, app_id) -> str:
    publish(client, member, app_id)
    return web_app(client, member, app_id)["token"]


# --- GET /web-apps/:token -----------------------------------------------------------------------


def test_web_app_shows_the_published_config_to_any_signed_in_account(client, member, other_member):
    app_id = create_app(client, member, name="产品经理助手")
    body = {
        "opening_statement": "你好，我是产品经理助手",
        "opening_questions": ["什么是LLM?", "如何写PRD?"],
        "suggested_after_answer": {"enable": False},
    }
    assert_updated(update_draft(client, member, app_id, body))
    token = published_token(client, member, app_id)
    # The draft moves on; the WebApp shows what was published.
    assert_updated(update_draft(client, member, app_id, {"opening_statement": "草稿里的新开场白"}))

    for reader in (member, other_member):  # no app-ownership check (llmops-api-index.md D57)
        data = success_data(get_web_app(client, reader, token))
        assert data["id"] == app_id and data["name"] == "产品经理助手"
        assert data["icon"].startswith("https://") and data["description"]
        assert data["app_config"] == {
            "opening_statement": "你好，我是产品经理助手",
            "opening_questions": ["什么是LLM?", "如何写PRD?"],
            "suggested_after_answer": {"enable": False},
            "features": ["tool_call", "agent_thought", "image_input"],
        }


def test_suggested_after_answer_is_always_present_and_on_by_default(client, member):
    app_id, _ = chat_app(client, member)
    token = published_token(client, member, app_id)
    config = success_data(get_web_app(client, member, token))["app_config"]
    assert config["suggested_after_answer"] == {"enable": True}
    assert config["opening_statement"] == "" and config["opening_questions"] == []


def test_features_follow_the_published_model(client, member):
    app_id, _ = chat_app(client, member, model_config={"provider": "deepseek", "model": "deepseek-chat", "parameters": {}})
    token = published_token(client, member, app_id)
    features = success_data(get_web_app(client, member, token))["app_config"]["features"]
    assert features == ["tool_call", "agent_thought"]


def test_unknown_regenerated_and_withdrawn_tokens_are_not_found(client, member):
    assert_not_found(get_web_app(client, member, "JyXc763dv4A3A2TC"))
    assert_not_found(list_conversations(client, member, "JyXc763dv4A3A2TC"))

    app_id = create_app(client, member)
    old = published_token(client, member, app_id)
    resp = client.post(f"/apps/{app_id}/published-config/regenerate-web-app-token", headers=member.headers)
    new = success_data(resp)["token"]
    assert_not_found(get_web_app(client, member, old))
    assert success_data(get_web_app(client, member, new))["id"] == app_id

    assert client.post(f"/apps/{app_id}/cancel-publish", headers=member.headers).json["code"] == "success"
    assert_not_found(get_web_app(client, member, new))
    assert_not_found(list_conversations(client, member, new))


def test_deleting_the_app_closes_its_web_app(client, member):
    app_id = create_app(client, member)
    token = published_token(client, member, app_id)
    assert client.post(f"/apps/{app_id}/delete", headers=member.headers).json["code"] == "success"
    assert_not_found(get_web_app(client, member, token))
    assert_not_found(list_conversations(client, member, token))


@pytest.mark.parametrize(
    "path", ["/web-apps/{token}", "/web-apps/{token}/conversations"]
)
def test_web_app_routes_need_a_signed_in_account(client, member, path):
    token = published_token(client, member, create_app(client, member))
    assert_envelope(client.get(path.format(token=token)), 401, "unauthorized")


# --- GET /web-apps/:token/conversations -----------------------------------------------------------


@pytest.mark.parametrize("value", ["True", "1", "yes", "", "false "])
def test_is_pinned_takes_the_strings_true_and_false_only(client, member, value):
    token = published_token(client, member, create_app(client, member))
    assert_validate_error(list_conversations(client, member, token, is_pinned=value), "is_pinned")


def test_a_web_app_without_conversations_lists_none(client, member):
    token = published_token(client, member, create_app(client, member))
    for query in ({}, {"is_pinned": "true"}, {"is_pinned": "false"}):
        assert success_data(list_conversations(client, member, token, **query)) == []
