"""A consumer's cursors: which shards have work, taking one, reading it, moving on.

Positions are handed out when a row is inserted, not when it commits: on
PostgreSQL a later position can commit first, and a cursor that only remembered
"up to position N" would step over the earlier one for ever. So a PostgreSQL
cursor remembers snapshots (`pg_current_snapshot()`), and each outbox row the id
of the transaction that wrote it: everything the snapshot `low` sees is
delivered; the next slice is what a newer snapshot `high` sees and `low` does not
(only finished transactions, nothing can join it later), delivered in position
order. An event of an aggregate is written after the previous one committed, so it
falls in the same slice or a later one, and after it in position order: in order
per aggregate. SQLite has one writer at a time: position order is commit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, exists, or_, select, text, update
from sqlalchemy.orm import Session

from omnichannel.db import SHARDS, OutboxEvent
from omnichannel.db.bulk import insert_rows
from omnichannel.events.consumers import Event
from omnichannel.events.models import EventCursor, ParkedEvent

outbox: Table = OutboxEvent.__table__  # type: ignore[assignment]
cursors: Table = EventCursor.__table__  # type: ignore[assignment]
parked: Table = ParkedEvent.__table__  # type: ignore[assignment]

NOTHING = "1:1:"  # a snapshot that sees no transaction: nothing delivered yet

EVENT_COLUMNS = (
    outbox.c.position,
    outbox.c.event_id,
    outbox.c.aggregate_type,
    outbox.c.aggregate_id,
    outbox.c.sequence,
    outbox.c.type,
    outbox.c.payload,
    outbox.c.actor,
    outbox.c.occurred_at,
)


class LeaseLost(Exception):
    """Another worker took the shard over (this one held it past its lease)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    shard: int
    position: int = 0
    low: str | None = None
    low_xmin: int = 0
    high: str | None = None
    high_xmax: int = 0
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Batch:
    """Events read from a cursor, in delivery order."""

    cursor: Cursor  # where the read started (PostgreSQL: with its slice's snapshot)
    events: list[Event]
    short: bool  # fewer than asked: nothing more in the slice (or the shard)

    def after(self, passed: int) -> Cursor:
        """The cursor once the first `passed` events are behind the consumer."""
        c = self.cursor
        if passed == len(self.events) and self.short and c.high is not None:
            return replace(
                c, low=c.high, low_xmin=_xmin(c.high), high=None, high_xmax=0, position=0
            )
        if passed == 0:
            return c
        return replace(c, position=self.events[passed - 1].position)


def event_of(row: Sequence[Any]) -> Event:
    """An Event from a row of `EVENT_COLUMNS`."""
    return Event(*row)


def _xmin(snapshot: str) -> int:
    return int(snapshot.split(":", 1)[0])


def _xmax(snapshot: str) -> int:
    return int(snapshot.split(":", 2)[1])


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- which shards have work ---------------------------------------------------------------


_XID = "CAST(CAST(outbox.txid AS text) AS xid8)"
_NOT_IN_LOW = text(
    f"NOT pg_visible_in_snapshot({_XID}, CAST(COALESCE(event_cursors.low, '{NOTHING}') AS pg_snapshot))"
)
_NOT_IN_HIGH_DONE = text(
    f"NOT (event_cursors.high IS NOT NULL AND pg_visible_in_snapshot({_XID}, "
    "CAST(event_cursors.high AS pg_snapshot)) AND outbox.position <= event_cursors.position)"
)


def pending_condition(postgres: bool) -> ColumnElement[bool]:
    """SQL over `event_cursors` and `outbox`: the row is not yet behind the cursor."""
    if not postgres:
        return and_(
            outbox.c.shard == cursors.c.shard,
            outbox.c.txid.is_(None),
            outbox.c.position > cursors.c.position,
        )
    return and_(
        outbox.c.shard == cursors.c.shard,
        outbox.c.txid >= cursors.c.low_xmin,
        _NOT_IN_LOW,
        _NOT_IN_HIGH_DONE,
    )


def missing_shards(session: Session, consumer: str) -> list[int]:
    have = set(session.scalars(select(cursors.c.shard).where(cursors.c.consumer == consumer)))
    return [s for s in range(SHARDS) if s not in have]


def add_cursors(session: Session, consumer: str, shards: list[int], now: datetime) -> None:
    """Start a consumer's cursors at the beginning of what the outbox holds."""
    rows = [
        {
            "consumer": consumer,
            "shard": s,
            "position": 0,
            "low_xmin": 0,
            "high_xmax": 0,
            "attempts": 0,
            "delivered": 0,
            "updated_at": now,
        }
        for s in shards
    ]
    insert_rows(session, cursors, rows, ignore_conflicts=True)


