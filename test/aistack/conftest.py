"""Fixtures of AI Stack's tests: callers signed in through POST /api/auth/token, on both
addresses of every system (the `via` parameter)."""

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
