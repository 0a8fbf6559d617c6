"""llmops-api.md §17.1, §17.2: an app's WeChat official-account configuration."""

import uuid

import pytest
from sqlalchemy import select

from internal.extension.database import db
from internal.model import WechatConfig
from pkg.secret_box import SecretBox
from test.api.apps import create_app, publish
from test.api.assertions import assert_fail, assert_not_found, assert_validate_error, success_data
from test.api.wechat import AES_KEY, configure, get_config

VALUES = {
    "wechat_app_id": "wxa56420b86848470a",
    "wechat_app_secret": "19c8e54e0431d31e6d9cc61c697bf0f9",
    "wechat_token": "0jIB3k%tVg1uKTjg5fwhTS4rCmTKTvFq",
}
EMPTIED = {"wechat_app_id": "", "wechat_app_secret": "", "wechat_token": "", "wechat_encoding_aes_key": ""}


def published_app(client, member) -> str:
    app_id = create_app(client, member)
    publish(client, member, app_id)
    return app_id


def test_a_draft_app_shows_emptied_values_with_url_and_ip_and_cannot_be_configured(client, member):
    app_id = create_app(client, member)
    data = get_config(client, member, app_id)
    assert data == {
        "app_id": app_id,
        "url": f"http://localhost/wechat/{app_id}",
        "ip": "",
        **EMPTIED,
        "status": "unconfigured",
        "updated_at": 0,
        "created_at": 0,
    }
    resp = configure(client, member, app_id, **VALUES)
    assert_fail(resp)
    assert resp.json["message"] == "该应用未发布，请发布后重试"


def test_a_published_app_is_configured_once_all_three_values_are_saved(client, member):
    app_id = published_app(client, member)
    assert success_data(configure(client, member, app_id, **VALUES), message="更新Agent应用微信配置成功") == {}
    data = get_config(client, member, app_id)
    assert {k: data[k] for k in VALUES} == VALUES
    assert data["status"] == "configured" and data["wechat_encoding_aes_key"] == ""
    assert data["url"] == f"http://localhost/wechat/{app_id}" and "ip" in data
    assert isinstance(data["created_at"], int) and data["created_at"] > 0


@pytest.mark.parametrize("missing", ["wechat_app_id", "wechat_app_secret", "wechat_token"])
def test_any_value_missing_leaves_it_unconfigured(client, member, missing):
    app_id = published_app(client, member)
    body = {k: v for k, v in VALUES.items() if k != missing}
    success_data(configure(client, member, app_id, **body))
    data = get_config(client, member, app_id)
    assert data["status"] == "unconfigured" and data[missing] == ""
    assert all(data[k] == v for k, v in body.items())


def test_the_app_secret_and_aes_key_are_stored_sealed(app, client, member):
    app_id = published_app(client, member)
    success_data(configure(client, member, app_id, **VALUES, wechat_encoding_aes_key=AES_KEY))
    assert get_config(client, member, app_id)["wechat_encoding_aes_key"] == AES_KEY
    with app.app_context():
        row = db.session.scalar(select(WechatConfig).where(WechatConfig.app_id == uuid.UUID(app_id)))
        stored = (row.wechat_app_secret_sealed, row.wechat_encoding_aes_key_sealed)
        box = app.extensions["injector"].get(SecretBox)
    assert VALUES["wechat_app_secret"] not in stored[0] and AES_KEY not in stored[1]
    assert box.decrypt(stored[0]) == VALUES["wechat_app_secret"] and box.decrypt(stored[1]) == AES_KEY


def test_cancelling_the_publication_empties_what_is_shown(client, member):
    app_id = published_app(client, member)
    success_data(configure(client, member, app_id, **VALUES))
    success_data(client.post(f"/apps/{app_id}/cancel-publish", headers=member.headers))
    data = get_config(client, member, app_id)
    assert {k: data[k] for k in EMPTIED} == EMPTIED and data["status"] == "unconfigured"
    publish(client, member, app_id)
    assert get_config(client, member, app_id)["status"] == "configured"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"wechat_app_id": "wx 123"}, "wechat_app_id"),
        ({"wechat_app_id": "w" * 65}, "wechat_app_id"),
        ({"wechat_app_secret": 123}, "wechat_app_secret"),
        ({"wechat_token": "令牌"}, "wechat_token"),
        ({"wechat_encoding_aes_key": "short"}, "wechat_encoding_aes_key"),
        ({"wechat_encoding_aes_key": AES_KEY[:-1] + "!"}, "wechat_encoding_aes_key"),
    ],
)
def test_invalid_values_are_validate_errors(client, member, body, field):
    app_id = published_app(client, member)
    assert_validate_error(configure(client, member, app_id, **body), field)


def test_another_accounts_app_is_not_found(client, member, other_member):
    app_id = published_app(client, member)
    assert_not_found(client.get(f"/platform/{app_id}/wechat-config", headers=other_member.headers))
    assert_not_found(configure(client, other_member, app_id, **VALUES))
    assert get_config(client, member, app_id)["status"] == "unconfigured"


def test_login_is_required(client, member):
    app_id = published_app(client, member)
    assert client.get(f"/platform/{app_id}/wechat-config").status_code == 401
    assert client.post(f"/platform/{app_id}/wechat-config", json=VALUES).status_code == 401
