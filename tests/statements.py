"""Counting what a piece of code sends to the database, for the hot paths' budgets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from omnichannel.db import prepared


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The statements executed in the block (the test harness's SAVEPOINTs left out)."""
    sent: list[str] = []

    def seen(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            sent.append(statement)

    def prepared_seen(statement: str) -> None:
        seen(None, None, statement)

    event.listen(engine, "before_cursor_execute", seen)
    prepared.observers.append(prepared_seen)  # what goes straight to the driver
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        prepared.observers.remove(prepared_seen)
