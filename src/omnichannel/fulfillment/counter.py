"""Click & collect at the counter: an order made ready with a code, and handed over.

- `ready`: every pickup fulfilment order of the order is at the store (its own
  shelf's at once, a transferred one once received): they become ready, the order
  `ready_for_pickup`, and the pickup gets a fresh code and the day it must be
  collected by (`collect_within_days` open days of the store). The customer is told
  by the `pickup.ready` event and sees the code in their own order; nobody else is
  shown it, staff included: the code is what proves the customer came.
- `reissue_code`: a new code; the old one stops opening (a lost code, a lock).
- `collect`: hand-over on the right code (wrong ones counted, and locked after a
  few: `codes.try_code`) or on an identity document staff checked. The order moves
  to `collected` (`orders.move`): what is due is captured and the goods leave the
  store's ledger; the pickup and its fulfilment orders close in the same transaction.

Only staff of the pickup store act here (promise 9).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.db.session import Units
from omnichannel.fulfillment import codes, hours
from omnichannel.fulfillment.errors import (
    FulfilmentStateConflict,
    PickupCodeLocked,
    PickupNotFound,
    PickupStateConflict,
    WrongPickupCode,
)
from omnichannel.fulfillment.events import fulfilment_event, pickup_event, tell_customer
from omnichannel.fulfillment.models import FulfilmentOrder, LocationFulfilment, Pickup
from omnichannel.fulfillment.rules import (
    COLLECT_WITHIN_DAYS,
    RESERVE_HOLD_HOURS,
    FulfilmentKind,
    FulfilmentStatus,
    PickupKind,
    PickupStatus,
)
from omnichannel.kernel import Principal, utcnow
from omnichannel.kernel.errors import DomainError, InvalidInput
from omnichannel.locations import service as locations
from omnichannel.orders import service as orders
from omnichannel.security import crypto, reach

F = FulfilmentStatus
P = PickupStatus
STAFF = orders.Access(staff=True)


@dataclass(frozen=True, slots=True)
class Collected:
    order: orders.Order
    pickup: Pickup


@dataclass(frozen=True, slots=True)
class Identity:
    """A hand-over without the code: staff saw the customer's identity document.
    `note` (which document, its last digits) is personal data: it is kept sealed
    with the order's move only."""

    note: str


def ready(
    session: Session,
    *,
    order_id: uuid.UUID,
    by: Principal | None,
    actor: str,
    now: datetime | None = None,
) -> Pickup:
    """Make a pickup ready at its store: a new code, a collect-by day, the order
    `ready_for_pickup`; 409 while some of its goods are not at the store yet."""
    now = now or utcnow()
    pickup = load(session, order_id=order_id, by=by)
    if pickup.status != P.WAITING:
        raise PickupStateConflict(
            f"The pickup of order {order_id} is {pickup.status}; only a waiting one is made ready.",
            status=pickup.status,
        )
    order = orders.load(session, order_id=order_id, access=STAFF)
    fos = _open_fulfilments(session, order.id)
    allocations = {a.id: a for a in order.allocations}
    for fo in fos:
        # A unit on its way, or still held where it would leave from, is not here yet;
        # a line cancelled meanwhile (released) waits for nothing.
        away = [
            ln.line_no
            for ln in fo.lines
            if allocations[ln.allocation_id].status == orders.AllocationStatus.IN_TRANSIT
            or (
                allocations[ln.allocation_id].status == orders.AllocationStatus.HELD
                and allocations[ln.allocation_id].location_id != pickup.location_id
            )
        ]
        if fo.status != F.ALLOCATED or away:
            raise FulfilmentStateConflict(
                f"Fulfilment order {fo.number} is not at the pickup store yet ({fo.status}).",
                fulfilment_order=fo.number,
                status=fo.status,
            )
    if not fos:
        raise PickupStateConflict(
            f"Order {order.number} has nothing left to hand over (status {order.status}).",
            status=pickup.status,
        )
    orders.advance(
        session, order=order, move=orders.Move(orders.OrderStatus.READY_FOR_PICKUP, actor=actor)
    )
    for fo in fos:
        fo.status = F.READY
        fo.updated_at = now
        fulfilment_event(session, fo, "fulfilment.ready")
    pickup.status = P.READY
    pickup.ready_at = now
    pickup.collect_by = pickup.collect_by or _collect_by(session, pickup, now)
    _new_code(pickup, now)
    pickup_event(session, pickup, "pickup.ready", order_number=order.number, code_issued=True)
    return pickup


