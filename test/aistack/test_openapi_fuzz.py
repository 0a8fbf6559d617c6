"""Schemathesis drives every operation of each AI Stack system's own document, through the
system's port, on both profiles: no answer may be a server error, and every answer must match
the statuses, media types and schemas the document states (errors included)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from internal.aistack.systems import SYSTEMS
from test.api.test_openapi_fuzz import CHECKS, EXAMPLES_PER_OPERATION
from test.conftest import PASSWORD, create_member

from .client import issue_token


@pytest.fixture(params=[system.name for system in SYSTEMS])
def aistack_schema(request, app):
    return schemathesis.openapi.from_wsgi(f"/aistack/{request.param}/docs/openapi.json", app)


schema = schemathesis.pytest.from_fixture("aistack_schema")


@pytest.fixture
def fuzz_token(app, client, llm):
    """A signed-in caller; `llm` gives model-backed operations the session's fake model."""
    member = create_member(app, client, name="Fuzzer")
    return issue_token(client, member.email, PASSWORD)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error_or_breaks_its_documentation(case, fuzz_token):
    # The document's first server is the system's own port: the request goes there.
    port_url = case.operation.schema.raw_schema["servers"][0]["url"]
    case.call_and_validate(base_url=port_url, headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)
