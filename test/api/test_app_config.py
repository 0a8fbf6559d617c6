"""llmops-api.md §1.7-1.8 the draft configuration: its shape, incremental validated updates, and the removal of
bindings to tools and datasets that are gone."""

import uuid

import pytest
from sqlalchemy import select

from internal.extension.database import db
from internal.model import AppConfig
from internal.service.app_config_service import AppConfigService
from test.api.apps import (
    DATASET_ICON,
    api_tool_ref,
    assert_updated,
    builtin_tool_ref,
    create_api_tool,
    create_app,
    create_dataset,
    delete_dataset,
    get_app,
    get_draft,
    publish,
    update_draft,
)
from test.api.assertions import assert_not_found, assert_validate_error
from test.api.test_api_tools import ICON as API_TOOL_ICON
from test.api.test_api_tools import WEATHER_SCHEMA, provider_body

DRAFT_FIELDS = {
    "id", "model_config", "dialog_round", "preset_prompt", "tools", "workflows", "datasets", "retrieval_config",
    "long_term_memory", "opening_statement", "opening_questions", "speech_to_text", "text_to_speech",
    "review_config", "suggested_after_answer", "updated_at", "created_at",
}  # fmt: skip
REVIEW_ON = {
    "enable": True,
    "keywords": ["敏感词", "慕课网"],
    "inputs_config": {"enable": True, "preset_response": "很抱歉，该问题无法回复"},
    "outputs_config": {"enable": True},
}


@pytest.fixture
def app_id(client, member) -> str:
    return create_app(client, member)


def service(app) -> AppConfigService:
    return app.extensions["injector"].get(AppConfigService)


def stored_draft(app, app_id: str) -> AppConfig:
    with app.app_context():
        return db.session.scalar(
            select(AppConfig).where(AppConfig.app_id == uuid.UUID(app_id), AppConfig.kind == "draft")
        )


# --- reading and updating -------------------------------------------------------------------------


def test_draft_has_every_documented_field(client, member, app_id):
    draft = get_draft(client, member, app_id)
    assert set(draft) == DRAFT_FIELDS
    assert isinstance(draft["updated_at"], int) and isinstance(draft["created_at"], int)


def test_every_field_can_be_updated_at_once(client, member, app_id):
    dataset_id = create_dataset(client, member, "课程资料")
    body = {
        "model_config": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "parameters": {"temperature": 0.5, "top_p": 0.5, "presence_penalty": 0.2, "frequency_penalty": 0.3, "max_tokens": 4500},
        },
        "dialog_round": 3,
        "preset_prompt": "你是一个拥有10年经验的翻译官，请帮助用户解决问题。",
        "tools": [builtin_tool_ref("google", "google_serper")],
        "workflows": [],
        "datasets": [dataset_id],
        "retrieval_config": {"retrieval_strategy": "hybrid", "k": 5, "score": 0.5},
        "long_term_memory": {"enable": True},
        "opening_statement": "嘿！我是你的好朋友。",
        "opening_questions": ["你能解释一下二次方程的概念吗？", "如何解线性方程组？", "求解x^2-4x+4=0"],
        "speech_to_text": {"enable": True},
        "text_to_speech": {"enable": True, "voice": "shimmer", "auto_play": True},
        "review_config": REVIEW_ON,
        "suggested_after_answer": {"enable": False},
    }
    before = get_app(client, member, app_id)["draft_updated_at"]
    assert_updated(update_draft(client, member, app_id, body))

    draft = get_draft(client, member, app_id)
    for key in set(body) - {"tools", "datasets"}:
        assert draft[key] == body[key], key
    assert draft["datasets"] == [{"id": dataset_id, "name": "课程资料", "icon": DATASET_ICON, "description": "资料"}]
    [tool] = draft["tools"]
    assert tool["type"] == "builtin_tool"
    assert tool["provider"] == {
        "id": "google",
        "name": "google",
        "label": "Google",
        "icon": "http://localhost/builtin-tools/google/icon",
        "description": "谷歌服务提供商，涵盖了谷歌搜索等工具。",
    }
    assert set(tool["tool"]) == {"id", "name", "label", "description", "params"}
    assert tool["tool"]["id"] == tool["tool"]["name"] == "google_serper" and tool["tool"]["params"] == {}
    assert get_app(client, member, app_id)["draft_updated_at"] >= before


