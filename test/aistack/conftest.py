"""Fixtures of AI Stack's tests: callers signed in through POST /api/auth/token, on both
addresses of every system (the `via` parameter).

Every test runs on both storage profiles (the session's `app`), except where the second run
adds nothing, which are left out of the run:
- a system's port (`via="port"`) on the production profile: serving a system on its port is one
  dispatch in front of the same handlers, whatever the storage (test_gateway.py, which tests that
  dispatch, keeps both); the handlers themselves run on both profiles through the prefix;
- the fuzzing of systems whose requests touch the database only with plain rows (trends: hot
  lists, sentiment, reports rendered in memory; resources: machine figures, quotas only
  administrators set) on the embedded profile: they are fuzzed on PostgreSQL, the stricter
  database (types, lengths, time zones).
Concurrency, locks, money and ledgers keep both profiles: they are where the databases differ."""

from pathlib import Path

import pytest

from test.conftest import create_member

from .client import VIAS, AIStackClient, issue_token


@pytest.fixture(params=VIAS)
def via(request) -> str:
    return request.param


@pytest.fixture
def aistack(app, client, via) -> AIStackClient:
    member = create_member(app, client, name="AIStack")
    stack = AIStackClient(client, issue_token(client, member.email, member.password), via)
    stack.member = member
    return stack


@pytest.fixture
def other_aistack(app, client, via) -> AIStackClient:
    member = create_member(app, client, name="Other")
    stack = AIStackClient(client, issue_token(client, member.email, member.password), via)
    stack.member = member
    return stack


HERE = Path(__file__).parent
FUZZED_ON_POSTGRESQL_ONLY = {"trends", "resources"}


def _adds_nothing(item: pytest.Item) -> bool:
    params = item.callspec.params
    if params.get("app") == "services" and params.get("via") == "port":
        return item.path.name != "test_gateway.py"
    return params.get("app") == "embedded" and params.get("aistack_schema") in FUZZED_ON_POSTGRESQL_ONLY


def pytest_collection_modifyitems(config, items):
    left_out = {item for item in items if HERE in item.path.parents and hasattr(item, "callspec") and _adds_nothing(item)}
    if left_out:
        config.hook.pytest_deselected(items=[item for item in items if item in left_out])
        items[:] = [item for item in items if item not in left_out]
