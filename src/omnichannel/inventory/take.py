"""Taking stock for a hold: the hottest path of the system, as few statements as it can.

One line is taken by one conditional UPDATE of its level (promise 1); the hold's
row and the `inventory.level_changed` event (which the availability projector
consumes) go with it in the same transaction. On PostgreSQL all three are one
statement (data-modifying CTEs hang off the UPDATE), so a hot level's row lock is
held for one round trip and the commit; on SQLite, where a round trip costs
nothing, they are three short statements. Both run as `Prepared` statements on the
session's own connection.

`None` from `take` means the level cannot cover the line (or does not exist), and
nothing of that line was written.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Table,
    Uuid,
    bindparam,
    column,
    insert,
    text,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import TextualSelect

from omnichannel.db import OutboxEvent, record_events, shard_of
from omnichannel.db.bulk import insert_rows
from omnichannel.db.prepared import Prepared, cursor
from omnichannel.db.types import UTCDateTime
from omnichannel.inventory import statements as sql
from omnichannel.inventory.models import Reservation
from omnichannel.kernel import new_id

_reservations: Table = Reservation.__table__  # type: ignore[assignment]
_outbox: Table = OutboxEvent.__table__  # type: ignore[assignment]

_HOLD_COLUMNS = (
    "id",
    "variant_id",
    "location_id",
    "quantity",
    "owner_type",
    "owner_id",
    "channel_id",
    "status",
    "expires_at",
    "created_at",
    "updated_at",
)
_EVENT_COLUMNS = (
    "event_id",
    "aggregate_type",
    "aggregate_id",
    "sequence",
    "type",
    "payload",
    "actor",
    "occurred_at",
    "shard",
)

# SQLite: the three statements.
_RESERVE = Prepared(sql.RESERVE)
_INSERT_HOLD = Prepared(insert(_reservations), columns=_HOLD_COLUMNS)
_INSERT_EVENT = Prepared(insert(_outbox), columns=_EVENT_COLUMNS)

# PostgreSQL: the same three as one. The event payload is `statements.level_event`'s,
# built in SQL from the updated row (a test holds the two to the same shape).
_TAKE_PG = Prepared(
    text(
        """