def test_an_update_changes_only_the_keys_sent(client, member, app_id):
    before = get_draft(client, member, app_id)
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "只改提示词"}))
    after = get_draft(client, member, app_id)
    assert after["preset_prompt"] == "只改提示词"
    assert {k: v for k, v in after.items() if k not in ("preset_prompt", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("preset_prompt", "updated_at")
    }
    assert_updated(update_draft(client, member, app_id, {}))  # nothing sent, nothing changes
    assert get_draft(client, member, app_id)["preset_prompt"] == "只改提示词"


# --- model_config -----------------------------------------------------------------------------------


def test_model_parameters_are_checked_per_model_and_defaults_filled_in(client, member, app_id):
    body = {"model_config": {"provider": "moonshot", "model": "moonshot-v1-8k", "parameters": {"max_tokens": 4096}}}
    assert_updated(update_draft(client, member, app_id, body))
    model_config = get_draft(client, member, app_id)["model_config"]
    assert model_config["provider"] == "moonshot" and model_config["model"] == "moonshot-v1-8k"
    # The stored parameters are the resolved ones: the ones not sent take the model's defaults.
    assert model_config["parameters"] == {
        "temperature": 1.0, "top_p": 1.0, "presence_penalty": 0.0, "frequency_penalty": 0.0, "max_tokens": 4096,
    }  # fmt: skip

    # 8192 is fine for gpt-4o-mini (the default) but beyond what moonshot-v1-8k allows.
    body["model_config"]["parameters"]["max_tokens"] = 8192
    assert_validate_error(update_draft(client, member, app_id, body), "model_config.parameters.max_tokens")
    assert get_draft(client, member, app_id)["model_config"]["parameters"]["max_tokens"] == 4096


@pytest.mark.parametrize(
    ("model_config", "field"),
    [
        ({"provider": "nobody", "model": "gpt-4o-mini"}, "model_config.provider"),
        ({"provider": "openai", "model": "moonshot-v1-8k"}, "model_config.model"),
        ({"provider": "openai"}, "model_config.model"),
        ({"provider": "openai", "model": "gpt-4o-mini", "parameters": {"temperature": 2.5}}, "model_config.parameters.temperature"),
        ({"provider": "openai", "model": "gpt-4o-mini", "parameters": {"temperature": "hot"}}, "model_config.parameters.temperature"),
        ({"provider": "openai", "model": "gpt-4o-mini", "parameters": {"seed": 1}}, "model_config.parameters.seed"),
        ({"provider": "openai", "model": "gpt-4o-mini", "parameters": []}, "model_config.parameters"),
        (None, "model_config"),
        ("openai", "model_config"),
    ],
)
def test_model_config_errors_name_the_field(client, member, app_id, model_config, field):
    assert_validate_error(update_draft(client, member, app_id, {"model_config": model_config}), field)


# --- scalar and nested fields -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dialog_round": -1}, "dialog_round"),
        ({"dialog_round": 101}, "dialog_round"),
        ({"dialog_round": "3"}, "dialog_round"),
        ({"dialog_round": 3.5}, "dialog_round"),
        ({"preset_prompt": "p" * 2001}, "preset_prompt"),
        ({"preset_prompt": None}, "preset_prompt"),
        ({"retrieval_config": {"retrieval_strategy": "vector", "k": 4, "score": 0.5}}, "retrieval_config.retrieval_strategy"),
        ({"retrieval_config": {"retrieval_strategy": "semantic", "k": 11, "score": 0.5}}, "retrieval_config.k"),
        ({"retrieval_config": {"retrieval_strategy": "semantic", "k": -1, "score": 0.5}}, "retrieval_config.k"),
        ({"retrieval_config": {"retrieval_strategy": "semantic", "score": 0.5}}, "retrieval_config.k"),
        ({"retrieval_config": {"retrieval_strategy": "semantic", "k": 2.5, "score": 0.5}}, "retrieval_config.k"),
        ({"retrieval_config": {"retrieval_strategy": "semantic", "k": 4, "score": 1.01}}, "retrieval_config.score"),
        ({"retrieval_config": {"retrieval_strategy": "semantic", "k": 4, "score": -0.1}}, "retrieval_config.score"),
        ({"retrieval_config": {"retrieval_strategy": "semantic", "k": 4, "score": "0.5"}}, "retrieval_config.score"),
        ({"long_term_memory": {"enable": "yes"}}, "long_term_memory.enable"),
        ({"long_term_memory": {}}, "long_term_memory.enable"),
        ({"long_term_memory": True}, "long_term_memory"),
        ({"opening_statement": "o" * 2001}, "opening_statement"),
        ({"opening_questions": ["一", "二", "三", "四"]}, "opening_questions"),
        ({"opening_questions": ["一", "  "]}, "opening_questions[1]"),
        ({"opening_questions": ["q" * 201]}, "opening_questions[0]"),
        ({"opening_questions": "一个问题"}, "opening_questions"),
        ({"speech_to_text": {"enable": 1}}, "speech_to_text.enable"),
        ({"text_to_speech": {"enable": True, "voice": "robot", "auto_play": False}}, "text_to_speech.voice"),
        ({"text_to_speech": {"enable": True, "voice": "echo"}}, "text_to_speech.auto_play"),
        ({"suggested_after_answer": {"enable": None}}, "suggested_after_answer.enable"),
        ({"review_config": {**REVIEW_ON, "keywords": [f"k{i}" for i in range(101)]}}, "review_config.keywords"),
        ({"review_config": {**REVIEW_ON, "keywords": ["正常", ""]}}, "review_config.keywords[1]"),
        ({"review_config": {**REVIEW_ON, "keywords": []}}, "review_config.keywords"),
        (
            {"review_config": {**REVIEW_ON, "inputs_config": {"enable": True, "preset_response": "  "}}},
            "review_config.inputs_config.preset_response",
        ),
        (
            {"review_config": {**REVIEW_ON, "inputs_config": {"enable": True}}},
            "review_config.inputs_config.preset_response",
        ),
        (
            {"review_config": {**REVIEW_ON, "inputs_config": {"enable": False, "preset_response": ""}, "outputs_config": {"enable": False}}},
            "review_config",
        ),
        ({"review_config": {"enable": False, "keywords": []}}, "review_config.inputs_config"),
    ],
)
def test_field_constraints_name_the_field(client, member, app_id, body, field):
    assert_validate_error(update_draft(client, member, app_id, body), field)


