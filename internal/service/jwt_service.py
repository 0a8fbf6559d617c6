"""Issues, verifies and revokes the access tokens (JWT, HS256)."""

import time
import uuid
from dataclasses import dataclass

import jwt
from injector import inject

from config import Settings
from internal.exception import UnauthorizedException
from internal.extension.kv_store import KeyValueStore

ISSUER = "llmops"
REVOKED_KEY = "revoked_token:{jti}"


@dataclass
class Credential:
    access_token: str
    expire_at: int


@inject
@dataclass
class JwtService:
    settings: Settings
    kv_store: KeyValueStore

    def issue(self, account_id: uuid.UUID) -> Credential:
        now = int(time.time())
        expire_at = now + self.settings.security.jwt_expires_in
        claims = {"sub": str(account_id), "iss": ISSUER, "iat": now, "exp": expire_at, "jti": uuid.uuid4().hex}
        token = jwt.encode(claims, self.settings.jwt_secret_key, algorithm="HS256")
        return Credential(access_token=token, expire_at=expire_at)

    def verify(self, token: str) -> dict:
        try:
            claims = jwt.decode(
                token,
                self.settings.jwt_secret_key,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["sub", "exp", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise UnauthorizedException("授权凭证已过期，请重新登录") from None
        except jwt.InvalidTokenError:
            raise UnauthorizedException("授权凭证无效，请重新登录") from None
        if self.kv_store.exists(REVOKED_KEY.format(jti=claims["jti"])):
            raise UnauthorizedException("授权凭证已失效，请重新登录")
        return claims

    def revoke(self, claims: dict) -> None:
        """Refuse the token from now until it would have expired anyway."""
        remaining = int(claims["exp"]) - int(time.time())
        if remaining > 0:
            self.kv_store.set(REVOKED_KEY.format(jti=claims["jti"]), "1", ttl=remaining + 1)
