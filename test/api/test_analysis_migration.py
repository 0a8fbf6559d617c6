"""Migration 0014 (analysis rollups) on SQLite and PostgreSQL: the upgrade builds the rollups
of the messages already stored, so their app's analysis is the same after it."""

import uuid
from datetime import datetime, timedelta

from flask_migrate import downgrade, upgrade

from internal.extension.database import db
from internal.extension.kv_store import KeyValueStore
from internal.model.conversation import InvokeFrom
from internal.server.http import MIGRATIONS_DIR
from internal.service.analysis_service import page_key
from test.api import test_api_key_migration
from test.api.apps import create_app
from test.api.test_analysis import ZONE, Messages, analysis_of
from test.conftest import create_member

# An application on a database of its own, SQLite and PostgreSQL.
fresh_app = test_api_key_migration.fresh_app

BEFORE = "f6b2d8e4a1c7"


def test_the_upgrade_rolls_up_the_messages_already_stored(fresh_app):
    client = fresh_app.test_client()
    member = create_member(fresh_app, client)
    app_id = create_app(client, member)
    rows = Messages(fresh_app, app_id)
    caller = uuid.uuid4()
    now = datetime.now(ZONE)
    for days_ago in (0, 0, 3, 9, 12):
        rows.add(now - timedelta(days=days_ago), f"c{days_ago}", caller, InvokeFrom.SERVICE_API, answer_token_count=5, latency=1.0)
    before = analysis_of(client, member, app_id)

    with fresh_app.app_context():
        db.session.remove()
        downgrade(directory=MIGRATIONS_DIR, revision=BEFORE)
        upgrade(directory=MIGRATIONS_DIR, revision="heads")
        db.session.remove()
    # The page is computed again, from the rollups the upgrade built.
    fresh_app.extensions["injector"].get(KeyValueStore).delete(page_key(uuid.UUID(app_id)))
    after = analysis_of(client, member, app_id)

    assert after == before
    assert after["total_messages"]["data"] == 3 and after["active_accounts"]["data"] == 1
