"""Reservations: reserve, release, extend, commit, expire.

Several lines are all-or-nothing: their levels are taken in one fixed order
(variant id, then location id), so two requests over the same rows can never
deadlock; the first line that cannot be covered raises, and the entrypoint's
rollback undoes the lines already taken. A channel with a buffer is refused after
its lines are taken (`buffers.py`), so its reservation takes them in a savepoint of
its own, given back with the refusal.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from omnichannel.inventory import buffers, refusals
from omnichannel.inventory import statements as sql
from omnichannel.inventory.errors import (
    InsufficientStock,
    NotReservationOwner,
    ReservationNotActive,
    ReservationNotFound,
)
from omnichannel.inventory.expiry import expire_overdue
from omnichannel.inventory.levels import ChannelStock
from omnichannel.inventory.models import Reservation
from omnichannel.inventory.rules import MovementKind, OwnerType, ReservationStatus
from omnichannel.inventory.take import take, take_all
from omnichannel.kernel import Principal, new_id, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.security import reach

_reservations: Table = Reservation.__table__  # type: ignore[assignment]

MAX_LINES = 200
MAX_TTL = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Line:
    variant_id: uuid.UUID
    location_id: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class Held:
    """A reservation just taken (the row as inserted; no reload needed)."""

    id: uuid.UUID
    variant_id: uuid.UUID
    location_id: uuid.UUID
    quantity: int
    owner_type: str
    owner_id: str
    channel_id: uuid.UUID | None
    status: str
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


_HELD_FIELDS = tuple(Held.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Owner:
    type: OwnerType
    id: str
    channel_id: uuid.UUID | None = None


def _merge(lines: Sequence[Line]) -> list[Line]:
    """One line per (variant, location), in the fixed lock order."""
    if not lines:
        raise InvalidInput(
            "Nothing to reserve.",
            errors=[{"field": "lines", "message": "empty", "type": "missing"}],
        )
    if len(lines) > MAX_LINES:
        raise InvalidInput(
            f"At most {MAX_LINES} lines per request.",
            errors=[
                {"field": "lines", "message": f"more than {MAX_LINES} lines", "type": "too_long"}
            ],
        )
    total: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            raise InvalidInput(
                "Quantities must be positive.",
                errors=[
                    {
                        "field": f"lines.{i}.quantity",
                        "message": "must be greater than 0",
                        "type": "greater_than",
                    }
                ],
            )
        total[(line.variant_id, line.location_id)] += line.quantity
    return [Line(v, loc, q) for (v, loc), q in sorted(total.items())]


def reserve(
    session: Session,
    *,
    lines: Sequence[Line],
    owner: Owner,
    ttl: timedelta | None,
    within: Collection[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> list[Held]:
    """Hold stock for an owner, all lines or none; `ttl=None` holds until released.

    `within` limits the lines to locations the owner's channel may use (its sell-from
    and pickup locations): a channel cannot hold stock it does not sell. An owner's
    channel with a buffer takes no more than it is shown (`buffers.py`).
    """
    if within is not None:
        for i, line in enumerate(lines):
            if line.location_id not in within:
                raise InvalidInput(
                    f"Location {line.location_id} is not one this channel sells from or hands over at.",
                    errors=[
                        {
                            "field": f"lines.{i}.location_id",
                            "message": "not a location of this channel",
                            "type": "location_not_in_channel",
                        }
                    ],
                )
    now = now or utcnow()
    if ttl is not None and not (timedelta(0) < ttl <= MAX_TTL):
        raise InvalidInput(
            "A hold lasts between 1 second and 30 days.",
            errors=[{"field": "ttl_seconds", "message": "out of range", "type": "out_of_range"}],
        )
    merged = _merge(lines)
    expires_at = now + ttl if ttl is not None else None
    holds = [
        Held(
            id=new_id(),
            variant_id=line.variant_id,
            location_id=line.location_id,
            quantity=line.quantity,
            owner_type=owner.type.value,
            owner_id=owner.id,
            channel_id=owner.channel_id,
            status=ReservationStatus.ACTIVE.value,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
        for line in merged
    ]
    rows = [{f: getattr(hold, f) for f in _HELD_FIELDS} for hold in holds]
    # Known before any row is locked: a channel's first take after a change of channels
    # may read it.
    buffered = buffers.buffered_channel(session, owner.channel_id)
    if buffered is None:
        _take(session, merged, rows, None, now)
        return holds
    # A buffered channel is refused after its lines are taken: in a savepoint, so that a
    # refusal gives them back at once, even to a caller that goes on after the 409.
    with session.begin_nested():
        _take(session, merged, rows, buffered, now)
        buffers.refuse_beyond_buffer(session, channel=buffered, taken=merged, now=now)
    return holds


def _take(
    session: Session,
    merged: list[Line],
    rows: list[dict[str, Any]],
    buffered: ChannelStock | None,
    now: datetime,
) -> None:
    """Take every line, in lock order; the first that cannot be covered raises."""
    if (
        len(rows) > 1
        and session.get_bind().dialect.name == "sqlite"
        and take_all(session, holds=rows, now=now) is not None
    ):
        return
    for index, (line, row) in enumerate(zip(merged, rows, strict=True)):
        if take(session, hold=row, now=now) is None:
            # Overdue holds may be sitting on the stock: free them (exactly once, whoever
            # gets there first) and try once more, even if another transaction freed them.
            expire_overdue(session, line.variant_id, line.location_id, now)
            if take(session, hold=row, now=now) is None:
                raise buffers.in_channel_terms(
                    session,
                    channel=buffered,
                    refusal=refusals.why_not(session, index=index, line=line),
                    lines=merged[: index + 1],
                    now=now,
                )


def _load(session: Session, reservation_id: uuid.UUID, owner: Owner | None) -> Reservation:
    res = session.get(Reservation, reservation_id)
    if res is None:
        raise ReservationNotFound(f"Reservation {reservation_id} does not exist.")
    if owner is not None and (
        res.owner_type != owner.type.value
        or res.owner_id != owner.id
        or (owner.channel_id is not None and res.channel_id != owner.channel_id)
    ):
        raise NotReservationOwner(f"Reservation {reservation_id} belongs to another owner.")
    return res


def get_reservation(
    session: Session, *, reservation_id: uuid.UUID, owner: Owner | None = None
) -> Reservation:
    """One reservation; with `owner`, only if it is theirs."""
    return _load(session, reservation_id, owner)


def list_reservations(
    session: Session, *, owner_type: OwnerType, owner_id: str, channel_id: uuid.UUID | None = None
) -> list[Reservation]:
    """An owner's reservations, oldest first."""
    q = select(Reservation).where(
        Reservation.owner_type == owner_type.value, Reservation.owner_id == owner_id
    )
    if channel_id is not None:
        q = q.where(Reservation.channel_id == channel_id)
    return list(session.scalars(q.order_by(Reservation.id)))


