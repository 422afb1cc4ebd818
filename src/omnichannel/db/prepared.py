"""Hot-path statements run straight on the driver's cursor.

SQLAlchemy spends about 100 µs of Python on every execution (cache key, execution
context, result wrapping) — more than SQLite needs to run the statement. For the
few statements on the hottest paths (taking stock), a `Prepared` statement is
compiled once per dialect and then executed on the DBAPI cursor of the session's
own connection, inside the session's transaction. Bind values still go through the
column types' processors, so what is stored is byte for byte what the ORM stores.

Rows come back as the driver gives them: select only integer and text columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Observer = Callable[[str], None]

# Instrumentation (benchmarks, tests): called with each statement's SQL as it is sent.
observers: list[Observer] = []


_REQUIRED = object()


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    named: bool  # pyformat (psycopg) takes a dict; qmark (sqlite3) a tuple in order
    # (bind name, type processor or None, literal value or _REQUIRED), in SQL order
    binds: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]


class Prepared:
    """A Core statement compiled once per dialect, executed on the raw cursor."""

    def __init__(self, statement: ClauseElement, *, columns: Sequence[str] = ()) -> None:
        self.statement = statement
        self.columns = list(columns)  # an INSERT's columns, each bound under its own name
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = cast(
                SQLCompiler,
                self.statement.compile(dialect=dialect, column_keys=self.columns or None),
            )
            # qmark: one value per placeholder, in order (a name may repeat)
            names = compiled.positiontup or [] if compiled.positional else list(compiled.binds)
            binds = []
            for name in names:
                bind = compiled.binds[name]
                literal = _REQUIRED if bind.required or bind.callable else bind.value
                proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
                binds.append((name, proc, literal))
            found = _Compiled(compiled.string, not compiled.positional, tuple(binds))
            self._by_dialect[dialect.name] = found
        return found

    @staticmethod
    def _params(c: _Compiled, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        out = []
        for name, proc, literal in c.binds:
            value = values[name] if literal is _REQUIRED else values.get(name, literal)
            out.append(value if proc is None or value is None else proc(value))
        if c.named:
            return {name: value for (name, _, _), value in zip(c.binds, out, strict=True)}
        return out

    def execute(self, session: Session | Cursor, values: Mapping[str, Any]) -> list[Any]:
        """Run once in the session's transaction; the rows it returns, if any.

        Several statements in a row can share one `cursor(session)`.
        """
        cur = session if isinstance(session, Cursor) else cursor(session)
        c = self._compiled(cur.dialect)
        for observe in observers:
            observe(c.sql)
        cur.dbapi.execute(c.sql, self._params(c, values))
        return list(cur.dbapi.fetchall()) if cur.dbapi.description else []


@dataclass(frozen=True, slots=True)
class Cursor:
    """A DBAPI cursor on a session's connection, with that connection's dialect."""

    dbapi: Any
    dialect: Dialect


def cursor(session: Session) -> Cursor:
    """A raw cursor inside the session's transaction (begun if it was not).

    Pending ORM changes are flushed first, so the raw statements see them.
    """
    if session.new or session.deleted or session.dirty:
        session.flush()
    conn = session.connection()
    return Cursor(conn.connection.dbapi_connection.cursor(), conn.dialect)  # type: ignore[union-attr]
