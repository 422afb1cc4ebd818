"""Expiry of holds: lazy on the way (reads and reservations), exactly once at the end.

The status change `active -> expired` is a conditional UPDATE, so whoever gets there
first (a reservation that needs the stock, or the sweeper) gives the units back,
and nobody gives them back twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, select, update
from sqlalchemy.orm import Session

from omnichannel.inventory import statements as sql
from omnichannel.inventory.models import Reservation
from omnichannel.inventory.rules import ReservationStatus
from omnichannel.kernel import utcnow

_reservations: Table = Reservation.__table__  # type: ignore[assignment]


def expire_overdue(
    session: Session, variant_id: uuid.UUID, location_id: uuid.UUID, now: datetime
) -> int:
    """Expire the overdue holds of one level, exactly once; returns the units freed."""
    overdue = select(_reservations.c.id).where(
        _reservations.c.variant_id == variant_id,
        _reservations.c.location_id == location_id,
        _reservations.c.status == ReservationStatus.ACTIVE.value,
        _reservations.c.expires_at <= now,
    )
    if session.get_bind().dialect.name == "postgresql":
        # Skip, never wait for, a hold another transaction is ending (release, commit,
        # another expiry): that one locks the hold and then the level, while a reservation
        # gets here already holding the level's row lock. Waiting would deadlock; the
        # other transaction frees the hold itself, and a later sweep takes what it leaves.
        overdue = overdue.with_for_update(skip_locked=True)
    freed = (
        session.execute(
            update(_reservations)
            .where(
                _reservations.c.id.in_(overdue),
                _reservations.c.status == ReservationStatus.ACTIVE.value,
            )
            .values(status=ReservationStatus.EXPIRED.value, updated_at=now)
            .returning(_reservations.c.quantity)
        )
        .scalars()
        .all()
    )
    if freed:
        sql.give_back(session, [(variant_id, location_id, sum(freed))], now, "expired")
    return sum(freed)


def levels_with_expired_holds(
    session: Session, *, now: datetime | None = None, limit: int = 500
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Levels that have overdue holds, in lock order (the sweeper's worklist)."""
    now = now or utcnow()
    rows = session.execute(
        select(Reservation.variant_id, Reservation.location_id)
        .where(Reservation.status == ReservationStatus.ACTIVE.value, Reservation.expires_at <= now)
        .group_by(Reservation.variant_id, Reservation.location_id)
        .order_by(Reservation.variant_id, Reservation.location_id)
        .limit(limit)
    ).all()
    return [(r.variant_id, r.location_id) for r in rows]


def expire_level(
    session: Session, *, variant_id: uuid.UUID, location_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Release one level's overdue holds (the sweeper calls this, one level per transaction)."""
    return expire_overdue(session, variant_id, location_id, now or utcnow())


def expired_holds_filter(now: datetime | ColumnElement[datetime]) -> Any:
    """SQL condition for holds that are overdue but not yet swept (for lazy reads)."""
    return and_(Reservation.status == ReservationStatus.ACTIVE.value, Reservation.expires_at <= now)
