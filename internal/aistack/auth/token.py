"""`POST /api/auth/token {username, password}` → `{access_token, token_type, expires_in}`: a
platform account (username = its email) signs in, with the console's lockout, and gets a JWT for
the AI Stack audience (the console refuses it; AI Stack refuses the console's tokens)."""

from dataclasses import dataclass
from typing import Annotated, Literal

from flask import request
from injector import inject
from pydantic import BaseModel, StringConstraints

from config import Settings
from internal.aistack.gateway.auth import AUDIENCE, current_caller
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import success
from internal.schema.common import RequestModel
from internal.service.account_service import AccountService
from internal.service.jwt_service import JwtService


class TokenReq(RequestModel):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    # Checked against the stored hash only: the rules for new passwords do not apply to sign-in.
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class CallerResp(BaseModel):
    account_id: str
    email: str
    name: str
    # The systems the credential may call; null: every system.
    scopes: list[str] | None


class TokenResp(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


@inject
@dataclass
class TokenService:
    settings: Settings
    account_service: AccountService
    jwt_service: JwtService

    def issue(self, username: str, password: str, ip: str) -> TokenResp:
        account = self.account_service.check_password(username.lower(), password, ip)
        expires_in = self.settings.aistack.aistack_token_expires_in
        credential = self.jwt_service.issue(account.id, account.token_version, expires_in=expires_in, audience=AUDIENCE)
        return TokenResp(access_token=credential.access_token, expires_in=expires_in)


def token_route(system: str, token_service: TokenService):
    """The token endpoint as a route of `system` (each system documents it)."""

    @aistack_endpoint(system, body=TokenReq, resp=TokenResp, public=True, tags=("auth",))
    def issue_token(body: TokenReq):
        """Exchange a platform account's email and password for a bearer access token."""
        return success(token_service.issue(body.username, body.password, request.remote_addr or ""))

    return ("POST", "/api/auth/token", issue_token)


def caller_route(system: str):
    """`GET /api/auth/me`: whose credential this is and what it may call (beyond the document:
    a way to check a token, an API key or an OAuth2 grant before using it)."""

    @aistack_endpoint(system, resp=CallerResp, tags=("auth",))
    def who_am_i():
        """The account behind the request's credential and the systems it may call."""
        caller = current_caller()
        scopes = sorted(caller.scopes) if caller.scopes is not None else None
        account = caller.account
        return success(CallerResp(account_id=str(account.id), email=account.email, name=account.name, scopes=scopes))

    return ("GET", "/api/auth/me", who_am_i)
