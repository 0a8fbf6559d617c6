"""Third-party sign-in: the provider's consent URL, and code → account → access token."""

import logging
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select

from config import Settings
from internal.exception import FailException, NotFoundException
from internal.model import Account, AccountOAuth
from pkg.oauth import GithubOAuth, OAuth, OAuthError

from .account_service import AccountService
from .base_service import BaseService
from .jwt_service import Credential

logger = logging.getLogger(__name__)


@inject
@dataclass
class OAuthService(BaseService):
    settings: Settings
    account_service: AccountService

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
        return self.get_provider(provider_name).authorization_url()

    def authorize(self, provider_name: str, code: str, ip: str) -> Credential:
        provider = self.get_provider(provider_name)
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
            account = self.account_service.get_account_by_email(user_info.email) or self.account_service.create_account(
                email=user_info.email, name=user_info.name, avatar=user_info.avatar
            )
            with self.db.auto_commit():
                self.db.session.add(AccountOAuth(account_id=account.id, provider=provider_name, openid=user_info.id))
        return self.account_service.sign_in(account, ip)
