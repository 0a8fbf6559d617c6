"""The sources a verification checks claims against, as text: given text as is, an http(s) URL
fetched through the guarded client (HTML and other documents turned into text by the knowledge
base's extractors), or the id of one of the caller's documents (its chunks in order)."""

import logging
import re
import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select

from internal.aistack.gateway.errors import invalid_input
from internal.core.file_extractor import FileExtractError, extract_text
from internal.exception import NotFoundException
from internal.model import Document, Segment
from internal.service.base_service import BaseService
from pkg.guarded_http import GuardedHttpClient, OutboundRequestError, OutboundRequestRefused

logger = logging.getLogger(__name__)

_URL = re.compile(r"^https?://", re.IGNORECASE)
# Media types of fetched pages, read by the extractor of this file type.
_EXTRACTORS = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/json": ".json",
    "application/pdf": ".pdf",
    "text/csv": ".csv",
}


@dataclass(frozen=True)
class SourceText:
    source: str  # as the caller wrote it
    kind: str  # text, url or document
    text: str


def _is_url(source: str) -> bool:
    return bool(_URL.match(source))


def _document_id(source: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(source)
    except ValueError:
        return None


@inject
@dataclass
class SourceLoader(BaseService):
    http: GuardedHttpClient

    def load(self, account_id: uuid.UUID, sources: list[str], max_chars: int) -> list[SourceText]:
        """Each source's text, cut to `max_chars`. Documents are read first (a missing or foreign
        one is not found), then the transaction ends before any page is fetched."""
        documents = {
            source: self._document_text(account_id, document_id, max_chars)
            for source in sources
            if not _is_url(source) and (document_id := _document_id(source)) is not None
        }
        self.db.session.commit()
        loaded = []
        for index, source in enumerate(sources):
            if source in documents:
                loaded.append(SourceText(source, "document", documents[source]))
            elif _is_url(source):
                loaded.append(SourceText(source, "url", self._fetch(f"sources[{index}]", source)[:max_chars]))
            else:
                loaded.append(SourceText(source, "text", source[:max_chars]))
        return loaded

    def _document_text(self, account_id: uuid.UUID, document_id: uuid.UUID, max_chars: int) -> str:
        document = self.db.session.get(Document, document_id)
        if document is None or document.account_id != account_id:
            raise NotFoundException(f"文档不存在：{document_id}")
        parts, size = [], 0
        chunks = self.db.session.scalars(
            select(Segment.content).where(Segment.document_id == document_id).order_by(Segment.position)
        )
        for content in chunks:
            parts.append(content)
            size += len(content) + 1
            if size >= max_chars:
                break
        return "\n".join(parts)[:max_chars]

    def _fetch(self, field: str, url: str) -> str:
        try:
            response = self.http.request("GET", url, headers={"Accept": "text/html, text/plain, */*;q=0.5"})
        except OutboundRequestRefused:
            raise invalid_input(field, "不允许访问该地址") from None
        except OutboundRequestError as exc:
            logger.info("Fetching verification source %s failed: %s", url, exc)
            raise invalid_input(field, "无法获取该地址的内容") from None
        if response.status_code >= 400:
            raise invalid_input(field, f"获取该地址的内容失败（HTTP {response.status_code}）")
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        extension = _EXTRACTORS.get(media_type)
        if extension is None:
            if media_type.startswith("text/") or not media_type:
                return response.text
            raise invalid_input(field, f"不支持的内容类型：{media_type}")
        try:
            return extract_text(response.content, extension)
        except FileExtractError as exc:
            raise invalid_input(field, f"无法读取该地址的内容：{exc}") from None
