"""API keys of an account: `llmops-v1/` followed by 48 characters from a CSPRNG.

A key is stored as its keyed hash (the lookup index) and encrypted (for the owner's list),
never in the clear. Authenticating a key costs one query: the key with its account on a cache
miss, the account alone while the key is cached (API_KEY_CACHE_TTL seconds per process; a
change made through this process drops its cache entry at once). `last_used_at` is written
off the request path, at most once a minute per key and process.
"""

import logging
import secrets
import string
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from injector import inject, singleton
from sqlalchemy import select, update

from config import Settings
from internal.exception import UnauthorizedException
from internal.extension.database import SQLAlchemy, utcnow
from internal.model import Account, ApiKey
from pkg.paginator import PageReq, Paginator, paginate
from pkg.secret_box import SecretBox, keyed_digest

from .account_service import AccountService
from .base_service import BaseService

API_KEY_PREFIX = "llmops-v1/"
_ALPHABET = string.ascii_letters + string.digits
# How stale last_used_at may be: one write per key and minute keeps a busy key off the database.
LAST_USED_RESOLUTION = 60.0
_CACHE_MAX_ENTRIES = 10_000
_REFUSED = "API秘钥不存在或未激活"

logger = logging.getLogger(__name__)


def generate_api_key() -> str:
    return API_KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(48))


@dataclass(frozen=True)
class ApiKeyCredential:
    """The API key a request was authenticated with (plain values, safe to cache and share)."""

    id: uuid.UUID
    account_id: uuid.UUID


@dataclass(frozen=True)
class ApiKeyItem:
    """An API key as its owner sees it in the list, with the key decrypted."""

    id: uuid.UUID
    api_key: str
    is_active: bool
    remark: str
    last_used_at: datetime | None
    updated_at: datetime
    created_at: datetime


@singleton
class ApiKeyCache:
    """Active keys by hash, each kept `api_key_cache_ttl` seconds in this process."""

    @inject
    def __init__(self, settings: Settings):
        self._ttl = settings.open_api.api_key_cache_ttl
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, ApiKeyCredential]] = {}

    def get(self, key_hash: str) -> ApiKeyCredential | None:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key_hash: str, credential: ApiKeyCredential) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= _CACHE_MAX_ENTRIES:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + self._ttl, credential)

    def discard(self, key_hash: str) -> None:
        with self._lock:
            self._entries.pop(key_hash, None)


@singleton
class ApiKeyUsageRecorder:
    """Writes `last_used_at` in a background thread, at most once per key and resolution."""

    @inject
    def __init__(self, app: Flask, db: SQLAlchemy):
        self._app = app
        self._db = db
        self._lock = threading.Lock()
        self._recorded: dict[uuid.UUID, float] = {}
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="api-key-usage")

    def record(self, api_key_id: uuid.UUID) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._recorded.get(api_key_id)
            if last is not None and now - last < LAST_USED_RESOLUTION:
                return
            self._recorded[api_key_id] = now
        self._writer.submit(self._write, api_key_id, utcnow())

    def _write(self, api_key_id: uuid.UUID, used_at: datetime) -> None:
        with self._app.app_context():
            try:
                self._db.session.execute(
                    update(ApiKey)
                    .where(ApiKey.id == api_key_id)
                    # Using a key is not changing it: keep updated_at.
                    .values(last_used_at=used_at, updated_at=ApiKey.updated_at)
                )
                self._db.session.commit()
            except Exception:
                self._db.session.rollback()
                logger.exception("Recording the use of API key %s failed", api_key_id)


@inject
@dataclass
class ApiKeyService(BaseService):
    settings: Settings
    secret_box: SecretBox
    account_service: AccountService
    cache: ApiKeyCache
    usage: ApiKeyUsageRecorder

    def hash_key(self, key: str) -> str:
        return keyed_digest(self.settings.api_key_hash_key, key)

    def create(self, account_id: uuid.UUID, is_active: bool, remark: str) -> ApiKey:
        key = generate_api_key()
        api_key = ApiKey(
            account_id=account_id,
            key_hash=self.hash_key(key),
            encrypted_key=self.secret_box.encrypt(key),
            is_active=is_active,
            remark=remark,
        )
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
        self.cache.discard(api_key.key_hash)
        return api_key

    def delete(self, account_id: uuid.UUID, api_key_id: uuid.UUID) -> None:
        api_key = self.get(account_id, api_key_id)
        key_hash = api_key.key_hash
        with self.db.auto_commit():
            self.db.session.delete(api_key)
        self.cache.discard(key_hash)

    def list_api_keys(self, account_id: uuid.UUID, page: PageReq) -> tuple[list[ApiKeyItem], Paginator]:
        stmt = (
            select(ApiKey)
            .where(ApiKey.account_id == account_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
        rows, paginator = paginate(self.db.session, stmt, page)
        return [self._item(row) for row in rows], paginator

    def _item(self, row: ApiKey) -> ApiKeyItem:
        return ApiKeyItem(
            id=row.id,
            api_key=self.secret_box.decrypt(row.encrypted_key),
            is_active=row.is_active,
            remark=row.remark,
            last_used_at=row.last_used_at,
            updated_at=row.updated_at,
            created_at=row.created_at,
        )

    def authenticate(self, key: str) -> tuple[Account, ApiKeyCredential]:
        """The account an active key belongs to, and the key; records that the key was used."""
        key_hash = self.hash_key(key)
        credential = self.cache.get(key_hash)
        if credential is not None:
            account = self.account_service.get_account(credential.account_id)
        else:
            row = self.db.session.execute(
                select(ApiKey.id, ApiKey.is_active, Account)
                .join(Account, Account.id == ApiKey.account_id)
                .where(ApiKey.key_hash == key_hash)
            ).one_or_none()
            if row is None or not row.is_active:
                raise UnauthorizedException(_REFUSED)
            account = row.Account
            credential = ApiKeyCredential(id=row.id, account_id=account.id)
            self.cache.put(key_hash, credential)
        if account is None:
            raise UnauthorizedException(_REFUSED)
        self.usage.record(credential.id)
        return account, credential
