"""The OpenAPI document is as strict as the validation: a request body the server refuses for a
field's own rule is one the document's request schema refuses too (checked with a JSON-schema
validator), so generated clients and fuzzers know the real rules."""

import uuid

import jsonschema_rs
import pytest

from test.api.apps import ICON
from test.api.test_api_tools import provider_body

SOME_ID = str(uuid.uuid4())
OTHER_ID = str(uuid.uuid4())
APP = {"name": "应用", "icon": ICON}
DATASET = {"name": "知识库", "icon": ICON}
HIT = {"query": "什么", "retrieval_strategy": "full_text", "k": 3, "score": 0}
RULE = {"segment": {"separators": ["\n"], "chunk_size": 500, "chunk_overlap": 50}}
DOCUMENTS = {"upload_file_ids": [SOME_ID], "process_type": "custom", "rule": RULE}
BAD_URLS = ["ftp://cdn.example.com/a.png", "not a url", "http://", "https:///a.png", "   ", "http://?a=1"]
BLANKS = ["", "   ", "\t\n"]


def _cases():
    yield "/apps", APP, [("icon", url) for url in BAD_URLS] + [("name", blank) for blank in BLANKS]
    yield f"/apps/{SOME_ID}", APP, [("icon", url) for url in BAD_URLS] + [("name", blank) for blank in BLANKS]
    yield "/datasets", DATASET, [("icon", url) for url in BAD_URLS] + [("name", blank) for blank in BLANKS]
    yield f"/datasets/{SOME_ID}", DATASET, [("icon", url) for url in BAD_URLS]
    yield "/api-tools", provider_body(), [("icon", url) for url in BAD_URLS] + [("name", "  ")]
    yield f"/api-tools/{SOME_ID}", provider_body(), [("icon", "ftp://x/y.png")]
    headers = [("headers", [{"key": key, "value": "x"}]) for key in ("Bad Header", "  ", "X:Y")]
    yield "/api-tools", provider_body(), headers + [("headers", [{"key": "X-A", "value": "a\r\nInjected: 1"}])]
    yield "/account/avatar", {"avatar": ICON}, [("avatar", url) for url in BAD_URLS]
    passwords = ["abcdefgh", "12345678", "abc1234", "abcdefgh12345678x", "１２３４５abcd"]
    yield "/account/password", {"password": "secret123"}, [("password", p) for p in passwords]
    yield "/auth/password-login", {"email": "a@example.com", "password": "secret123"}, [
        *[("password", p) for p in passwords],
        ("email", "not-an-email"),
    ]
    yield "/account/name", {"name": "名字呀"}, [("name", "  a  "), ("name", "     "), ("name", "ab")]
    yield "/ai/optimize-prompt", {"prompt": "写诗"}, [("prompt", blank) for blank in BLANKS]
    yield f"/apps/{SOME_ID}/conversations", {"query": "你好"}, [
        *[("query", blank) for blank in BLANKS],
        ("image_urls", ["ftp://cdn.example.com/a.png"]),
    ]
    yield f"/conversations/{SOME_ID}/name", {"name": "会话"}, [("name", blank) for blank in BLANKS]
    yield f"/datasets/{SOME_ID}/hit", HIT, [("query", blank) for blank in BLANKS]
    segment = {"content": "内容"}
    segments = f"/datasets/{SOME_ID}/documents/{OTHER_ID}/segments"
    yield segments, segment, [("content", "   "), ("keywords", ["  "])]
    yield f"{segments}/{SOME_ID}", segment, [("content", "   ")]
    yield f"/datasets/{SOME_ID}/documents/{OTHER_ID}/name", {"name": "文档"}, [("name", "   ")]
    yield f"/datasets/{SOME_ID}/documents", DOCUMENTS, [
        ("upload_file_ids", [SOME_ID, SOME_ID]),
        ("rule", None),
        ("rule", {**RULE, "pre_process_rules": [{"id": "remove_extra_space", "enabled": True}] * 2}),
    ]
    yield f"/apps/{SOME_ID}/draft-app-config", {"preset_prompt": "p"}, [
        ("datasets", [SOME_ID, SOME_ID]),
        ("workflows", [SOME_ID, SOME_ID]),
        ("model_config", {"provider": "  ", "model": "gpt-4o-mini", "parameters": {}}),
        ("opening_questions", ["   "]),
    ]
    yield "/oauth/authorize/github", {"code": "abc"}, [("code", "   ")]


CASES = [(path, {**base, field: value}, field) for path, base, changes in _cases() for field, value in changes]
BASES = {(path, str(base)): (path, base) for path, base, _ in _cases()}


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/docs/openapi.json").json


def body_validator(spec, path: str):
    """A validator of the request body the document declares for POST `path`."""
    for template, item in spec["paths"].items():
        parts, actual = template.strip("/").split("/"), path.strip("/").split("/")
        if len(parts) == len(actual) and all(p == a or p.startswith("{") for p, a in zip(parts, actual)):
            schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
            return jsonschema_rs.validator_for({**schema, "components": spec["components"]}, validate_formats=True)
    raise AssertionError(f"{path} is not documented")


@pytest.mark.parametrize("path, base", list(BASES.values()), ids=[f"{p}" for p, _ in BASES.values()])
def test_the_base_bodies_are_valid_for_the_document(spec, path, base):
    assert body_validator(spec, path).is_valid(base)


@pytest.mark.parametrize("path, body, field", CASES, ids=[f"{p}:{f}={b[f]!r}" for p, b, f in CASES])
def test_what_the_server_refuses_for_a_field_the_document_refuses(spec, client, member, llm, path, body, field):
    resp = client.post(path, json=body, headers=member.headers)
    refused = resp.status_code == 400 and resp.json["code"] == "validate_error"
    assert refused and resp.json["message"].startswith(field), resp.json
    assert not body_validator(spec, path).is_valid(body), f"the document accepts {body!r}"
