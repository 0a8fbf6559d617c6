"""Helpers of the content creation tests: a caller pinned to the main server's prefix, the fake
model's structured answers, and running the publishing sweep in this process."""

import uuid

from flask import Flask
from sqlalchemy import update

from internal.aistack.content.models import ContentPublication
from internal.aistack.content.scheduler import ContentScheduler
from internal.extension.database import db, utcnow
from test.conftest import create_member
from test.fakes.openai_server import ChatReply, ToolCall

from .client import AIStackClient, data_of, issue_token


def prefix_caller(app, client, name: str = "Content") -> AIStackClient:
    member = create_member(app, client, name=name)
    return AIStackClient(client, issue_token(client, member.email, member.password), "prefix", member=member)


def drafted(title: str, body: str, tags: list[str], changes: list[str] | None = None) -> ChatReply:
    """The model's function call with a draft (an optimized one when `changes` is given)."""
    args = {"title": title, "body": body, "tags": tags}
    if changes is not None:
        return ChatReply(tool_calls=[ToolCall("OptimizedDraft", args | {"changes": changes})])
    return ChatReply(tool_calls=[ToolCall("WrittenDraft", args)])


def publish(stack, status: int = 201, **fields):
    resp = stack.post("content", "/api/content/publish", json=fields)
    return data_of(resp, status) if status < 400 else resp


def get(stack, publication_id: str) -> dict:
    return data_of(stack.get("content", f"/api/content/publications/{publication_id}"))


def sweep(app: Flask) -> int:
    """One run of the periodic task's work, in this process."""
    with app.app_context():
        return app.extensions["injector"].get(ContentScheduler).publish_due()


def make_due(app: Flask, publication_ids: list[str]) -> None:
    """As if the publications' time had come."""
    with app.app_context():
        try:
            db.session.execute(
                update(ContentPublication)
                .where(ContentPublication.id.in_([uuid.UUID(i) for i in publication_ids]))
                .values(scheduled_time=utcnow())
            )
            db.session.commit()
        finally:
            db.session.remove()
