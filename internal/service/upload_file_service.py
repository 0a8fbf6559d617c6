"""Uploaded files (llmops-api.md §3.1-3.2): type rules, object storage, the record other modules
refer to, and who may read a file back (images: anyone with the key; documents: the owner or a
signed link)."""

import hashlib
import hmac
import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from injector import inject
from sqlalchemy import select

from config import Settings
from internal.exception import (
    FailException,
    ForbiddenException,
    NotFoundException,
    UnauthorizedException,
    ValidateErrorException,
)
from internal.extension.storage import ObjectNotFoundError, ObjectStorage, StorageError
from internal.model import UploadFile

from .base_service import BaseService

logger = logging.getLogger(__name__)

# Documents the knowledge base parses, with the MIME type recorded for each; an explicit map
# keeps the answers the same on every machine (the system MIME database varies).
DOCUMENT_MIME_TYPES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html",
    ".htm": "text/html",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
}
IMAGE_MIME_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif"}

# Binary documents must start the way their format does; text formats have no signature.
_DOCUMENT_SIGNATURES = {".pdf": (b"%PDF-",), ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",)}
_IMAGE_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF87a", ".gif"), (b"GIF89a", ".gif"))

_NAME_MAX_LENGTH = 255


def display_name(filename: str | None) -> str:
    """The client's file name without any folders or control characters, cut to fit the column."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > _NAME_MAX_LENGTH:
        stem, extension = os.path.splitext(name)
        name = stem[: _NAME_MAX_LENGTH - len(extension)] + extension if len(extension) < 32 else name[:_NAME_MAX_LENGTH]
    return name


def image_extension(data: bytes) -> str | None:
    """`.png`, `.jpg` or `.gif` from the leading bytes; None for anything else."""
    for signature, extension in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return extension
    return None


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _unsupported(allowed: dict[str, str], field: str = "file") -> ValidateErrorException:
    names = "、".join(extension.lstrip(".") for extension in allowed)
    return ValidateErrorException(f"{field}: 不支持的文件类型，仅支持{names}", status=415)


def is_image(upload: UploadFile) -> bool:
    return upload.mime_type.startswith("image/")


@dataclass
class SignedLink:
    url: str
    expire_at: int


@inject
@dataclass
class UploadFileService(BaseService):
    storage: ObjectStorage
    settings: Settings

    def upload_document(self, account_id: uuid.UUID, filename: str | None, data: bytes) -> UploadFile:
        name, extension = self.check_document(filename, data)
        return self._store(account_id, name, extension, DOCUMENT_MIME_TYPES[extension], data, private=True)

    @staticmethod
    def check_document(filename: str | None, data: bytes, field: str = "file") -> tuple[str, str]:
        """The stored name and extension of a document upload, refused (naming `field`) when its
        type is not one the knowledge base takes or its bytes are not of that type."""
        name = display_name(filename)
        extension = _extension(name)
        if extension not in DOCUMENT_MIME_TYPES:
            raise _unsupported(DOCUMENT_MIME_TYPES, field)
        signatures = _DOCUMENT_SIGNATURES.get(extension)
        if signatures and not data.startswith(signatures):
            raise ValidateErrorException(f"{field}: 文件内容与扩展名{extension}不符", status=415)
        return name, extension

    def upload_image(self, account_id: uuid.UUID, filename: str | None, data: bytes) -> str:
        """Store an image and return its public URL; the name must say image and the bytes must be one."""
        name = display_name(filename)
        detected = image_extension(data)
        if _extension(name) not in IMAGE_MIME_TYPES or detected is None:
            raise _unsupported(IMAGE_MIME_TYPES)
        # The content decides what is recorded and served, whatever the name claimed among the four.
        upload = self._store(account_id, name, detected, IMAGE_MIME_TYPES[detected], data)
        return self.storage.public_url(upload.key)

    def get(self, account_id: uuid.UUID, upload_file_id: uuid.UUID) -> UploadFile:
        return self.get_owned(UploadFile, upload_file_id, account_id, "上传文件不存在")

    def load_content(self, account_id: uuid.UUID, upload_file_id: uuid.UUID) -> bytes:
        """The bytes of an upload of `account_id`; another account's file is not found."""
        key = self.get(account_id, upload_file_id).key
        try:
            return self.storage.load(key)
        except ObjectNotFoundError:
            raise NotFoundException("上传文件内容不存在") from None

    def signed_link(self, account_id: uuid.UUID, upload_file_id: uuid.UUID) -> SignedLink:
        """A link to an upload of `account_id` that anyone may open until it expires: the storage
        backend's own presigned URL (COS), or the API's serving route with a signature."""
        upload = self.get(account_id, upload_file_id)
        ttl = self.settings.object_storage.upload_link_ttl
        expire_at = int(time.time()) + ttl
        url = self.storage.presigned_url(upload.key, ttl)
        if url is None:
            query = urlencode({"expires": expire_at, "signature": self._signature(upload.key, expire_at)})
            url = f"{self.storage.public_url(upload.key)}?{query}"
        return SignedLink(url=url, expire_at=expire_at)

    def _signature(self, key: str, expires: int) -> str:
        # A key of its own, derived from the token key, so a link signature is never a token's.
        link_key = hmac.new(self.settings.jwt_secret_key.encode(), b"upload-file-link", hashlib.sha256).digest()
        return hmac.new(link_key, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def _check_read_access(self, upload: UploadFile, account_id: uuid.UUID | None, expires: int | None, signature: str) -> None:
        """Images are public behind their unguessable key (front ends show them in <img>);
        documents need their owner's token or an unexpired link signed for them."""
        if is_image(upload):
            return
        if signature or expires is not None:
            valid = (
                expires is not None
                and expires >= time.time()
                and hmac.compare_digest(signature, self._signature(upload.key, expires))
            )
            if not valid:
                raise ForbiddenException("文件链接无效或已过期")
            return
        if account_id is None:
            raise UnauthorizedException("该文件需要授权访问，请登录或使用签名链接")
        if account_id != upload.account_id:
            raise NotFoundException("文件不存在")

    def load_served(
        self, key: str, account_id: uuid.UUID | None = None, expires: int | None = None, signature: str = ""
    ) -> tuple[UploadFile, bytes]:
        """A recorded upload by its key, for the serving route, if the caller may read it; only
        keys this service issued resolve."""
        upload = self.db.session.scalar(select(UploadFile).where(UploadFile.key == key))
        if upload is None:
            raise NotFoundException("文件不存在")
        self._check_read_access(upload, account_id, expires, signature)
        try:
            return upload, self.storage.load(upload.key)
        except ObjectNotFoundError:
            raise NotFoundException("文件不存在") from None

    def _store(
        self, account_id: uuid.UUID, name: str, extension: str, mime_type: str, data: bytes, private: bool = False
    ) -> UploadFile:
        key = f"{datetime.now(UTC):%Y/%m/%d}/{uuid.uuid4()}{extension}"
        try:
            self.storage.save(key, data, mime_type, private=private)
        except StorageError:
            logger.exception("Saving upload %s failed", key)
            raise FailException("上传文件失败，请稍后重试") from None

        upload = UploadFile(
            account_id=account_id,
            name=name,
            key=key,
            size=len(data),
            extension=extension,
            mime_type=mime_type,
            hash=hashlib.sha256(data).hexdigest(),
        )
        try:
            with self.db.auto_commit():
                self.db.session.add(upload)
        except Exception:
            self._discard(key)
            raise
        return upload

    def _discard(self, key: str) -> None:
        try:
            self.storage.delete(key)
        except StorageError:
            logger.exception("Could not remove orphaned upload %s", key)
