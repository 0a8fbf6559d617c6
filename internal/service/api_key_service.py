"""API keys of an account: `llmops-v1/` followed by 48 characters from a CSPRNG."""

import secrets
import string
import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select

from internal.model import ApiKey
from pkg.paginator import PageReq, Paginator, paginate

from .base_service import BaseService

API_KEY_PREFIX = "llmops-v1/"
_ALPHABET = string.ascii_letters + string.digits


def generate_api_key() -> str:
    return API_KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(48))


@inject
@dataclass
class ApiKeyService(BaseService):
    def create(self, account_id: uuid.UUID, is_active: bool, remark: str) -> ApiKey:
        api_key = ApiKey(account_id=account_id, api_key=generate_api_key(), is_active=is_active, remark=remark)
        with self.db.auto_commit():
            self.db.session.add(api_key)
        return api_key

    def get(self, account_id: uuid.UUID, api_key_id: uuid.UUID) -> ApiKey:
        return self.get_owned(ApiKey, api_key_id, account_id, "API秘钥不存在")

    def update(self, account_id: uuid.UUID, api_key_id: uuid.UUID, **fields) -> ApiKey:
        api_key = self.get(account_id, api_key_id)
        with self.db.auto_commit():
            for name, value in fields.items():
                setattr(api_key, name, value)
        return api_key

    def delete(self, account_id: uuid.UUID, api_key_id: uuid.UUID) -> None:
        api_key = self.get(account_id, api_key_id)
        with self.db.auto_commit():
            self.db.session.delete(api_key)

    def list_api_keys(self, account_id: uuid.UUID, page: PageReq) -> tuple[list[ApiKey], Paginator]:
        stmt = (
            select(ApiKey)
            .where(ApiKey.account_id == account_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
        return paginate(self.db.session, stmt, page)

    def find_active(self, key: str) -> ApiKey | None:
        """The key record when `key` exists and is switched on; looked up by exact match."""
        api_key = self.db.session.scalar(select(ApiKey).where(ApiKey.api_key == key))
        return api_key if api_key is not None and api_key.is_active else None