def _end(session: Session, res: Reservation, status: ReservationStatus, now: datetime) -> bool:
    """Move an active reservation to a final status, exactly once; False if it already was."""
    done = sql.rowcount(
        session.execute(
            update(_reservations)
            .where(
                _reservations.c.id == res.id,
                _reservations.c.status == ReservationStatus.ACTIVE.value,
            )
            .values(status=status.value, updated_at=now)
        )
    )
    return bool(done)


def release(
    session: Session, *, reservation_id: uuid.UUID, owner: Owner | None, now: datetime | None = None
) -> Reservation:
    """Give a hold back. Releasing an already released or expired hold changes nothing."""
    now = now or utcnow()
    res = _load(session, reservation_id, owner)
    if res.status == ReservationStatus.COMMITTED.value:
        raise ReservationNotActive(f"Reservation {res.id} was committed; return the goods instead.")
    if _end(session, res, ReservationStatus.RELEASED, now):
        sql.give_back(session, [(res.variant_id, res.location_id, res.quantity)], now, "released")
        session.refresh(res)
    return res


def release_owner(
    session: Session, *, owner: Owner, by: Principal | None = None, now: datetime | None = None
) -> int:
    """Release every active hold of an owner (an abandoned cart); returns how many.
    `by`: staff scoped to locations release them only if every one is theirs (403)."""
    now = now or utcnow()
    active = [
        r
        for r in list_reservations(
            session, owner_type=owner.type, owner_id=owner.id, channel_id=owner.channel_id
        )
        if r.status == ReservationStatus.ACTIVE.value
    ]
    if by is not None:
        reach.check_locations(by, (r.location_id for r in active), what=f"the holds of {owner.id}")
    freed = [
        (r.variant_id, r.location_id, r.quantity)
        for r in active
        if _end(session, r, ReservationStatus.RELEASED, now)
    ]
    sql.give_back(session, freed, now, "released")
    return len(freed)