def test_limits_are_inclusive_and_values_normalised(client, member, app_id):
    body = {
        "dialog_round": 100,
        "preset_prompt": "p" * 2000,
        "opening_statement": "o" * 2000,
        "opening_questions": ["  一  ", "二", "三"],
        "retrieval_config": {"retrieval_strategy": "full_text", "k": 10, "score": 0.456},
        "review_config": {**REVIEW_ON, "keywords": [f"k{i}" for i in range(100)]},
    }
    assert_updated(update_draft(client, member, app_id, body))
    draft = get_draft(client, member, app_id)
    assert draft["dialog_round"] == 100 and len(draft["preset_prompt"]) == 2000
    assert draft["opening_questions"] == ["一", "二", "三"]
    assert draft["retrieval_config"] == {"retrieval_strategy": "full_text", "k": 10, "score": 0.46}  # 2 decimals
    assert len(draft["review_config"]["keywords"]) == 100

    zero = {"dialog_round": 0, "retrieval_config": {"retrieval_strategy": "semantic", "k": 0, "score": 0}}
    assert_updated(update_draft(client, member, app_id, zero))
    assert get_draft(client, member, app_id)["retrieval_config"]["score"] == 0.0

    # With review off, its parts may stay empty.
    review_off = {"enable": False, "keywords": [], "inputs_config": {"enable": True, "preset_response": ""}, "outputs_config": {"enable": False}}
    assert_updated(update_draft(client, member, app_id, {"review_config": review_off}))


# --- tools ----------------------------------------------------------------------------------------