def reissue_code(
    session: Session, *, order_id: uuid.UUID, by: Principal | None, now: datetime | None = None
) -> Pickup:
    """A new code for a ready pickup (lost, or locked by wrong tries): the old one no
    longer opens it."""
    now = now or utcnow()
    pickup = load(session, order_id=order_id, by=by)
    if pickup.status != P.READY:
        raise PickupStateConflict(
            f"The pickup of order {order_id} is {pickup.status}; only a ready one has a code.",
            status=pickup.status,
        )
    _new_code(pickup, now)
    pickup_event(session, pickup, "pickup.code_reissued", code_issued=True)
    order = orders.load(session, order_id=order_id, access=STAFF)
    tell_customer(session, order, step="new_code", now=now)
    return pickup


def collect(
    units: Units,
    *,
    order_id: uuid.UUID,
    by: Principal | None,
    actor: str,
    code: str | None = None,
    identity: Identity | None = None,
    now: datetime | None = None,
) -> Collected:
    """Hand a ready pickup over on its code or a checked identity, taking what is due.

    A wrong code is counted in a transaction of its own before the refusal (422
    `wrong_pickup_code`, or 409 `pickup_code_locked` once locked), so refusing does
    not undo the count."""
    if (code is None) == (identity is None):
        raise InvalidInput(
            "Give the customer's pickup code, or confirm their identity: one of the two.",
            errors=[{"field": "code", "message": "code or identity", "type": "one_of"}],
        )
    refusal: DomainError | None = None
    with units() as session:
        pickup = load(session, order_id=order_id, by=by)
        if pickup.status != P.READY:
            raise PickupStateConflict(
                f"The pickup of order {order_id} is {pickup.status}; only a ready one is "
                "handed over.",
                status=pickup.status,
            )
        if code is not None:
            refusal = _try(pickup, code, now or utcnow())
    if refusal is not None:
        raise refusal
    verified_by = "code" if code is not None else "identity"
    closed: list[Pickup] = []

    def handed_over(session: Session, order: orders.Order) -> None:
        closed.append(_handed_over(session, order, actor=actor, verified_by=verified_by))

    view = orders.move(
        units,
        order_id=order_id,
        access=STAFF,
        move=orders.Move(
            orders.OrderStatus.COLLECTED,
            actor=actor,
            reason=f"identity checked: {identity.note}" if identity is not None else None,
        ),
        then=handed_over,
    )
    return Collected(view.order, closed[0])


def load(session: Session, *, order_id: uuid.UUID, by: Principal | None) -> Pickup:
    """An order's pickup, for staff of its store; 404 when there is none."""
    pickup = session.get(Pickup, order_id)
    if pickup is None:
        raise PickupNotFound(f"Order {order_id} has no pickup.")
    if by is not None:
        reach.check_locations(by, [pickup.location_id], what=f"the pickup of order {order_id}")
    return pickup


# --- the parts ------------------------------------------------------------------------


def _open_fulfilments(session: Session, order_id: uuid.UUID) -> list[FulfilmentOrder]:
    return list(
        session.scalars(
            select(FulfilmentOrder)
            .where(
                FulfilmentOrder.order_id == order_id,
                FulfilmentOrder.kind == FulfilmentKind.PICKUP,
                FulfilmentOrder.status.in_([F.ALLOCATED, F.IN_TRANSIT, F.READY]),
            )
            .options(selectinload(FulfilmentOrder.lines))
            .order_by(FulfilmentOrder.number)
        )
    )


