"""Migration 0012 (assistant agent) on SQLite and PostgreSQL: making `app_id` nullable copies
tables on SQLite, which must not cascade away the rows that refer to them (messages, an
account's apps and keys); the downgrade removes only the assistant's rows."""

import uuid

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from internal.extension.database import db
from internal.model import Account, ApiKey, App, Conversation, Message, MessageAgentThought
from internal.model.conversation import InvokeFrom
from internal.server.http import MIGRATIONS_DIR
from test.api.apps import create_app as create_app_via_api
from test.api import test_api_key_migration
from test.conftest import create_member

# An application on a database of its own, SQLite and PostgreSQL.
fresh_app = test_api_key_migration.fresh_app

BEFORE = "d3f8a1c6b2e0"
COUNTED = (Account, ApiKey, App, Conversation, Message, MessageAgentThought)


def _add_conversation(account_id: uuid.UUID, app_id: uuid.UUID | None, invoke_from: InvokeFrom) -> None:
    conversation = Conversation(app_id=app_id, invoke_from=invoke_from, created_by=account_id)
    db.session.add(conversation)
    db.session.flush()
    message = Message(
        app_id=app_id, conversation_id=conversation.id, invoke_from=invoke_from, created_by=account_id, query="q"
    )
    db.session.add(message)
    db.session.flush()
    db.session.add(
        MessageAgentThought(
            app_id=app_id, conversation_id=conversation.id, message_id=message.id, position=1, event="agent_message"
        )
    )


def _counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in COUNTED}


def test_rows_survive_the_upgrade_and_the_downgrade_drops_only_the_assistants(fresh_app):
    client = fresh_app.test_client()
    member = create_member(fresh_app, client)
    app_id = uuid.UUID(create_app_via_api(client, member))
    assert client.post("/openapi/api-keys", json={"is_active": True}, headers=member.headers).json["code"] == "success"
    with fresh_app.app_context():
        _add_conversation(member.id, app_id, InvokeFrom.DEBUGGER)
        db.session.commit()
        with_app = _counts()
        _add_conversation(member.id, None, InvokeFrom.ASSISTANT_AGENT)
        db.session.commit()
        db.session.remove()

        downgrade(directory=MIGRATIONS_DIR, revision=BEFORE)
        assert _counts() == with_app
        db.session.remove()
        upgrade(directory=MIGRATIONS_DIR, revision="heads")
        assert _counts() == with_app
        assert db.session.get(Account, member.id).assistant_agent_conversation_id is None
        db.session.remove()

    # The account and its app still work after both steps.
    resp = client.get(f"/apps/{app_id}", headers=member.headers)
    assert resp.json["code"] == "success", resp.json
