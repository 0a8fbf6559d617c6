"""Third-party sign-in: the provider's consent URL with a signed state, and code → account →
access token."""

import logging
import time
import uuid
from dataclasses import dataclass

import jwt
from injector import inject
from sqlalchemy import select

from config import Settings
from internal.exception import FailException, NotFoundException, ValidateErrorException
from internal.extension.kv_store import KeyValueStore
from internal.model import Account, AccountOAuth
from pkg.oauth import GithubOAuth, OAuth, OAuthError

from .account_service import AccountService
from .base_service import BaseService
from .jwt_service import ISSUER, Credential

logger = logging.getLogger(__name__)

# A state is a JWT for this audience, so it can never pass for an access token or the reverse.
STATE_AUDIENCE = "oauth-state:{provider}"
USED_STATE_KEY = "oauth_state_used:{jti}"
INVALID_STATE = "state: 授权状态无效或已过期，请重新授权"


@inject
@dataclass
class OAuthService(BaseService):
    settings: Settings
    account_service: AccountService
    kv_store: KeyValueStore

    def _providers(self) -> dict[str, OAuth]:
        oauth = self.settings.oauth
        providers: dict[str, OAuth] = {}
        if oauth.github_client_id and oauth.github_client_secret:
            providers["github"] = GithubOAuth(
                client_id=oauth.github_client_id,
                client_secret=oauth.github_client_secret,
                redirect_uri=oauth.github_redirect_uri,
                oauth_base=oauth.github_oauth_base,
                api_base=oauth.github_api_base,
                timeout=oauth.oauth_http_timeout,
            )
        return providers

    def get_provider(self, provider_name: str) -> OAuth:
        provider = self._providers().get(provider_name)
        if provider is None:
            raise NotFoundException(f"授权服务{provider_name}不存在或未配置")
        return provider

    def redirect_url(self, provider_name: str) -> str:
        provider = self.get_provider(provider_name)
        return provider.authorization_url(state=self._issue_state(provider_name))

    def _issue_state(self, provider_name: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": STATE_AUDIENCE.format(provider=provider_name),
            "iat": now,
            "exp": now + self.settings.oauth.oauth_state_ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.settings.jwt_secret_key, algorithm="HS256")

    def _check_state(self, provider_name: str, state: str) -> None:
        """A state this API issued for this provider, unexpired and not used before; without
        one, the sign-in goes on only when OAUTH_REQUIRE_STATE is off."""
        if not state:
            if self.settings.oauth.oauth_require_state:
                raise ValidateErrorException("state: 缺少授权状态，请从授权页面重新发起登录")
            return
        try:
            claims = jwt.decode(
                state,
                self.settings.jwt_secret_key,
                algorithms=["HS256"],
                issuer=ISSUER,
                audience=STATE_AUDIENCE.format(provider=provider_name),
                options={"require": ["exp", "jti", "aud"]},
            )
        except jwt.InvalidTokenError:
            raise ValidateErrorException(INVALID_STATE) from None
        ttl = max(1, int(claims["exp"]) - int(time.time()) + 1)
        if not self.kv_store.reserve(USED_STATE_KEY.format(jti=claims["jti"]), 1, ttl):
            raise ValidateErrorException(INVALID_STATE)

    def authorize(self, provider_name: str, code: str, state: str, ip: str) -> Credential:
        provider = self.get_provider(provider_name)
        self._check_state(provider_name, state)
        try:
            user_info = provider.user_info_for_code(code)
        except OAuthError as exc:
            logger.warning("OAuth sign-in with %s failed: %s", provider_name, exc)
            raise FailException("第三方授权失败，请重新授权") from None

        link = self.db.session.scalar(
            select(AccountOAuth).where(AccountOAuth.provider == provider_name, AccountOAuth.openid == user_info.id)
        )
        if link is not None:
            account = self.db.session.get(Account, link.account_id)
        else:
            # An address the provider has not verified could be anyone's: it must neither reach
            # the account that has it nor take it for a new one.
            if not user_info.email_verified:
                raise FailException("第三方账号的邮箱未经验证，请验证邮箱后重试")
            account = self.account_service.get_account_by_email(user_info.email) or self.account_service.create_account(
                email=user_info.email, name=user_info.name, avatar=user_info.avatar
            )
            with self.db.auto_commit():
                self.db.session.add(AccountOAuth(account_id=account.id, provider=provider_name, openid=user_info.id))
        return self.account_service.sign_in(account, ip)
