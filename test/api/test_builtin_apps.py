"""llmops-api.md §10.1-10.3 the app square: categories, templates, adding a template to the space; and the
start-up check that every template is a valid configuration."""

import dataclasses
import shutil
import uuid

import pytest
import yaml

from internal.core.builtin_apps import BuiltinAppCatalog, BuiltinAppCatalogError
from internal.core.builtin_apps.catalog import CATEGORIES_FILE, ICONS_DIR, TEMPLATES_DIR
from internal.service.builtin_app_service import BuiltinAppService
from test.api.apps import (
    get_app,
    get_draft,
    listed_app,
    publish,
    update_draft,
)
from test.api.assertions import assert_not_found, assert_validate_error, success_data

TEMPLATE_FIELDS = {"id", "category", "name", "icon", "description", "model_config", "created_at"}
SEARCH_ASSISTANT = "9a1db9dd-42f7-4bec-84db-072dc841249d"


def builtin_apps(client, member) -> list[dict]:
    resp = client.get("/builtin-apps", headers=member.headers)
    return success_data(resp, message="")


def add_to_space(client, member, builtin_app_id):
    return client.post("/builtin-apps/add-builtin-app-to-space", json={"builtin_app_id": builtin_app_id}, headers=member.headers)


def test_categories_are_listed_at_once(client, member):
    resp = client.get("/builtin-apps/categories", headers=member.headers)
    assert resp.json["code"] == "success"
    categories = resp.json["data"]
    assert all(set(category) == {"category", "name"} for category in categories)
    assert {"assistant": "助手", "hr": "人力资源", "writing": "写作", "ecommerce": "电商营销"}.items() <= {
        category["category"]: category["name"] for category in categories
    }.items()


def test_templates_are_listed_with_their_model_and_a_servable_icon(client, member):
    templates = builtin_apps(client, member)
    categories = {category["category"] for category in client.get("/builtin-apps/categories", headers=member.headers).json["data"]}
    assert len(templates) >= 6
    assert len({template["id"] for template in templates}) == len(templates)
    for template in templates:
        assert set(template) == TEMPLATE_FIELDS
        assert template["category"] in categories
        assert set(template["model_config"]) == {"provider", "model"}
        assert isinstance(template["created_at"], int) and template["created_at"] > 0
        uuid.UUID(template["id"])
        # The icon is served by this API, to anyone (img tags send no token).
        assert template["icon"] == f"http://localhost/builtin-apps/{template['id']}/icon"
        icon = client.get(f"/builtin-apps/{template['id']}/icon")
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    assert {template["category"] for template in templates} >= {"assistant", "hr", "writing", "ecommerce"}


def test_an_unknown_template_icon_is_not_found(client):
    assert_not_found(client.get(f"/builtin-apps/{uuid.uuid4()}/icon"))


def test_adding_a_template_creates_a_draft_app_configured_like_it(client, member):
    template = next(item for item in builtin_apps(client, member) if item["id"] == SEARCH_ASSISTANT)
    resp = add_to_space(client, member, SEARCH_ASSISTANT)
    assert resp.json["code"] == "success", resp.json
    assert set(resp.json["data"]) == {"id"}
    app_id = resp.json["data"]["id"]

    data = get_app(client, member, app_id)
    assert data["name"] == template["name"] and data["description"] == template["description"]
    assert data["icon"] == template["icon"] and data["status"] == "draft"
    draft = get_draft(client, member, app_id)
    assert {k: draft["model_config"][k] for k in ("provider", "model")} == template["model_config"]
    assert [(tool["type"], tool["provider"]["id"], tool["tool"]["id"]) for tool in draft["tools"]] == [
        ("builtin_tool", "duckduckgo", "duckduckgo_search"),
        ("builtin_tool", "wikipedia", "wikipedia_search"),
        ("builtin_tool", "webpage", "webpage_fetch"),
        ("builtin_tool", "time", "current_time"),
    ]
    assert draft["tools"][0]["tool"]["params"] == {"max_results": 5}
    assert draft["preset_prompt"].startswith("# 角色") and len(draft["opening_questions"]) == 3

    # The app is the account's own: editing it leaves the template alone.
    resp = update_draft(client, member, app_id, {"preset_prompt": "改过的提示词", "tools": []})
    assert resp.json["code"] == "success"
    second_id = add_to_space(client, member, SEARCH_ASSISTANT).json["data"]["id"]
    assert second_id != app_id and len(get_draft(client, member, second_id)["tools"]) == 4