def test_builtin_tools_are_stored_with_their_settings_and_defaults(client, member, app_id):
    tools = [
        builtin_tool_ref("dalle", "dalle3", size="1792x1024"),
        builtin_tool_ref("duckduckgo", "duckduckgo_search"),
        {"type": "builtin_tool", "provider_id": "time", "tool_id": "current_time"},  # params left out (llmops-api-index.md D9)
    ]
    assert_updated(update_draft(client, member, app_id, {"tools": tools}))
    stored = get_draft(client, member, app_id)["tools"]
    assert [(tool["provider"]["id"], tool["tool"]["id"]) for tool in stored] == [
        ("dalle", "dalle3"),
        ("duckduckgo", "duckduckgo_search"),
        ("time", "current_time"),
    ]
    assert stored[0]["tool"]["params"] == {"size": "1792x1024", "style": "vivid"}
    assert stored[1]["tool"]["params"] == {"max_results": 5}
    assert stored[2]["tool"]["params"] == {"timezone": "Asia/Shanghai"}
    assert stored[0]["provider"]["label"] == "DALLE" and stored[0]["tool"]["label"] == "DALLE-3绘图工具"


@pytest.mark.parametrize(
    ("tools", "field"),
    [
        ([{"type": "plugin", "provider_id": "google", "tool_id": "google_serper"}], "tools[0].type"),
        ([builtin_tool_ref("google", "google_serper"), {"type": "builtin_tool", "tool_id": "google_serper"}], "tools[1].provider_id"),
        ([builtin_tool_ref("bing", "bing_search")], "tools[0].provider_id"),
        ([builtin_tool_ref("google", "google_images")], "tools[0].tool_id"),
        ([builtin_tool_ref("duckduckgo", "duckduckgo_search", max_results=11)], "tools[0].params.max_results"),
        ([builtin_tool_ref("duckduckgo", "duckduckgo_search", max_results=2.5)], "tools[0].params.max_results"),
        ([builtin_tool_ref("dalle", "dalle3", size="10x10")], "tools[0].params.size"),
        ([builtin_tool_ref("time", "current_time", timezone="Mars/Olympus")], "tools[0].params.timezone"),
        ([builtin_tool_ref("google", "google_serper", api_key="x")], "tools[0].params.api_key"),
        ([builtin_tool_ref("time", "current_time"), builtin_tool_ref("time", "current_time")], "tools[1]"),
        ([api_tool_ref("not-a-uuid", str(uuid.uuid4()))], "tools[0].provider_id"),
        ([api_tool_ref(str(uuid.uuid4()), str(uuid.uuid4()))], "tools[0].provider_id"),
        ([builtin_tool_ref("time", "current_time")] * 51, "tools"),
        ({"type": "builtin_tool"}, "tools"),
    ],
)
def test_tool_errors_name_the_entry_and_field(client, member, app_id, tools, field):
    assert_validate_error(update_draft(client, member, app_id, {"tools": tools}), field)


def test_api_tools_must_be_the_accounts_and_belong_to_the_provider(client, member, other_member, app_id):
    provider_id, tool_id = create_api_tool(client, member, "高德工具包")
    other_provider_id, other_tool_id = create_api_tool(client, member, "第二个工具包")
    foreign_provider_id, foreign_tool_id = create_api_tool(client, other_member, "别人的工具包")

    assert_validate_error(
        update_draft(client, member, app_id, {"tools": [api_tool_ref(foreign_provider_id, foreign_tool_id)]}),
        "tools[0].provider_id",
    )
    assert_validate_error(
        update_draft(client, member, app_id, {"tools": [api_tool_ref(provider_id, other_tool_id)]}), "tools[0].tool_id"
    )
    assert_validate_error(
        update_draft(client, member, app_id, {"tools": [api_tool_ref(provider_id, "GetCurrentWeather")]}), "tools[0].tool_id"
    )
    with_params = api_tool_ref(provider_id, tool_id) | {"params": {"city": "广州"}}
    assert_validate_error(update_draft(client, member, app_id, {"tools": [with_params]}), "tools[0].params")
    twice = [api_tool_ref(provider_id, tool_id), api_tool_ref(provider_id.upper(), tool_id)]
    assert_validate_error(update_draft(client, member, app_id, {"tools": twice}), "tools[1]")

    assert_updated(update_draft(client, member, app_id, {"tools": [api_tool_ref(provider_id, tool_id)]}))
    [tool] = get_draft(client, member, app_id)["tools"]
    assert tool == {
        "type": "api_tool",
        "provider": {
            "id": provider_id,
            "name": "高德工具包",
            "label": "高德工具包",
            "icon": API_TOOL_ICON,
            "description": WEATHER_SCHEMA["description"],
        },
        "tool": {
            "id": tool_id,
            "name": "GetCurrentWeather",
            "label": "GetCurrentWeather",
            "description": "根据传递的城市名获取指定城市的天气预报，例如：广州",
            "params": {},
        },
    }


