"""Schemathesis drives every operation of /docs/openapi.json on both profiles: no answer may be a
server error, and every answer must match the status codes, media types and schemas documented."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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
    """The member the fuzzer signs in as; `llm` gives the AI helpers the session's fake model."""
    return create_member(app, client, name="Fuzzer")


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
    case.call_and_validate(headers=headers, checks=CHECKS)
