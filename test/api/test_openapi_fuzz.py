"""Schemathesis drives every operation of /docs/openapi.json on both profiles: no answer may be a
server error, and every answer must match the status codes, media types and schemas documented.

Path ids point at real resources of the fuzzing member (an app talking to the session's fake
model, a dataset with a document and a segment, a conversation, an API tool, an API key), so
generated bodies reach the services and the streams rather than stopping at `not_found`.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from test.api.apps import create_api_tool
from test.api.chat import chat_app, debug_chat
from test.api.knowledge_base import build_document, create_dataset, list_segments
from test.conftest import create_member

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# A small budget per operation and profile keeps the run within a couple of minutes; a fixed seed
# keeps it reproducible.
EXAMPLES_PER_OPERATION = 8


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/docs/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def fuzz_member(app, client, llm):
    """The member the fuzzer signs in as, and the resources its path ids point at; `llm` gives
    chats and the AI helpers the session's fake model."""
    member = create_member(app, client, name="Fuzzer")
    app_id, _ = chat_app(client, member)
    events = debug_chat(client, member, app_id, "你好")
    conversation_id = next(e["data"]["conversation_id"] for e in events if e["data"].get("conversation_id"))
    message_id = next(e["data"]["message_id"] for e in events if e["data"].get("message_id"))
    dataset_id = create_dataset(client, member)
    document = build_document(app, client, member, dataset_id, "fuzz.txt", "可以被搜索到的一段文字。".encode())
    segment_id = list_segments(client, member, dataset_id, document["id"])[0]["id"]
    provider_id, _ = create_api_tool(client, member)
    api_key = client.post("/openapi/api-keys", json={"is_active": True}, headers=member.headers)
    (key,) = client.get("/openapi/api-keys", headers=member.headers).json["data"]["list"]
    api_key_id = key["id"]
    assert api_key.json["code"] == "success"
    member.api_key_headers = {"Authorization": f"Bearer {key['api_key']}"}
    member.ids = {
        "app_id": app_id,
        "conversation_id": conversation_id,
        "message_id": message_id,
        "dataset_id": dataset_id,
        "document_id": document["id"],
        "segment_id": segment_id,
        "provider_id": provider_id,
        "api_key_id": api_key_id,
    }
    return member


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error_or_breaks_its_documentation(case, app, client, fuzz_member):
    headers = fuzz_member.headers
    if case.operation.path == "/auth/logout":
        # Signing out revokes the token: each call gets a token of its own.
        headers = create_member(app, client).headers
    if case.operation.path == "/openapi/chat":
        headers = fuzz_member.api_key_headers
    # Deleting stays on generated ids, so the resources live for the other operations.
    if case.path_parameters and not case.operation.path.endswith("/delete"):
        for name, value in fuzz_member.ids.items():
            if name in case.path_parameters:
                case.path_parameters[name] = value
    case.call_and_validate(headers=headers, checks=CHECKS)