# --- workflows and datasets -------------------------------------------------------------------------


def test_workflows_cannot_be_bound_until_they_exist(client, member, app_id):
    assert_validate_error(update_draft(client, member, app_id, {"workflows": [str(uuid.uuid4())]}), "workflows[0]")
    assert_validate_error(update_draft(client, member, app_id, {"workflows": ["wf"]}), "workflows[0]")
    assert_updated(update_draft(client, member, app_id, {"workflows": []}))
    assert get_draft(client, member, app_id)["workflows"] == []


def test_datasets_must_be_the_accounts_own_unique_and_at_most_five(client, member, other_member, app_id):
    own = [create_dataset(client, member) for _ in range(6)]
    foreign = create_dataset(client, other_member)

    assert_validate_error(update_draft(client, member, app_id, {"datasets": own}), "datasets")
    assert update_draft(client, member, app_id, {"datasets": own}).json["message"] == "datasets: 最多关联5个知识库"
    assert_validate_error(update_draft(client, member, app_id, {"datasets": [own[0], own[0]]}), "datasets")
    assert_validate_error(update_draft(client, member, app_id, {"datasets": [own[0], foreign]}), "datasets[1]")
    assert_validate_error(update_draft(client, member, app_id, {"datasets": [str(uuid.uuid4())]}), "datasets[0]")
    assert_validate_error(update_draft(client, member, app_id, {"datasets": ["x"]}), "datasets[0]")

    assert_updated(update_draft(client, member, app_id, {"datasets": own[:5]}))
    assert [dataset["id"] for dataset in get_draft(client, member, app_id)["datasets"]] == own[:5]


# --- a failed update changes nothing ------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"dialog_round": 101},
        {"tools": [builtin_tool_ref("google", "nothing")]},
        {"datasets": [str(uuid.uuid4())]},
        {"workflows": [str(uuid.uuid4())]},
        {"model_config": {"provider": "moonshot", "model": "moonshot-v1-8k", "parameters": {"max_tokens": 5000}}},
        {"review_config": {**REVIEW_ON, "keywords": []}},
    ],
)
def test_a_failed_update_changes_nothing(client, member, app_id, bad):
    dataset_id = create_dataset(client, member)
    good = {
        "preset_prompt": "新的提示词",
        "model_config": {"provider": "deepseek", "model": "deepseek-chat", "parameters": {}},
        "tools": [builtin_tool_ref("time", "current_time")],
        "datasets": [dataset_id],
        "opening_statement": "你好",
    }
    before = get_draft(client, member, app_id)
    resp = update_draft(client, member, app_id, {**good, **bad})
    assert resp.json["code"] == "validate_error", resp.json
    assert get_draft(client, member, app_id) == before


# --- pruning bindings that are gone -----------------------------------------------------------------


def test_a_deleted_api_tool_provider_is_removed_from_the_draft_and_the_removal_saved(app, client, member, app_id):
    gone_provider, gone_tool = create_api_tool(client, member, "要删除的工具包")
    kept_provider, kept_tool = create_api_tool(client, member, "保留的工具包")
    tools = [api_tool_ref(gone_provider, gone_tool), builtin_tool_ref("time", "current_time"), api_tool_ref(kept_provider, kept_tool)]
    assert_updated(update_draft(client, member, app_id, {"tools": tools}))

    resp = client.post(f"/api-tools/{gone_provider}/delete", headers=member.headers)
    assert resp.json["code"] == "success", resp.json

    draft = get_draft(client, member, app_id)
    assert [(tool["type"], tool["provider"]["id"]) for tool in draft["tools"]] == [
        ("builtin_tool", "time"),
        ("api_tool", kept_provider),
    ]
    stored = stored_draft(app, app_id)
    assert [tool["provider_id"] for tool in stored.tools] == ["time", kept_provider]