WITH taken AS (
    UPDATE stock_levels
       SET reserved = reserved + :q, version = version + 1, updated_at = :now
     WHERE variant_id = :v AND location_id = :l AND on_hand - reserved + allowance >= :q
 RETURNING on_hand, reserved, version
), hold AS (
    INSERT INTO reservations (id, variant_id, location_id, quantity, owner_type, owner_id,
                              channel_id, status, expires_at, created_at, updated_at)
    SELECT :hold_id, :v, :l, :q, :owner_type, :owner_id, :channel_id, :status,
           :expires_at, :now, :now
      FROM taken
), event AS (
    INSERT INTO outbox (event_id, aggregate_type, aggregate_id, sequence, type, payload,
                        actor, occurred_at, shard)
    SELECT :event_id, 'stock_level', :aggregate_id, version, 'inventory.level_changed',
           jsonb_build_object(
               'variant_id', CAST(:v AS text), 'location_id', CAST(:l AS text),
               'on_hand', on_hand, 'reserved', reserved, 'available', on_hand - reserved,
               'cause', CAST('reserved' AS text)),
           :actor, :now, :shard
      FROM taken
)
SELECT on_hand, reserved, version FROM taken
"""
    ).bindparams(
        bindparam("v", type_=Uuid()),
        bindparam("l", type_=Uuid()),
        bindparam("q", type_=Integer()),
        bindparam("now", type_=UTCDateTime()),
        bindparam("hold_id", type_=Uuid()),
        bindparam("owner_type", type_=String()),
        bindparam("owner_id", type_=String()),
        bindparam("channel_id", type_=Uuid()),
        bindparam("status", type_=String()),
        bindparam("expires_at", type_=UTCDateTime()),
        bindparam("event_id", type_=Uuid()),
        bindparam("aggregate_id", type_=String()),
        bindparam("actor", type_=String()),
        bindparam("shard", type_=Integer()),
    )
)


def take(
    session: Session,
    *,
    hold: dict[str, Any],
    now: datetime,
) -> tuple[int, int, int] | None:
    """Take `hold["quantity"]` units of its level and write the hold; None if refused.

    `hold` has the reservation row's columns; the level's (on_hand, reserved,
    version) after the change comes back.
    """
    v, loc, q = hold["variant_id"], hold["location_id"], hold["quantity"]
    actor = session.info.get("actor")
    cur = cursor(session)
    if cur.dialect.name == "postgresql":
        rows = _TAKE_PG.execute(
            cur,
            {
                "v": v,
                "l": loc,
                "q": q,
                "now": now,
                "hold_id": hold["id"],
                "owner_type": hold["owner_type"],
                "owner_id": hold["owner_id"],
                "channel_id": hold["channel_id"],
                "status": hold["status"],
                "expires_at": hold["expires_at"],
                "event_id": new_id(),
                "aggregate_id": f"{v}:{loc}",
                "actor": actor,
                "shard": shard_of("stock_level", f"{v}:{loc}"),
            },
        )
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else None
    rows = _RESERVE.execute(cur, {"v": v, "l": loc, "q": q, "now": now})
    if not rows:
        return None
    level = (rows[0][0], rows[0][1], rows[0][2])
    _INSERT_HOLD.execute(cur, hold)
    event = sql.level_event(v, loc, level, "reserved")
    _INSERT_EVENT.execute(
        cur,
        {
            "event_id": new_id(),
            "aggregate_type": event["aggregate_type"],
            "aggregate_id": event["aggregate_id"],
            "sequence": event["sequence"],
            "type": event["type"],
            "payload": event["payload"],
            "actor": actor,
            "occurred_at": now,
            "shard": shard_of(event["aggregate_type"], event["aggregate_id"]),
        },
    )
    return level


def take_all(
    session: Session, *, holds: list[dict[str, Any]], now: datetime
) -> list[tuple[int, int, int]] | None:
    """SQLite, several lines: take them all with one UPDATE ... FROM (VALUES ...), then
    write the holds and the events with one INSERT each.

    SQLite has one writer at a time, so one statement over many rows cannot deadlock
    (PostgreSQL takes its lines one by one, in sorted order). When any line cannot
    be covered, the lines taken are put back exactly as they were (nobody else can
    have seen them) and None comes back: the caller goes line by line, to free
    overdue holds and to name the line that fails.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()  # the statement below must see them, as `cursor` makes sure too
    params: dict[str, Any] = {"now": now}
    for i, h in enumerate(holds):
        params |= {f"v{i}": h["variant_id"], f"l{i}": h["location_id"], f"q{i}": h["quantity"]}
    taken = session.execute(_take_all_sqlite(len(holds)), params).all()
    after = {(r[0], r[1]): (r[2], r[3], r[4]) for r in taken}
    if len(after) < len(holds):
        if after:
            quantity = {(h["variant_id"], h["location_id"]): h["quantity"] for h in holds}
            session.execute(
                _PUT_BACK,
                [{"v": v, "l": loc, "q": quantity[(v, loc)]} for v, loc in after],
            )
        return None
    insert_rows(session, _reservations, holds)
    record_events(
        session,
        [
            sql.level_event(
                h["variant_id"],
                h["location_id"],
                after[(h["variant_id"], h["location_id"])],
                "reserved",
            )
            for h in holds
        ],
    )
    return [after[(h["variant_id"], h["location_id"])] for h in holds]


@functools.cache
def _take_all_sqlite(n: int) -> TextualSelect:
    """The statement for `n` lines (SQLite names no VALUES columns: a CTE does)."""
    rows = ", ".join(f"(:v{i}, :l{i}, :q{i})" for i in range(n))
    binds: list[BindParameter[Any]] = [bindparam("now", type_=UTCDateTime())]
    for i in range(n):
        binds += [
            bindparam(f"v{i}", type_=Uuid()),
            bindparam(f"l{i}", type_=Uuid()),
            bindparam(f"q{i}", type_=Integer()),
        ]
    return (
        text(
            # Only placeholders are formatted in: every value is bound.
            f"""
WITH want(v, l, q) AS (VALUES {rows})
UPDATE stock_levels
   SET reserved = stock_levels.reserved + want.q, version = stock_levels.version + 1,
       updated_at = :now
  FROM want
 WHERE stock_levels.variant_id = want.v AND stock_levels.location_id = want.l
   AND stock_levels.on_hand - stock_levels.reserved + stock_levels.allowance >= want.q
RETURNING variant_id, location_id, on_hand, reserved, version
"""  # noqa: S608
        )
        .bindparams(*binds)
        .columns(
            column("variant_id", Uuid()),
            column("location_id", Uuid()),
            column("on_hand", Integer()),
            column("reserved", Integer()),
            column("version", Integer()),
        )
    )


# Undo a take of this transaction's own: the version goes back too, as if never taken.
_PUT_BACK = (
    update(sql.levels)
    .where(sql.levels.c.variant_id == bindparam("v"), sql.levels.c.location_id == bindparam("l"))
    .values(reserved=sql.levels.c.reserved - bindparam("q"), version=sql.levels.c.version - 1)
)