def extend(
    session: Session,
    *,
    reservation_id: uuid.UUID,
    owner: Owner | None,
    ttl: timedelta,
    now: datetime | None = None,
) -> Reservation:
    """Push an active hold's expiry to now + ttl."""
    now = now or utcnow()
    if not (timedelta(0) < ttl <= MAX_TTL):
        raise InvalidInput(
            "A hold lasts between 1 second and 30 days.",
            errors=[{"field": "ttl_seconds", "message": "out of range", "type": "out_of_range"}],
        )
    res = _load(session, reservation_id, owner)
    done = sql.rowcount(
        session.execute(
            update(_reservations)
            .where(
                _reservations.c.id == res.id,
                _reservations.c.status == ReservationStatus.ACTIVE.value,
                # An expired hold is gone even before the sweeper notices; it cannot be revived.
                (_reservations.c.expires_at.is_(None)) | (_reservations.c.expires_at > now),
            )
            .values(expires_at=now + ttl, updated_at=now)
        )
    )
    if not done:
        raise ReservationNotActive(
            f"Reservation {res.id} is {_status_now(res, now)}; it cannot be extended."
        )
    session.refresh(res)
    return res


def _status_now(res: Reservation, now: datetime) -> str:
    if (
        res.status == ReservationStatus.ACTIVE.value
        and res.expires_at is not None
        and res.expires_at <= now
    ):
        return "expired"
    return res.status


def commit(
    session: Session,
    *,
    reservation_id: uuid.UUID,
    owner: Owner | None,
    reference: str | None = None,
    now: datetime | None = None,
) -> Reservation:
    """The held goods leave: the hold ends and a sale movement is written."""
    now = now or utcnow()
    res = _load(session, reservation_id, owner)
    if _status_now(res, now) != ReservationStatus.ACTIVE.value or not _end(
        session, res, ReservationStatus.COMMITTED, now
    ):
        raise ReservationNotActive(
            f"Reservation {res.id} is {_status_now(res, now)}; it cannot be committed."
        )
    params = {"v": res.variant_id, "l": res.location_id, "q": res.quantity, "now": now}
    row = session.execute(sql.SHIP_RESERVED, params).first()
    if row is None:
        raise InsufficientStock(
            f"Reservation {res.id} is a backorder: the goods are not on hand at the location yet.",
            variant_id=str(res.variant_id),
            location_id=str(res.location_id),
            requested=res.quantity,
        )
    sql.record_movements(
        session,
        [
            {
                "variant_id": res.variant_id,
                "location_id": res.location_id,
                "kind": MovementKind.SALE.value,
                "quantity": -res.quantity,
                "reason": None,
                "actor": session.info.get("actor"),
                "reference_type": res.owner_type,
                "reference_id": reference or res.owner_id,
                "occurred_at": now,
            }
        ],
    )
    sql.record_level_events(
        session, [sql.level_event(res.variant_id, res.location_id, row, "sold")]
    )
    session.refresh(res)
    return res
