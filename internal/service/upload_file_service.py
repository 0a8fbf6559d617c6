"""Uploaded files (llmops-api.md §3.1-3.2): type rules, object storage, and the record other modules refer to."""

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from injector import inject
from sqlalchemy import select

from internal.exception import FailException, NotFoundException, ValidateErrorException
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


def _unsupported(allowed: dict[str, str]) -> ValidateErrorException:
    names = "、".join(extension.lstrip(".") for extension in allowed)
    return ValidateErrorException(f"file: 不支持的文件类型，仅支持{names}", status=415)


@inject
@dataclass
class UploadFileService(BaseService):
    storage: ObjectStorage

    def upload_document(self, account_id: uuid.UUID, filename: str | None, data: bytes) -> UploadFile:
        name = display_name(filename)
        extension = _extension(name)
        if extension not in DOCUMENT_MIME_TYPES:
            raise _unsupported(DOCUMENT_MIME_TYPES)
        signatures = _DOCUMENT_SIGNATURES.get(extension)
        if signatures and not data.startswith(signatures):
            raise ValidateErrorException(f"file: 文件内容与扩展名{extension}不符", status=415)
        return self._store(account_id, name, extension, DOCUMENT_MIME_TYPES[extension], data)

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

    def load_public(self, key: str) -> tuple[UploadFile, bytes]:
        """A recorded upload by its key, for the public link; only keys this service issued resolve."""
        upload = self.db.session.scalar(select(UploadFile).where(UploadFile.key == key))
        if upload is None:
            raise NotFoundException("文件不存在")
        try:
            return upload, self.storage.load(upload.key)
        except ObjectNotFoundError:
            raise NotFoundException("文件不存在") from None

    def _store(self, account_id: uuid.UUID, name: str, extension: str, mime_type: str, data: bytes) -> UploadFile:
        key = f"{datetime.now(UTC):%Y/%m/%d}/{uuid.uuid4()}{extension}"
        try:
            self.storage.save(key, data, mime_type)
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
