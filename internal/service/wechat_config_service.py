"""An app's WeChat official-account configuration (llmops-api.md §17.1, §17.2): saved only for
published apps, secrets sealed at rest, and the account the webhook serves."""

import ipaddress
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from injector import inject

from config import Settings
from internal.exception import FailException, NotFoundException
from internal.model import App, WechatConfig
from internal.model.app import AppStatus
from internal.schema.wechat import UpdateWechatConfigReq
from pkg.secret_box import SecretBox

from .app_base_service import APP_NOT_FOUND, AppBaseService
from .app_publish_service import NOT_PUBLISHED

CONFIGURED = "configured"
UNCONFIGURED = "unconfigured"
NOT_CONFIGURED = "该应用未配置微信公众号，请配置后重试"


@dataclass(frozen=True)
class WechatAccount:
    """A published app's configured official account, secrets opened, for the webhook."""

    app_id: uuid.UUID
    account_id: uuid.UUID
    wechat_app_id: str
    app_secret: str
    token: str
    encoding_aes_key: str


def is_configured(config: WechatConfig | None) -> bool:
    return bool(config and config.wechat_app_id and config.wechat_app_secret_sealed and config.wechat_token)


@inject
@dataclass
class WechatConfigService(AppBaseService):
    settings: Settings
    secret_box: SecretBox

    def get_config(self, account_id: uuid.UUID, app_id: uuid.UUID, request_base_url: str) -> dict:
        """What the console shows: the values are emptied while the app is unpublished or has
        no configuration; `url` and `ip` are always there (D60)."""
        app = self.get_app(account_id, app_id)
        config = self.db.session.get(WechatConfig, app.id) if app.status == AppStatus.PUBLISHED else None
        shown = {
            "app_id": app.id,
            "url": self.webhook_url(app.id, request_base_url),
            "ip": self.server_ip(request_base_url),
            "wechat_app_id": "",
            "wechat_app_secret": "",
            "wechat_token": "",
            "wechat_encoding_aes_key": "",
            "status": CONFIGURED if is_configured(config) else UNCONFIGURED,
            "updated_at": None,
            "created_at": None,
        }
        if config is not None:
            shown.update(
                wechat_app_id=config.wechat_app_id,
                wechat_app_secret=self._open(config.wechat_app_secret_sealed),
                wechat_token=config.wechat_token,
                wechat_encoding_aes_key=self._open(config.wechat_encoding_aes_key_sealed),
                updated_at=config.updated_at,
                created_at=config.created_at,
            )
        return shown

    def update_config(self, account_id: uuid.UUID, app_id: uuid.UUID, req: UpdateWechatConfigReq) -> WechatConfig:
        app = self.get_app(account_id, app_id)
        if app.status != AppStatus.PUBLISHED:
            raise FailException(NOT_PUBLISHED)
        with self.db.auto_commit():
            config = self.db.session.get(WechatConfig, app.id)
            if config is None:
                config = WechatConfig(app_id=app.id)
                self.db.session.add(config)
            config.wechat_app_id = req.wechat_app_id
            config.wechat_app_secret_sealed = self._seal(req.wechat_app_secret)
            config.wechat_token = req.wechat_token
            config.wechat_encoding_aes_key_sealed = self._seal(req.wechat_encoding_aes_key)
        return config

    def get_account(self, app_id: uuid.UUID) -> WechatAccount:
        """The official account of a published, configured app; anything else is refused."""
        app = self.db.session.get(App, app_id)
        if app is None:
            raise NotFoundException(APP_NOT_FOUND)
        if app.status != AppStatus.PUBLISHED:
            raise FailException(NOT_PUBLISHED)
        config = self.db.session.get(WechatConfig, app.id)
        if not is_configured(config):
            raise FailException(NOT_CONFIGURED)
        return WechatAccount(
            app_id=app.id,
            account_id=app.account_id,
            wechat_app_id=config.wechat_app_id,
            app_secret=self._open(config.wechat_app_secret_sealed),
            token=config.wechat_token,
            encoding_aes_key=self._open(config.wechat_encoding_aes_key_sealed),
        )

    def webhook_url(self, app_id: uuid.UUID, request_base_url: str) -> str:
        base = self.settings.object_storage.api_public_url or request_base_url
        return f"{base.rstrip('/')}/wechat/{app_id}"

    def server_ip(self, request_base_url: str) -> str:
        """WECHAT_SERVER_IP, or the public URL's host when that is an IP address; else ""."""
        if self.settings.wechat.wechat_server_ip:
            return self.settings.wechat.wechat_server_ip
        host = urlsplit(self.settings.object_storage.api_public_url or request_base_url).hostname or ""
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            return ""

    def _seal(self, value: str) -> str:
        return self.secret_box.encrypt(value) if value else ""

    def _open(self, sealed: str) -> str:
        return self.secret_box.decrypt(sealed) if sealed else ""
