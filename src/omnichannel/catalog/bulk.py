"""Set-based building blocks of the bulk import: chunked lookups, multi-row INSERTs,
executemany UPDATEs, and the brand/category resolver. Core only, no ORM objects."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Row,
    Select,
    Table,
    any_,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from omnichannel.catalog.models import Brand, Category, Product, Variant
from omnichannel.catalog.rules import fold, path_segments, slugify, unique_slug
from omnichannel.kernel import Conflict, new_id

PRODUCTS = cast(Table, Product.__table__)
VARIANTS = cast(Table, Variant.__table__)
BRANDS = cast(Table, Brand.__table__)
CATEGORIES = cast(Table, Category.__table__)

# Values per IN list: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
CHUNK = 5000


class ImportConflict(Conflict):
    code = "import_conflict"


def select_in(
    session: Session, stmt: Select[Any], lists: Sequence[tuple[ColumnElement[Any], Sequence[Any]]]
) -> list[Row[Any]]:
    """Rows (with an `id`) matching `col IN values` for any of the lists, in chunks.

    On PostgreSQL each list goes as one array parameter (`col = ANY(:array)`): thousands
    of separate placeholders cost more to send, parse and plan than the lookup itself.
    """
    array = session.get_bind().dialect.name == "postgresql"
    rounds = max((len(values) + CHUNK - 1) // CHUNK for _, values in lists)
    rows: dict[Any, Row[Any]] = {}
    for k in range(rounds):
        conds = [
            col == any_(bindparam(None, list(part), type_=ARRAY(col.type)))
            if array
            else col.in_(part)
            for col, values in lists
            if (part := values[k * CHUNK : (k + 1) * CHUNK])
        ]
        for row in session.execute(stmt.where(or_(*conds))):
            rows[row.id] = row
    return list(rows.values())


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany INSERT (psycopg pipelines it; sqlite3 loops in C)."""
    if rows:
        session.execute(insert(table), rows)


def update_rows(
    session: Session, table: Table, rows: list[dict[str, Any]], *, versioned: bool
) -> None:
    """One executemany UPDATE by `b_id`; a versioned one also requires the `b_version` read,
    so a concurrent edit makes the whole batch fail instead of being overwritten."""
    if not rows:
        return
    stmt = update(table).where(table.c.id == bindparam("b_id"))
    if versioned:
        stmt = stmt.where(table.c.version == bindparam("b_version"))
    result = cast(CursorResult[Any], session.execute(stmt, rows))
    sane = session.get_bind().dialect.supports_sane_multi_rowcount
    if versioned and sane and result.rowcount != len(rows):
        raise ImportConflict(
            "Some of these products changed while the import ran; nothing was written. Retry it."
        )


def expire(session: Session, ids: set[uuid.UUID]) -> None:
    """ORM objects whose rows changed behind the session's back reload on next use."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Product | Variant) and obj.id in ids:
            session.expire(obj)


class Taxonomy:
    """Brands and categories loaded once per import; new ones are planned in memory and
    written by `write` only when the whole batch is good."""

    def __init__(self, session: Session) -> None:
        self.brands: dict[str, uuid.UUID] = {}
        self.brand_codes: dict[str, uuid.UUID] = {}
        for b in session.execute(select(BRANDS.c.id, BRANDS.c.code, BRANDS.c.name)):
            self.brands.setdefault(fold(b.name), b.id)
            self.brand_codes[b.code] = b.id
        # (parent id, folded name) -> (id, code, path)
        self.children: dict[tuple[uuid.UUID | None, str], tuple[uuid.UUID, str, str]] = {}
        self.category_codes: set[str] = set()
        c = CATEGORIES.c
        for cat in session.execute(
            select(c.id, c.parent_id, c.code, c.name, c.path).order_by(c.path)
        ):
            self.children.setdefault((cat.parent_id, fold(cat.name)), (cat.id, cat.code, cat.path))
            self.category_codes.add(cat.code)
        self.new_brands: list[dict[str, Any]] = []
        self.new_categories: list[dict[str, Any]] = []

    def brand(self, name: str) -> uuid.UUID:
        """The brand of this name (any case and accents), or of its slug; planned if new."""
        key = fold(name)
        found = self.brands.get(key)
        if found is None:
            code = slugify(name)
            found = self.brand_codes.get(code)
            if found is None:
                found = new_id()
                self.brand_codes[code] = found
                self.new_brands.append({"id": found, "code": code, "name": name.strip()})
            self.brands[key] = found
        return found

    def category(self, path: str) -> uuid.UUID:
        """The category at a path of names ("Odzież/Koszulki"); missing levels are planned
        with slug codes, prefixed by the parent's code when the plain slug is taken."""
        parent: tuple[uuid.UUID, str, str] | None = None
        for name in path_segments(path):
            key = (parent[0] if parent else None, fold(name))
            node = self.children.get(key)
            if node is None:
                prefix = parent[1] if parent else None
                code = unique_slug(slugify(name), self.category_codes, prefix=prefix)
                node = (new_id(), code, f"{parent[2]}/{code}" if parent else code)
                self.category_codes.add(code)
                self.children[key] = node
                self.new_categories.append(
                    {
                        "id": node[0],
                        "parent_id": key[0],
                        "code": code,
                        "name": name,
                        "path": node[2],
                    }
                )
            parent = node
        if parent is None:
            raise ValueError("a category path needs at least one name")
        return parent[0]

    def write(self, session: Session, *, now: Any) -> list[dict[str, Any]]:
        """Insert the planned brands and categories; returns their events."""
        stamp = {"version": 1, "created_at": now, "updated_at": now}
        insert_rows(session, BRANDS, [{**b, **stamp} for b in self.new_brands])
        # Parents were planned before their children, so the foreign keys hold row by row.
        insert_rows(session, CATEGORIES, [{**c, **stamp} for c in self.new_categories])
        events = [
            _created("brand", b["id"], {"id": str(b["id"]), "code": b["code"], "name": b["name"]})
            for b in self.new_brands
        ]
        for c in self.new_categories:
            parent = str(c["parent_id"]) if c["parent_id"] else None
            payload = {
                "id": str(c["id"]),
                "code": c["code"],
                "name": c["name"],
                "path": c["path"],
                "parent_id": parent,
            }
            events.append(_created("category", c["id"], payload))
        return events


def _created(kind: str, id: uuid.UUID, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "aggregate_type": kind,
        "aggregate_id": id,
        "sequence": 1,
        "type": f"{kind}.created",
        "payload": payload,
    }
