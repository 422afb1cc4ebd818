"""Writing a freshly built aggregate without the ORM's unit of work.

A flush sorts, diffs and tracks every object in the session: measured on checkout,
one flush of a new order (order, lines, moves, payment, operation) cost about 2 ms
of Python, more than the statements themselves. `insert_new` writes the session's
new objects of the given classes with one Core INSERT per table, parents first,
and takes them out of the session: they stay readable as plain objects (the API
answers from them), and a later read in the transaction loads the rows afresh.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, bindparam, insert, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ONETOMANY, Mapper, Session, make_transient_to_detached

from omnichannel.db.base import Base
from omnichannel.db.prepared import Cursor, Prepared


def insert_new(session: Session, *classes: type[Any]) -> None:
    """INSERT the pending objects of `classes` (one statement per table); they come
    back persistent (those whose key the database numbers stay out, detached).

    As a flush would: column defaults are applied and set on the objects, and a
    child's foreign key is taken from its parent through one-to-many relationships.
    Autoincrement keys are left to the database (nothing here reads them back).
    """
    pending = [obj for obj in session.new if isinstance(obj, classes)]
    if not pending:
        return
    skipped: dict[int, set[str]] = {}
    for obj in pending:  # defaults first: parents' keys are needed below
        skipped[id(obj)] = _apply_defaults(obj)
    for obj in pending:
        _sync_children(obj)
    rows: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    for obj in pending:
        mapper = inspect(obj).mapper
        left = skipped[id(obj)]
        row: dict[str, Any] = {}
        for col in _columns(mapper):
            if col.key in left:
                continue
            value = getattr(obj, col.key)
            if value is None and col.numbered:
                continue  # the database numbers it
            row[col.column] = value
        rows[mapper.local_table].append(row)
    for obj in pending:
        if obj in session:
            session.expunge(obj)
    order = _table_order(len(Base.metadata.tables))
    for table in sorted(rows, key=order.__getitem__):
        insert_rows(session, table, rows[table])
    # Back into the session as loaded rows, so that the caller can go on changing
    # them (every one first, so that adding a parent cascades to no pending child).
    keyed = [obj for obj in pending if _has_key(obj)]
    for obj in keyed:
        make_transient_to_detached(obj)
    for obj in keyed:
        session.add(obj)


@functools.cache
def _table_order(_tables: int) -> dict[Table, int]:
    """Parents before children (sorting the metadata costs more than the INSERTs);
    keyed by the table count, in case a module adds tables later."""
    return {table: i for i, table in enumerate(Base.metadata.sorted_tables)}


def _has_key(obj: Any) -> bool:
    mapper = inspect(obj).mapper
    return all(
        getattr(obj, mapper.get_property_by_column(c).key) is not None for c in mapper.primary_key
    )


@dataclass(frozen=True, slots=True)
class _Col:
    key: str  # the attribute
    column: str  # the column's key in a row
    default: Any  # None, a scalar/callable ColumnDefault, or one the database computes
    numbered: bool  # an autoincrement primary key: left to the database when unset


@functools.cache
def _columns(mapper: Mapper[Any]) -> tuple[_Col, ...]:
    """A mapper's plain columns, looked up once (per object, it was a third of the
    cost of writing a checkout's order)."""
    out = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if isinstance(column, Column):
            out.append(
                _Col(
                    prop.key,
                    column.key,
                    column.default,
                    column.primary_key and column.autoincrement is True,
                )
            )
    return tuple(out)


def _apply_defaults(obj: Any) -> set[str]:
    """Set the Python-side defaults of unset columns; the keys left to the database."""
    left: set[str] = set()
    for col in _columns(inspect(obj).mapper):
        if col.default is not None and getattr(obj, col.key) is None:
            value = _default(col.default)
            if value is _DATABASE:
                left.add(col.key)
            else:
                setattr(obj, col.key, value)
    return left


def _sync_children(obj: Any) -> None:
    """Copy the parent's key into the children of its loaded one-to-many collections."""
    state = inspect(obj)
    for rel in state.mapper.relationships:
        if rel.direction is not ONETOMANY or rel.key not in state.dict:
            continue
        for child in state.dict[rel.key]:
            child_mapper = inspect(child).mapper
            for local, remote in rel.local_remote_pairs or ():
                value = getattr(obj, state.mapper.get_property_by_column(local).key)
                setattr(child, child_mapper.get_property_by_column(remote).key, value)


_DATABASE = object()  # a default the database computes (a SQL expression)


def _default(default: Any) -> Any:
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy wraps a no-argument callable to take a context
    return _DATABASE


# Rows per multi-VALUES statement: far below SQLite's 32,766 bound values for any
# table here, and as many as a checkout or a bulk import chunk needs.
_ROWS_PER_STATEMENT = 200


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT rows with one multi-VALUES statement (per 200 rows), `ignore_conflicts`
    for ON CONFLICT DO NOTHING.

    An executemany runs the statement once per row (SQLite runs each, psycopg sends
    each), and SQLAlchemy compiles a multi-VALUES INSERT anew on every call; so the
    statement for each (table, columns, row count) is compiled once and run on the
    driver (`Prepared`). Pending ORM changes are not flushed first. The rows must
    share their keys.
    """
    if not rows:
        return
    conn = session.connection()
    cur = Cursor(conn.connection.dbapi_connection.cursor(), conn.dialect)  # type: ignore[union-attr]
    given = set(rows[0])
    # Python-side defaults of the columns left out, as a Core INSERT would apply them
    defaulted = [
        c
        for c in table.columns
        if c.key not in given
        and c.default is not None
        and (c.default.is_scalar or c.default.is_callable)
    ]
    if defaulted:
        rows = [row | {c.key: _default(c.default) for c in defaulted} for row in rows]
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        columns = tuple(chunk[0])
        statement = _multi_insert(table, columns, len(chunk), ignore_conflicts, cur.dialect.name)
        params = {f"{c}__{i}": row[c] for i, row in enumerate(chunk) for c in columns}
        statement.execute(cur, params)


@functools.cache
def _multi_insert(
    table: Table, columns: tuple[str, ...], n: int, ignore_conflicts: bool, dialect: str
) -> Prepared:
    values = [{c: bindparam(f"{c}__{i}", type_=table.c[c].type) for c in columns} for i in range(n)]
    if not ignore_conflicts:
        return Prepared(insert(table).values(values))
    ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return Prepared(ins.values(values).on_conflict_do_nothing())