def test_every_template_becomes_an_app_that_can_be_published(client, member):
    for template in builtin_apps(client, member):
        resp = add_to_space(client, member, template["id"])
        assert resp.json["code"] == "success", (template["name"], resp.json)
        app_id = resp.json["data"]["id"]
        publish(client, member, app_id)
        item = listed_app(client, member, app_id)
        assert item["model_config"] == template["model_config"] and item["name"] == template["name"]


def test_an_unknown_template_is_not_found_and_the_body_is_checked(client, member):
    assert_not_found(add_to_space(client, member, str(uuid.uuid4())))
    assert_validate_error(add_to_space(client, member, "not-a-uuid"), "builtin_app_id")
    resp = client.post("/builtin-apps/add-builtin-app-to-space", json={}, headers=member.headers)
    assert_validate_error(resp, "builtin_app_id")
    assert client.get("/apps", headers=member.headers).json["data"]["list"] == []


def test_the_app_square_needs_a_login(client):
    for method, path in [
        ("GET", "/builtin-apps"),
        ("GET", "/builtin-apps/categories"),
        ("POST", "/builtin-apps/add-builtin-app-to-space"),
    ]:
        assert client.open(path, method=method, json={}).status_code == 401


# --- the start-up check ---------------------------------------------------------------------------


def _catalog_copy(tmp_path, change) -> BuiltinAppCatalog:
    """The real catalog's files with one template changed by `change(data)`."""
    templates = tmp_path / "templates"
    templates.mkdir()
    source = TEMPLATES_DIR / f"{SEARCH_ASSISTANT}.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    change(data)
    (templates / source.name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    shutil.copy(CATEGORIES_FILE, tmp_path / "categories.yaml")
    return BuiltinAppCatalog.load(tmp_path / "categories.yaml", templates)


def _checker(app, catalog: BuiltinAppCatalog) -> BuiltinAppService:
    return dataclasses.replace(app.extensions["injector"].get(BuiltinAppService), catalog=catalog)


def test_the_shipped_templates_pass_the_check(app):
    app.extensions["injector"].get(BuiltinAppService).check_templates()
    assert ICONS_DIR.is_dir()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data["config"]["model_config"]["parameters"].update(max_tokens=20000), "model_config.parameters.max_tokens"),
        (lambda data: data["config"]["model_config"].update(model="gpt-5"), "model_config.model"),
        (lambda data: data["config"]["tools"][0].update(tool_id="duckduckgo_news"), "tools[0].tool_id"),
        (lambda data: data["config"]["tools"][0]["params"].update(max_results=50), "tools[0].params.max_results"),
        (lambda data: data["config"].update(opening_questions=["1", "2", "3", "4"]), "opening_questions"),
        (lambda data: data["config"].update(datasets=[str(uuid.uuid4())]), "datasets[0]"),
        (lambda data: data["config"].update(colour="red"), "colour"),
    ],
)
def test_a_template_breaking_the_rules_fails_the_start_up_check(app, tmp_path, change, message):
    checker = _checker(app, _catalog_copy(tmp_path, change))
    with pytest.raises(BuiltinAppCatalogError) as raised:
        checker.check_templates()
    assert f"{SEARCH_ASSISTANT}.yaml: config.{message}:" in str(raised.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data.update(category="gaming"), "unknown category gaming"),
        (lambda data: data.update(id=str(uuid.uuid4())), "must be named after the template id"),
        (lambda data: data.update(icon="missing.svg"), "icon missing.svg"),
        (lambda data: data["config"].pop("review_config"), "config is missing review_config"),
        (lambda data: data.update(name="x" * 41), "name"),
        (lambda data: data.update(author="me"), "author"),
    ],
)
def test_a_malformed_template_file_fails_loading(tmp_path, change, message):
    with pytest.raises(BuiltinAppCatalogError, match=message):
        _catalog_copy(tmp_path, change)
