"""`column IN (many ids)` as ONE bound value, for reads that take hundreds of ids.

A plain `IN` list is expanded into one placeholder per id on every call: SQLAlchemy
renders the statement again and the driver adapts each id, which for 100 ids cost
more than the query itself. Here the ids travel as one value: a `uuid[]` array on
PostgreSQL (`= ANY(...)`), a JSON array on SQLite (`IN (SELECT value FROM
json_each(...))`). The statement text no longer depends on how many ids there are,
so it is compiled once and cached.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    String,
    Uuid,
    any_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.types import TypeDecorator, TypeEngine

_HasUuid = ColumnElement[uuid.UUID] | QueryableAttribute[uuid.UUID]


class _IdArray(TypeDecorator[list[uuid.UUID]]):
    """A list of UUIDs: a typed `uuid[]` parameter on PostgreSQL, JSON of hex ids on
    SQLite (the form SQLAlchemy's `Uuid` stores there)."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            # A real array parameter: PostgreSQL reads it once per statement. (A text
            # value cast in SQL would be parsed again for every row a filter checks.)
            return dialect.type_descriptor(ARRAY(Uuid()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return list(value)
        return json.dumps([v.hex for v in value])


def id_list(name: str) -> BindParameter[Any]:
    """A named parameter that takes a list of ids (for statements built once)."""
    return bindparam(name, type_=_IdArray())


def any_id(
    dialect: str | Dialect,
    column: _HasUuid,
    ids: Iterable[uuid.UUID] | BindParameter[Any],
) -> ColumnElement[bool]:
    """`column` is one of `ids` (a list, or an `id_list` parameter), bound as one value."""
    values = ids if isinstance(ids, BindParameter) else bindparam(None, list(ids), _IdArray())
    name = dialect if isinstance(dialect, str) else dialect.name
    if name == "postgresql":
        return column == any_(values)
    return column.in_(select(literal_column("value")).select_from(func.json_each(values)))
