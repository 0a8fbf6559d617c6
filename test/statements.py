"""Counting the SQL statements a piece of code runs, for tests that pin query counts."""

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from sqlalchemy import event

from internal.extension.database import db

Result = TypeVar("Result")


def statements_in_this_thread(app: Flask, action: Callable[[], Result]) -> tuple[Result, int]:
    """What `action` returns and the SQL statements it ran in the calling thread (not those of
    background writers)."""
    me, count = threading.get_ident(), [0]

    def counted(*_):
        if threading.get_ident() == me:
            count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        return action(), count[0]
    finally:
        event.remove(engine, "before_cursor_execute", counted)
