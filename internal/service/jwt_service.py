"""Issues, verifies and revokes the access tokens (JWT, HS256)."""

import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

import jwt
from injector import inject

from config import Settings
from internal.exception import UnauthorizedException
from internal.extension.kv_store import KeyValueStore

ISSUER = "llmops"
REVOKED_KEY = "revoked_token:{jti}"
# A token issued before a password change that stays valid: the one that made the change.
KEPT_KEY = "kept_token:{jti}"
EXPIRED = "授权凭证已过期，请重新登录"
INVALID = "授权凭证无效，请重新登录"
# Tokens whose signature and claims were checked, kept: a client sends the same one on every request.
DECODED_TOKENS_KEPT = 4096


@lru_cache(maxsize=DECODED_TOKENS_KEPT)
def _decode(token: str, secret: str, audience: str | None) -> dict:
    """The claims of a token signed with `secret` (never changed by callers); raises if invalid.
    A token issued for an audience (AI Stack's) is only valid where that audience is expected."""
    return jwt.decode(
        token, secret, algorithms=["HS256"], issuer=ISSUER, audience=audience, options={"require": ["sub", "exp", "jti"]}
    )


@dataclass
class Credential:
    access_token: str
    expire_at: int


@inject
@dataclass
class JwtService:
    settings: Settings
    kv_store: KeyValueStore

    def issue(
        self, account_id: uuid.UUID, token_version: int = 0, *, expires_in: int | None = None, audience: str | None = None
    ) -> Credential:
        now = int(time.time())
        expire_at = now + (expires_in or self.settings.security.jwt_expires_in)
        claims = {"sub": str(account_id), "iss": ISSUER, "iat": now, "exp": expire_at, "jti": uuid.uuid4().hex}
        if token_version:
            claims["ver"] = token_version
        if audience:
            claims["aud"] = audience
        token = jwt.encode(claims, self.settings.jwt_secret_key, algorithm="HS256")
        return Credential(access_token=token, expire_at=expire_at)

    def verify(self, token: str, audience: str | None = None) -> dict:
        try:
            claims = _decode(token, self.settings.jwt_secret_key, audience)
        except jwt.ExpiredSignatureError:
            raise UnauthorizedException(EXPIRED) from None
        except jwt.InvalidTokenError:
            raise UnauthorizedException(INVALID) from None
        # PyJWT accepts a numeric string ("9999999999") as `exp`; we only ever issue numbers.
        if not isinstance(claims["exp"], (int, float)) or isinstance(claims["exp"], bool):
            raise UnauthorizedException(INVALID)
        if claims["exp"] <= time.time():  # a token decoded earlier expires all the same
            raise UnauthorizedException(EXPIRED)
        if self.kv_store.exists(REVOKED_KEY.format(jti=claims["jti"])):
            raise UnauthorizedException("授权凭证已失效，请重新登录")
        return claims

    def check_version(self, claims: dict, token_version: int) -> None:
        """Refuse a token issued under an older version of its account's credentials, unless it
        is the token kept through that change. The common case costs one comparison."""
        if claims.get("ver", 0) == token_version:
            return
        if self.kv_store.get(KEPT_KEY.format(jti=claims["jti"])) != str(token_version):
            raise UnauthorizedException("授权凭证已失效，请重新登录")

    def keep(self, claims: dict, token_version: int) -> None:
        """Let this token stay valid under `token_version` until it expires."""
        remaining = int(claims["exp"]) - int(time.time())
        if remaining > 0:
            self.kv_store.set(KEPT_KEY.format(jti=claims["jti"]), str(token_version), ttl=remaining + 1)

    def revoke(self, claims: dict) -> None:
        """Refuse the token from now until it would have expired anyway."""
        # A token lives no longer than the lifetime we issue, whatever its (signed) `exp` says.
        remaining = min(int(claims["exp"]) - int(time.time()), self.settings.security.jwt_expires_in)
        if remaining > 0:
            self.kv_store.set(REVOKED_KEY.format(jti=claims["jti"]), "1", ttl=remaining + 1)
