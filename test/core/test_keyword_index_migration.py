"""Migration 0027: segments indexed before single Han characters became search terms are
indexed again with the current rule and found by a paraphrase; migration 0028 fills the keyword
statistics (document_term) from the postings. SQLite and PostgreSQL."""

import uuid

from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, select

from internal.core.retrieval.keyword_index import KeywordIndex, term_rows
from internal.extension.database import db
from internal.model import SegmentTerm
from internal.server.http import MIGRATIONS_DIR
from internal.service.account_service import AccountService
from test.api import test_api_key_migration
from test.core.test_retrieval import KnowledgeBase, assert_statistics_match_postings

# An application on a database of its own, SQLite and PostgreSQL.
fresh_app = test_api_key_migration.fresh_app

REVISION = "b4d145f6a0a2"
TEXT = "不尚贤，使民不争"
PARAPHRASE = "不推崇贤能的人，百姓就不会互相争夺"


def test_segments_indexed_before_are_indexed_by_character_and_found_by_a_paraphrase(fresh_app):
    with fresh_app.app_context():
        account = fresh_app.extensions["injector"].get(AccountService).create_account(
            f"mig-{uuid.uuid4().hex[:10]}@example.com", "secret123", "mig"
        )
        kb = KnowledgeBase(fresh_app, account.id)
        dataset = kb.dataset()
        (segment_id,) = kb.document(dataset, [TEXT], vectors=False)
        kb.document(dataset, ["上善若水，水善利万物而不争。"], vectors=False)
        # What the index held before: words only, no single characters.
        db.session.execute(delete(SegmentTerm).where(func.length(SegmentTerm.term) == 1))
        db.session.commit()
        assert KeywordIndex(db).search([dataset], "贤", 5) == []
        db.session.rollback()  # the search's read transaction would hold up the downgrade's DDL
        downgrade(directory=MIGRATIONS_DIR, revision=f"{REVISION}-1")
        upgrade(directory=MIGRATIONS_DIR, revision="heads")

        rows = db.session.execute(
            select(SegmentTerm.term, SegmentTerm.frequency, SegmentTerm.segment_length).where(SegmentTerm.segment_id == segment_id)
        ).all()
        expected = term_rows(segment_id, dataset, uuid.uuid4(), TEXT)
        assert sorted(rows) == sorted((r["term"], r["frequency"], r["segment_length"]) for r in expected)
        assert KeywordIndex(db).search([dataset], PARAPHRASE, 5)[0][0] == segment_id
        assert_statistics_match_postings(dataset)