def pending_shards(session: Session, consumer: str, *, now: datetime) -> list[int]:
    """Shards of the consumer with events to deliver, free and not waiting for a retry."""
    postgres = _postgres(session)
    query = select(cursors.c.shard).where(
        cursors.c.consumer == consumer,
        or_(cursors.c.retry_at.is_(None), cursors.c.retry_at <= now),
        or_(cursors.c.leased_until.is_(None), cursors.c.leased_until <= now),
        exists().where(pending_condition(postgres)),
    )
    return list(session.scalars(query.order_by(cursors.c.shard)))


# --- taking a shard, reading it, moving on --------------------------------------------------


def claim(
    session: Session, consumer: str, shard: int, *, worker: str, now: datetime, lease: timedelta
) -> Cursor | None:
    """Lease the shard with one conditional UPDATE; its cursor, or None if taken."""
    row = session.execute(
        update(cursors)
        .where(
            cursors.c.consumer == consumer,
            cursors.c.shard == shard,
            or_(
                cursors.c.leased_until.is_(None),
                cursors.c.leased_until <= now,
                cursors.c.leased_by == worker,
            ),
            or_(cursors.c.retry_at.is_(None), cursors.c.retry_at <= now),
        )
        .values(leased_by=worker, leased_until=now + lease)
        .returning(
            cursors.c.position,
            cursors.c.low,
            cursors.c.low_xmin,
            cursors.c.high,
            cursors.c.high_xmax,
            cursors.c.attempts,
        )
    ).first()
    return None if row is None else Cursor(shard, *row)


_READ_SQLITE = (
    select(*EVENT_COLUMNS)
    .where(
        outbox.c.shard == bindparam("shard"),
        outbox.c.txid.is_(None),
        outbox.c.position > bindparam("after"),
    )
    .order_by(outbox.c.position)
    .limit(bindparam("n"))
)
_READ_POSTGRES = (
    select(*EVENT_COLUMNS)
    .where(
        outbox.c.shard == bindparam("shard"),
        outbox.c.txid >= bindparam("low_xmin"),
        outbox.c.txid < bindparam("high_xmax"),
        text(f"NOT pg_visible_in_snapshot({_XID}, CAST(:low AS pg_snapshot))"),
        text(f"pg_visible_in_snapshot({_XID}, CAST(:high AS pg_snapshot))"),
        outbox.c.position > bindparam("after"),
    )
    .order_by(outbox.c.position)
    .limit(bindparam("n"))
)


def read(session: Session, cursor: Cursor, limit: int) -> Batch:
    """The next `limit` events after the cursor (PostgreSQL: of its slice, which
    starts now if none is open)."""
    params: dict[str, Any] = {"shard": cursor.shard, "after": cursor.position, "n": limit}
    if _postgres(session):
        if cursor.high is None:
            snapshot = str(session.scalar(text("SELECT CAST(pg_current_snapshot() AS text)")))
            cursor = replace(cursor, high=snapshot, high_xmax=_xmax(snapshot), position=0)
            params["after"] = 0
        params |= {
            "low": cursor.low or NOTHING,
            "low_xmin": cursor.low_xmin,
            "high": cursor.high,
            "high_xmax": cursor.high_xmax,
        }
        rows = session.execute(_READ_POSTGRES, params).all()
    else:
        rows = session.execute(_READ_SQLITE, params).all()
    return Batch(cursor, [event_of(r) for r in rows], len(rows) < limit)


def save(
    session: Session,
    consumer: str,
    cursor: Cursor,
    *,
    worker: str,
    now: datetime,
    passed: int,
    release: bool,
    retry_at: datetime | None = None,
    error: str | None = None,
) -> None:
    """Store the cursor (and a failure, if any) while still holding the lease; raises
    `LeaseLost` when another worker holds it now (the caller's transaction rolls back)."""
    values: dict[str, Any] = {
        "position": cursor.position,
        "low": cursor.low,
        "low_xmin": cursor.low_xmin,
        "high": cursor.high,
        "high_xmax": cursor.high_xmax,
        "attempts": cursor.attempts,
        "retry_at": retry_at,
        "delivered": cursors.c.delivered + passed,
        "updated_at": now,
    }
    if error is not None:
        values["last_error"] = error[:2000]
    if release:
        values |= {"leased_by": None, "leased_until": None}
    result = session.execute(
        update(cursors)
        .where(
            cursors.c.consumer == consumer,
            cursors.c.shard == cursor.shard,
            cursors.c.leased_by == worker,
        )
        .values(values)
    )
    if not getattr(result, "rowcount", 0):
        raise LeaseLost(f"{consumer}: shard {cursor.shard} was taken over")


def park(
    session: Session, consumer: str, event: Event, *, attempts: int, error: str, now: datetime
) -> None:
    """Set an event aside for the consumer (staff see it and may replay it)."""
    insert_rows(
        session,
        parked,
        [
            {
                "consumer": consumer,
                "position": event.position,
                "event_id": event.event_id,
                "event_type": event.type,
                "attempts": attempts,
                "last_error": error[:2000],
                "parked_at": now,
            }
        ],
        ignore_conflicts=True,
    )