def test_updating_an_api_tool_provider_replaces_its_tools_so_bindings_to_them_go(client, member, app_id):
    provider_id, tool_id = create_api_tool(client, member, "会更新的工具包")
    assert_updated(update_draft(client, member, app_id, {"tools": [api_tool_ref(provider_id, tool_id)]}))
    resp = client.post(f"/api-tools/{provider_id}", json=provider_body("会更新的工具包"), headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    # llmops-api.md §2.9 recreates every tool of the provider, with new ids.
    assert get_draft(client, member, app_id)["tools"] == []


def test_a_deleted_dataset_is_removed_from_the_draft_and_no_longer_counted(app, client, member, app_id):
    gone, kept = create_dataset(client, member, "要删除的知识库"), create_dataset(client, member, "保留的知识库")
    assert_updated(update_draft(client, member, app_id, {"datasets": [gone, kept]}))
    with app.app_context():
        counts = service(app).count_related_apps([uuid.UUID(gone), uuid.UUID(kept)])
    assert counts == {uuid.UUID(gone): 1, uuid.UUID(kept): 1}

    delete_dataset(client, member, gone)

    assert [dataset["id"] for dataset in get_draft(client, member, app_id)["datasets"]] == [kept]
    assert stored_draft(app, app_id).datasets == [kept]
    with app.app_context():
        assert service(app).count_related_apps([uuid.UUID(gone), uuid.UUID(kept)]) == {uuid.UUID(kept): 1}


def test_copying_drops_bindings_that_are_gone(client, member, app_id):
    provider_id, tool_id = create_api_tool(client, member)
    dataset_id = create_dataset(client, member)
    body = {"tools": [api_tool_ref(provider_id, tool_id), builtin_tool_ref("time", "current_time")], "datasets": [dataset_id]}
    assert_updated(update_draft(client, member, app_id, body))
    client.post(f"/api-tools/{provider_id}/delete", headers=member.headers)
    delete_dataset(client, member, dataset_id)

    copy_id = client.post(f"/apps/{app_id}/copy", headers=member.headers).json["data"]["id"]
    draft = get_draft(client, member, copy_id)
    assert [tool["provider"]["id"] for tool in draft["tools"]] == ["time"] and draft["datasets"] == []


# --- hooks for the dataset module -----------------------------------------------------------------


def test_related_app_counts_and_unbinding_a_dataset_from_every_config(app, client, member, other_member):
    shared, single = create_dataset(client, member), create_dataset(client, member)
    first, second = create_app(client, member, "应用一"), create_app(client, member, "应用二")
    assert_updated(update_draft(client, member, first, {"datasets": [shared, single]}))
    publish(client, member, first)
    assert_updated(update_draft(client, member, first, {"datasets": [single]}))  # the published config keeps both
    assert_updated(update_draft(client, member, second, {"datasets": [shared]}))
    shared_id, single_id = uuid.UUID(shared), uuid.UUID(single)

    with app.app_context():
        assert service(app).count_related_apps([shared_id, single_id, uuid.uuid4()]) == {shared_id: 2, single_id: 1}
        assert service(app).count_related_apps([]) == {}
        service(app).unbind_dataset(shared_id)
        service(app).unbind_dataset(shared_id)  # idempotent
        assert service(app).count_related_apps([shared_id, single_id]) == {single_id: 1}
        published = db.session.scalar(
            select(AppConfig).where(AppConfig.app_id == uuid.UUID(first), AppConfig.kind == "published")
        )
        assert published.datasets == [single]
    assert get_draft(client, member, second)["datasets"] == []
    assert [dataset["id"] for dataset in get_draft(client, member, first)["datasets"]] == [single]


def test_unknown_and_foreign_apps_are_not_found(client, member, other_member, app_id):
    assert_not_found(client.get(f"/apps/{uuid.uuid4()}/draft-app-config", headers=member.headers))
    assert_not_found(update_draft(client, other_member, app_id, {"preset_prompt": "x"}))
