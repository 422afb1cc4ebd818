"""Parked events: what staff see and replay.

A replay is a request: the consumer delivers the event again on its next run, in
a worker (never in the request that asks: a consumer that calls out must not be
called inside a transaction). A replay that fails leaves the event parked with
its new error.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from omnichannel.events.consumers import Event
from omnichannel.events.cursors import EVENT_COLUMNS, event_of, outbox
from omnichannel.events.models import ParkedEvent
from omnichannel.kernel import Conflict, NotFound

parked: Table = ParkedEvent.__table__  # type: ignore[assignment]


class AlreadyReplayed(Conflict):
    code = "event_already_replayed"
    title = "Event already replayed"


def list_parked(
    session: Session,
    *,
    consumer: str | None = None,
    include_replayed: bool = False,
    after: int | None = None,
    limit: int = 50,
) -> list[ParkedEvent]:
    """Parked events, oldest first (`limit + 1` rows: the caller pages)."""
    query = select(ParkedEvent).order_by(ParkedEvent.id).limit(limit + 1)
    if consumer is not None:
        query = query.where(ParkedEvent.consumer == consumer)
    if not include_replayed:
        query = query.where(ParkedEvent.replayed_at.is_(None))
    if after is not None:
        query = query.where(ParkedEvent.id > after)
    return list(session.scalars(query))


def request_replay(session: Session, *, parked_id: int, now: datetime) -> ParkedEvent:
    """Ask the consumer to deliver a parked event again on its next run."""
    row = session.get(ParkedEvent, parked_id)
    if row is None:
        raise NotFound(f"Parked event {parked_id} does not exist.")
    if row.replayed_at is not None:
        raise AlreadyReplayed(f"Parked event {parked_id} was replayed at {row.replayed_at}.")
    row.replay_requested_at = now
    session.flush()
    return row


def requested(session: Session, consumer: str, *, limit: int = 50) -> list[tuple[int, Event]]:
    """Replays asked of the consumer, with their events."""
    rows = session.execute(
        select(parked.c.id, *EVENT_COLUMNS)
        .join(outbox, outbox.c.position == parked.c.position)
        .where(
            parked.c.consumer == consumer,
            parked.c.replay_requested_at.is_not(None),
            parked.c.replayed_at.is_(None),
        )
        .order_by(parked.c.id)
        .limit(limit)
    ).all()
    return [(r[0], event_of(r[1:])) for r in rows]


def take_replay(session: Session, parked_id: int, *, now: datetime | None) -> bool:
    """Claim a requested replay (one worker wins); with `now`, mark it done in the
    same statement (a handler in the database then commits with it)."""
    values: dict[str, object] = {"replay_requested_at": None}
    if now is not None:
        values["replayed_at"] = now
    result = session.execute(
        update(parked)
        .where(
            parked.c.id == parked_id,
            parked.c.replay_requested_at.is_not(None),
            parked.c.replayed_at.is_(None),
        )
        .values(values)
    )
    return bool(getattr(result, "rowcount", 0))


def replay_done(session: Session, parked_id: int, *, now: datetime) -> None:
    session.execute(update(parked).where(parked.c.id == parked_id).values(replayed_at=now))


def replay_failed(session: Session, parked_id: int, *, error: str) -> None:
    session.execute(
        update(parked)
        .where(parked.c.id == parked_id)
        .values(replay_requested_at=None, attempts=parked.c.attempts + 1, last_error=error[:2000])
    )