def _new_code(pickup: Pickup, now: datetime) -> None:
    """A fresh code, sealed for the customer and hashed for the counter; tries reset."""
    plain = codes.new_code()
    pickup.code = plain
    pickup.code_hash = codes.hash_code(
        plain, key=crypto.keyring().current.code_key, context=str(pickup.order_id)
    )
    pickup.code_attempts = 0
    pickup.code_locked_until = None
    pickup.updated_at = now


def _try(pickup: Pickup, typed: str, now: datetime) -> DomainError | None:
    """One try of a code: the count stored on the pickup, and the refusal to raise."""
    if pickup.code_hash is None:
        return PickupStateConflict(
            f"The pickup of order {pickup.order_id} has no code: re-issue one.",
            status=pickup.status,
        )
    attempts, verdict = codes.try_code(
        codes.Attempts(pickup.code_attempts, pickup.code_locked_until),
        typed,
        digest=pickup.code_hash,
        keys=crypto.keyring().code_keys(),
        context=str(pickup.order_id),
        now=now,
    )
    pickup.code_attempts = attempts.wrong
    pickup.code_locked_until = attempts.locked_until
    pickup.updated_at = now
    if verdict is codes.Verdict.OK:
        return None
    if verdict is codes.Verdict.MALFORMED:
        return InvalidInput(
            "That is not a pickup code: 6 characters, letters and digits (no 0, O, 1, I or L).",
            errors=[{"field": "code", "message": "not a pickup code", "type": "malformed_code"}],
        )
    if verdict is codes.Verdict.WRONG:
        left = codes.MAX_WRONG - attempts.wrong
        return WrongPickupCode(
            f"That is not the code of this pickup; {left} tries left before it locks.",
            errors=[{"field": "code", "message": "wrong code", "type": "wrong_pickup_code"}],
            tries_left=left,
        )
    until = attempts.locked_until
    return PickupCodeLocked(
        "Too many wrong codes: this pickup's code is locked"
        + (f" until {until.isoformat()}" if until else "")
        + "; re-issue the code or check the customer's identity.",
        locked_until=until.isoformat() if until else None,
    )


def _handed_over(session: Session, order: orders.Order, *, actor: str, verified_by: str) -> Pickup:
    """In the move's transaction: the pickup and its fulfilment orders close."""
    pickup = load(session, order_id=order.id, by=None)
    now = utcnow()
    for fo in _open_fulfilments(session, order.id):
        fo.status = F.COLLECTED
        fo.closed_at = now
        fo.updated_at = now
        fulfilment_event(session, fo, "fulfilment.collected")
    pickup.status = P.COLLECTED
    pickup.collected_at = now
    pickup.handed_over_by = actor
    pickup.verified_by = verified_by
    pickup.code = None  # spent: nobody needs to be shown it again
    pickup.updated_at = now
    pickup_event(session, pickup, "pickup.collected", verified_by=verified_by)
    return pickup


def _collect_by(session: Session, pickup: Pickup, now: datetime) -> datetime:
    """The end of the store's `collect_within_days`-th open day from now; a reserve &
    collect hold ends `reserve_hold_hours` after it began instead."""
    settings = session.get(LocationFulfilment, pickup.location_id)
    if pickup.kind == PickupKind.RESERVE_COLLECT:
        held = (settings.reserve_hold_hours if settings else None) or RESERVE_HOLD_HOURS
        return pickup.created_at + timedelta(hours=held)
    days = (settings.collect_within_days if settings else None) or COLLECT_WITHIN_DAYS
    store = locations.get_location(session, location_id=pickup.location_id)
    try:
        opening = hours.parse_hours(store.opening_hours or {}, timezone=store.timezone)
        return hours.add_open_days(opening, now, days=days)
    except (hours.NeverOpens, ValueError):
        return now + timedelta(days=days)  # hours that say nothing: calendar days
