"""What the benchmarks share: counting what reaches the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from omnichannel.db import prepared


@contextmanager
def counted(engine: Engine) -> Iterator[Counter[str]]:
    """What reaches the database in one unit of work, however it is sent.

    SQLite: the library's own trace of every statement it runs (BEGIN and COMMIT
    included). PostgreSQL: SQLAlchemy's statements, `Prepared` statements, the BEGIN
    psycopg sends before the first statement, and the COMMIT.
    """
    box: Counter[str] = Counter()
    if engine.dialect.name == "sqlite":

        def trace(statement: str) -> None:
            box[statement.split(None, 1)[0].lower()] += 1

        def on_checkout(dbapi_conn: Any, *_: Any) -> None:
            dbapi_conn.set_trace_callback(trace)

        def on_checkin(dbapi_conn: Any, *_: Any) -> None:
            dbapi_conn.set_trace_callback(None)

        hooks: list[tuple[Any, str, Callable[..., None]]] = [
            (engine.pool, "checkout", on_checkout),
            (engine.pool, "checkin", on_checkin),
        ]
    else:

        def on_statement(*_: Any) -> None:
            box["sql"] += 1

        def on_begin(*_: Any) -> None:
            box["begin"] += 1

        def on_commit(*_: Any) -> None:
            box["commit"] += 1

        hooks = [
            (engine, "before_cursor_execute", on_statement),
            (engine, "begin", on_begin),
            (engine, "commit", on_commit),
        ]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    if engine.dialect.name != "sqlite":
        prepared.observers.append(on_statement)
    try:
        yield box
    finally:
        for target, name, fn in hooks:
            event.remove(target, name, fn)
        if engine.dialect.name != "sqlite":
            prepared.observers.remove(on_statement)
