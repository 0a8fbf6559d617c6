"""Authenticates each request the way its endpoint (or its route group) declares: JWT, optional
JWT, API key, a webhook's own signature, or none."""

import uuid
from dataclasses import dataclass
from enum import Enum

from flask import Request, current_app, g, request
from injector import inject

from internal.exception import UnauthorizedException
from internal.model import Account
from internal.service.account_service import AccountService
from internal.service.api_key_service import ApiKeyCredential, ApiKeyService


class AuthKind(str, Enum):
    JWT = "jwt"
    API_KEY = "api_key"
    NONE = "none"
    # A token is checked when sent; without one the request goes on anonymously.
    OPTIONAL_JWT = "optional_jwt"
    # A platform calling back (WeChat): the handler checks the sender's signature, which needs
    # the target app's own secrets.
    WEBHOOK = "webhook"


def bearer_token(req: Request) -> str:
    header = req.headers.get("Authorization", "")
    if not header:
        raise UnauthorizedException("该接口需要授权，请登录后尝试")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or "\x00" in token:
        raise UnauthorizedException("授权格式错误，请使用Bearer令牌")
    return token.strip()


@inject
@dataclass
class AuthMiddleware:
    account_service: AccountService
    api_key_service: ApiKeyService

    def before_request(self) -> None:
        if request.method == "OPTIONS" or request.endpoint is None:
            return  # CORS preflight, or an unknown route that will answer 404
        view = current_app.view_functions.get(request.endpoint)
        self.authenticate(getattr(view, "auth", AuthKind.NONE))

    def authenticate(self, kind: AuthKind) -> None:
        """Check the request's credential of `kind` and remember whose it is for the request."""
        if kind is AuthKind.OPTIONAL_JWT:
            g.account = None
            if "Authorization" in request.headers:
                kind = AuthKind.JWT
        if kind is AuthKind.JWT:
            g.account, g.token_claims = self.account_service.authenticate(bearer_token(request))
        elif kind is AuthKind.API_KEY:
            g.account, g.api_key = self.api_key_service.authenticate(bearer_token(request))


def current_account() -> Account:
    return g.account


def current_account_id_or_none() -> uuid.UUID | None:
    """The signed-in account's id on an OPTIONAL_JWT route, None for an anonymous request."""
    account = g.get("account")
    return account.id if account is not None else None


def current_token_claims() -> dict:
    return g.token_claims


def current_api_key() -> ApiKeyCredential:
    """The key of a request authenticated by API key: its `id` and `account_id`."""
    return g.api_key
