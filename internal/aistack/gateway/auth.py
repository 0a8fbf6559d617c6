"""Who is calling an AI Stack system ("认证"): the bearer credential is one of
- an access token from `POST /api/auth/token` (a JWT for the AI Stack audience, 3600 s);
- one of the platform's API keys (`llmops-v1/…`), as the open API takes them;
- an OAuth2 access token the platform issued as authorization server, limited to its scopes.
Every record of every system belongs to the caller's account."""

import uuid
from dataclasses import dataclass

from flask import g, request
from injector import inject

from internal.aistack.auth.oauth2.store import OAuth2Store
from internal.aistack.systems import System
from internal.exception import ForbiddenException, UnauthorizedException
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
    oauth2_store: OAuth2Store

    def authenticate(self, system: System) -> Caller:
        token = bearer_token(request)
        if token.startswith(API_KEY_PREFIX):
            account, key = self.api_key_service.authenticate(token)
            caller = Caller(account, None, f"key:{key.id}")
        elif _is_jwt(token):
            account, _ = self.account_service.authenticate(token, AUDIENCE)
            caller = Caller(account, None, f"account:{account.id}")
        else:
            caller = self._oauth2_caller(token)
        if caller.scopes is not None and system.name not in caller.scopes:
            raise ForbiddenException(f"OAuth2令牌的授权范围({' '.join(sorted(caller.scopes))})不包含{system.name}系统")
        return caller

    def _oauth2_caller(self, token: str) -> Caller:
        grant = self.oauth2_store.live_access_token(token)
        account = self.account_service.get_account(grant.account_id) if grant is not None else None
        if grant is None or account is None:
            raise UnauthorizedException("OAuth2访问令牌无效、已过期或已撤销")
        return Caller(account, grant.scopes, f"oauth2:{grant.oauth2_client_id}:{account.id}")

    def resource_owner(self) -> Account:
        """The signed-in user of the OAuth2 authorize endpoint: an AI Stack access token or the
        console's (its front end shows the consent page). API keys and OAuth2 tokens cannot
        grant a client access to an account."""
        token = bearer_token(request)
        try:
            return self.account_service.authenticate(token, AUDIENCE)[0]
        except UnauthorizedException as refused:
            try:
                return self.account_service.authenticate(token)[0]
            except UnauthorizedException:
                raise refused from None


def _is_jwt(token: str) -> bool:
    # OAuth2 tokens are letters and digits only; a JWT is three dot-separated parts.
    return token.count(".") == 2
