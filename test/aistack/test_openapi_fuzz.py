"""Schemathesis drives every operation of each AI Stack system's own document, through the
system's port, on both profiles: no answer may be a server error, and every answer must match
the statuses, media types and schemas the document states (errors included).

The gateway's operations (sign-in and OAuth2) are in every system's document and are one set of
handlers whichever system serves them (test_gateway.py checks that every system dispatches
them): they are fuzzed in one document, RAG's. Systems whose requests do nothing that depends on
the database beyond plain rows are fuzzed on the production profile only (see conftest.py)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from internal.aistack.systems import SYSTEMS, SYSTEMS_BY_NAME
from test.api.test_openapi_fuzz import CHECKS
from test.conftest import PASSWORD, create_member
from test.fakes.openai_server import ChatReply, ToolCall

from .client import issue_token

# Nine documents of ~150 operations in all, on two profiles: a smaller budget per operation than
# the platform's keeps the suite's time in bounds (schemathesis' coverage phase still runs).
EXAMPLES_PER_OPERATION = 5


GATEWAY_PATHS = ("/api/auth/", "/api/oauth2/")
GATEWAY_FUZZED_IN = SYSTEMS_BY_NAME["rag"]


@pytest.fixture(params=[system.name for system in SYSTEMS])
def aistack_schema(request, app):
    return schemathesis.openapi.from_wsgi(f"/aistack/{request.param}/docs/openapi.json", app)


def gateway_operation_of_another_document(ctx) -> bool:
    operation = ctx.operation
    port_url = operation.schema.raw_schema["servers"][0]["url"]
    return operation.path.startswith(GATEWAY_PATHS) and not port_url.endswith(f":{GATEWAY_FUZZED_IN.port}")


# The filter goes on the lazy schema: schemathesis drops a fixture's schema's own filters.
schema = schemathesis.pytest.from_fixture("aistack_schema").exclude(gateway_operation_of_another_document)


@pytest.fixture
def fuzz_token(app, client, llm):
    """A signed-in caller; `llm` gives model-backed operations the session's fake model."""
    member = create_member(app, client, name="Fuzzer")
    return issue_token(client, member.email, PASSWORD)


# Structured answers the fake model does not improvise (it echoes text when unscripted), for the
# systems whose operations need one: (function the request forces, its arguments).
STRUCTURED_ANSWERS = {
    "tasks": ("TaskDecomposition", {"subtasks": [{"name": "需求分析", "estimated_hours": 8}]}),
}


@pytest.fixture
def structured_answers(aistack_schema, llm):
    port_url = aistack_schema.raw_schema["servers"][0]["url"]
    for name, (function, args) in STRUCTURED_ANSWERS.items():
        if port_url.endswith(f":{SYSTEMS_BY_NAME[name].port}"):

            def forces(body, function=function):
                return any(tool.get("function", {}).get("name") == function for tool in body.get("tools") or [])

            llm.script_chat(forces, *[ChatReply(tool_calls=[ToolCall(function, args)]) for _ in range(50)])


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error_or_breaks_its_documentation(case, fuzz_token, structured_answers):
    # The document's first server is the system's own port: the request goes there.
    port_url = case.operation.schema.raw_schema["servers"][0]["url"]
    case.call_and_validate(base_url=port_url, headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)
