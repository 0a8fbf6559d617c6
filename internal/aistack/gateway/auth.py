"""Who is calling an AI Stack system ("认证"): the bearer credential is one of
- an access token from `POST /api/auth/token` (a JWT for the AI Stack audience, 3600 s);
- one of the platform's API keys (`llmops-v1/…`), as the open API takes them;
- an OAuth2 access token the platform issued as authorization server, limited to its scopes.
Every record of every system belongs to the caller's account."""

import uuid
from dataclasses import dataclass

from flask import g, request
from injector import inject

from internal.aistack.systems import System
from internal.exception import ForbiddenException
from internal.middleware.auth import bearer_token
from internal.model import Account
from internal.service.account_service import AccountService
from internal.service.api_key_service import API_KEY_PREFIX, ApiKeyService

AUDIENCE = "aistack"


@dataclass(frozen=True)
class Caller:
    account: Account
    # The systems the credential may call (OAuth2 scopes); None: every system.
    scopes: frozenset[str] | None
    # Whose budget of the rate limit a request spends: one per credential holder.
    rate_key: str

    @property
    def account_id(self) -> uuid.UUID:
        return self.account.id


def current_caller() -> Caller:
    return g.aistack_caller


def current_account_id() -> uuid.UUID:
    """The account every record an AI Stack request reads or writes belongs to."""
    return g.aistack_caller.account.id


@inject
@dataclass
class AIStackAuthenticator:
    account_service: AccountService
    api_key_service: ApiKeyService

    def authenticate(self, system: System) -> Caller:
        token = bearer_token(request)
        if token.startswith(API_KEY_PREFIX):
            account, key = self.api_key_service.authenticate(token)
            caller = Caller(account, None, f"key:{key.id}")
        else:
            account, _ = self.account_service.authenticate(token, AUDIENCE)
            caller = Caller(account, None, f"account:{account.id}")
        if caller.scopes is not None and system.name not in caller.scopes:
            raise ForbiddenException(f"令牌的授权范围不包含{system.name}系统")
        return caller
