"""The hot-path SQL of stock, in SQLAlchemy Core (compiled once, cached).

Every statement that changes a level is one conditional UPDATE: the WHERE clause
*is* the rule, and "no row returned" is the answer no. Nothing reads a level and
then writes it back from Python.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Table, bindparam, insert, update
from sqlalchemy.orm import Session

from omnichannel.db import record_events
from omnichannel.db.bulk import insert_rows
from omnichannel.inventory.models import StockLevel, StockMovement, StockPolicy

levels: Table = StockLevel.__table__  # type: ignore[assignment]
movements: Table = StockMovement.__table__  # type: ignore[assignment]
policies: Table = StockPolicy.__table__  # type: ignore[assignment]

_key = (levels.c.variant_id == bindparam("v")) & (levels.c.location_id == bindparam("l"))
_returning = (levels.c.on_hand, levels.c.reserved, levels.c.version)

# Take `q` units if on_hand - reserved + allowance covers them (promise 1).
RESERVE = (
    update(levels)
    .where(_key, levels.c.on_hand - levels.c.reserved + levels.c.allowance >= bindparam("q"))
    .values(
        reserved=levels.c.reserved + bindparam("q"),
        version=levels.c.version + 1,
        updated_at=bindparam("now"),
    )
    .returning(*_returning)
)

# Give back `q` held units.
RELEASE = (
    update(levels)
    .where(_key, levels.c.reserved >= bindparam("q"))
    .values(
        reserved=levels.c.reserved - bindparam("q"),
        version=levels.c.version + 1,
        updated_at=bindparam("now"),
    )
    .returning(*_returning)
)

# Held goods leave: on_hand and reserved both drop; the goods must physically be here.
SHIP_RESERVED = (
    update(levels)
    .where(_key, levels.c.reserved >= bindparam("q"), levels.c.on_hand >= bindparam("q"))
    .values(
        on_hand=levels.c.on_hand - bindparam("q"),
        reserved=levels.c.reserved - bindparam("q"),
        version=levels.c.version + 1,
        updated_at=bindparam("now"),
    )
    .returning(*_returning)
)

# Remove `d` (< 0) from on_hand, keeping every reservation covered (adjustments,
# damage, transfers out).
MOVE_COVERED = (
    update(levels)
    .where(
        _key,
        levels.c.on_hand + bindparam("d") >= 0,
        levels.c.on_hand + bindparam("d") + levels.c.allowance >= levels.c.reserved,
    )
    .values(
        on_hand=levels.c.on_hand + bindparam("d"),
        version=levels.c.version + 1,
        updated_at=bindparam("now"),
    )
    .returning(*_returning)
)

# Change on_hand by `d` whatever is reserved: counts and ERP syncs record reality, and
# goods that arrive (receipts, returns, transfers in) only ever shrink a shortage.
MOVE_REALITY = (
    update(levels)
    .where(_key, levels.c.on_hand + bindparam("d") >= 0)
    .values(
        on_hand=levels.c.on_hand + bindparam("d"),
        version=levels.c.version + 1,
        updated_at=bindparam("now"),
    )
    .returning(*_returning)
)


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, on either backend, one statement per 200 rows."""
    insert_rows(session, table, rows, ignore_conflicts=True)


def ensure_levels(
    session: Session, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]], allowances: dict[uuid.UUID, int]
) -> None:
    """Create missing (variant, location) rows, empty, with the variant's allowance."""
    rows = [
        {
            "variant_id": v,
            "location_id": loc,
            "on_hand": 0,
            "reserved": 0,
            "allowance": allowances.get(v, 0),
            "version": 0,
        }
        for v, loc in sorted(set(pairs))
    ]
    insert_ignore(session, levels, rows)


def touch_levels(
    session: Session, where: ColumnElement[bool], *, cause: str, now: datetime
) -> None:
    """Record `inventory.level_changed` for levels whose ATP moved without a change of
    on_hand or reserved (a policy's headroom, safety stock): the availability
    projector learns of every change from these events. The caller has locked the
    levels in order (`operations._lock_levels`)."""
    rows = session.execute(
        update(levels)
        .where(where)
        .values(version=levels.c.version + 1, updated_at=now)
        .returning(levels.c.variant_id, levels.c.location_id, *_returning)
    ).all()
    record_level_events(
        session, [level_event(r[0], r[1], r[2:], cause) for r in sorted(rows, key=lambda r: r[:2])]
    )


def record_movements(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append ledger lines (one multi-row INSERT)."""
    if rows:
        session.execute(insert(movements), rows)


def level_event(
    variant_id: uuid.UUID, location_id: uuid.UUID, row: Any, cause: str
) -> dict[str, Any]:
    on_hand, reserved, version = row[0], row[1], row[2]
    return {
        "aggregate_type": "stock_level",
        "aggregate_id": f"{variant_id}:{location_id}",
        "sequence": version,
        "type": "inventory.level_changed",
        "payload": {
            "variant_id": str(variant_id),
            "location_id": str(location_id),
            "on_hand": on_hand,
            "reserved": reserved,
            "available": on_hand - reserved,
            "cause": cause,
        },
    }


def record_level_events(session: Session, events: list[dict[str, Any]]) -> None:
    record_events(session, events)


def now_params(now: datetime) -> dict[str, Any]:
    return {"now": now}


def rowcount(result: object) -> int:
    """Rows an UPDATE touched: the yes/no of a conditional statement."""
    if not isinstance(result, CursorResult):
        raise TypeError("expected the result of an UPDATE")
    return result.rowcount


def give_back(
    session: Session, items: list[tuple[uuid.UUID, uuid.UUID, int]], now: datetime, cause: str
) -> None:
    """Decrement `reserved` for ended holds, level by level in the fixed order."""
    total: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
    for v, loc, q in items:
        total[(v, loc)] += q
    events = []
    for (v, loc), q in sorted(total.items()):
        row = session.execute(RELEASE, {"v": v, "l": loc, "q": q, "now": now}).first()
        if row is None:  # would mean the ledger of holds and the level disagree
            raise RuntimeError(f"stock level {v}:{loc} holds fewer than {q} reserved units")
        events.append(level_event(v, loc, row, cause))
    record_level_events(session, events)
