"""A session's conversation as a file (GET /api/chat/export): JSON, Markdown, HTML or PDF.
Message text is the users' and the model's: HTML escapes it, and the PDF sets it in Noto Sans
CJK (an installed font package) so Chinese renders in any viewer."""

import html
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from injector import inject
from sqlalchemy import select

from config import Settings
from internal.aistack.documents.pdf import new_cjk_pdf
from internal.aistack.gateway.envelope import iso, now_iso
from internal.model import Message
from internal.service.base_service import BaseService

from .models import AIStackChatSession
from .sessions import ChatSessions

ROLE_TITLES = {"user": "用户", "assistant": "助手"}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    mimetype: str
    content: bytes


@dataclass(frozen=True)
class _Format:
    extension: str
    mimetype: str


FORMATS = {
    "json": _Format("json", "application/json"),
    "markdown": _Format("md", "text/markdown; charset=utf-8"),
    "html": _Format("html", "text/html; charset=utf-8"),
    "pdf": _Format("pdf", "application/pdf"),
}


@inject
@dataclass
class ChatExportService(BaseService):
    settings: Settings
    sessions: ChatSessions

    def export(self, account_id: uuid.UUID, session_id: str, format_name: str) -> ExportFile:
        session = self.sessions.get(account_id, session_id)
        document = {"session": _session_of(session), "messages": self._messages(session.conversation_id), "exported_at": now_iso()}
        # Nothing stays open on the connection while the file is rendered.
        self.db.session.commit()
        render = {"json": _json, "markdown": _markdown, "html": _html, "pdf": _pdf}[format_name]
        kind = FORMATS[format_name]
        return ExportFile(f"chat-{session.session_id}.{kind.extension}", kind.mimetype, render(document))

    def _messages(self, conversation_id: uuid.UUID | None) -> list[dict[str, Any]]:
        """The conversation's latest rounds (at most the export limit), oldest first, each as the
        user's message and the answer (when there is one)."""
        if conversation_id is None:
            return []
        limit = self.settings.aistack_chat.aistack_chat_export_max_messages
        rows = self.db.session.execute(
            select(Message.id, Message.query, Message.answer, Message.status, Message.latency, Message.created_at)
            .where(Message.conversation_id == conversation_id, Message.is_deleted.is_(False))
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        ).all()
        messages = []
        for row in reversed(rows):
            messages.append({"role": "user", "content": row.query, "timestamp": iso(row.created_at), "message_id": str(row.id)})
            if row.answer:
                answered_at = row.created_at + timedelta(seconds=row.latency or 0)
                messages.append(
                    {"role": "assistant", "content": row.answer, "timestamp": iso(answered_at), "message_id": str(row.id), "status": row.status}
                )
        return messages


def _session_of(session: AIStackChatSession) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "user_id": session.user_id,
        "app_id": str(session.app_id) if session.app_id else None,
        "conversation_id": str(session.conversation_id) if session.conversation_id else None,
        "context": session.context or {},
        "created_at": iso(session.created_at),
        "updated_at": iso(session.updated_at),
    }


def _title(document: dict[str, Any]) -> str:
    return f"对话导出 · {document['session']['session_id']}"


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def _markdown(document: dict[str, Any]) -> bytes:
    lines = [f"# {_title(document)}", "", f"- 导出时间：{document['exported_at']}"]
    if document["session"]["user_id"]:
        lines.append(f"- 用户：{document['session']['user_id']}")
    for message in document["messages"]:
        lines += ["", f"### {ROLE_TITLES[message['role']]} · {message['timestamp']}", "", message["content"]]
    return ("\n".join(lines) + "\n").encode()


def _html(document: dict[str, Any]) -> bytes:
    title = html.escape(_title(document))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{title}</title>",
        "<style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto}"
        ".message{margin:1rem 0;padding:.75rem;border-radius:.5rem}.user{background:#eef}.assistant{background:#efe}"
        ".meta{color:#666;font-size:.85rem}.content{white-space:pre-wrap}</style>",
        "</head><body>",
        f"<h1>{title}</h1>",
        f'<p class="meta">导出时间：{html.escape(document["exported_at"])}</p>',
    ]
    for message in document["messages"]:
        role = message["role"]
        parts.append(
            f'<div class="message {role}"><div class="meta">{ROLE_TITLES[role]} · {html.escape(message["timestamp"])}</div>'
            f'<div class="content">{html.escape(message["content"])}</div></div>'
        )
    parts.append("</body></html>")
    return "\n".join(parts).encode()


def _pdf(document: dict[str, Any]) -> bytes:
    pdf = new_cjk_pdf()
    pdf.set_font("NotoSansCJK", size=16)
    pdf.multi_cell(0, 10, _title(document), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSansCJK", size=9)
    pdf.multi_cell(0, 6, f"导出时间：{document['exported_at']}", new_x="LMARGIN", new_y="NEXT")
    for message in document["messages"]:
        pdf.ln(3)
        pdf.set_text_color(100, 100, 100)
        pdf.set_font("NotoSansCJK", size=9)
        pdf.multi_cell(0, 6, f"{ROLE_TITLES[message['role']]} · {message['timestamp']}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("NotoSansCJK", size=11)
        pdf.multi_cell(0, 7, message["content"], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
