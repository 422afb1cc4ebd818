"""Transfers between locations: goods leave now and are in transit until received.

A transfer may carry held goods (`transfer_held`: a pickup's units on their way to
its store): the holds end as the goods leave, so the units are neither on the
source's shelf nor free anywhere while they travel; whoever receives them takes
them for their owner again in the receipt's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omnichannel.inventory import statements as sql
from omnichannel.inventory.errors import (
    InsufficientStock,
    ReservationNotActive,
    ReservationNotFound,
    TransferNotInTransit,
)
from omnichannel.inventory.models import (
    Reservation,
    StockTransfer,
    StockTransferLine,
)
from omnichannel.inventory.operations import (
    Change,
    _allowances,
    _apply,
    _check_items,
    _positive,
)
from omnichannel.inventory.reservations import _end, _status_now
from omnichannel.inventory.rules import MovementKind, ReservationStatus
from omnichannel.kernel import NotFound, new_id, utcnow
from omnichannel.kernel.errors import InvalidInput


def start_transfer(
    session: Session,
    *,
    from_location_id: uuid.UUID,
    to_location_id: uuid.UUID,
    lines: Sequence[Change],
    reference: str | None = None,
    now: datetime | None = None,
) -> StockTransfer:
    """Send goods to another location: they leave now and are in transit until received."""
    _positive(lines)
    if from_location_id == to_location_id:
        raise InvalidInput(
            "A transfer goes between two different locations.",
            errors=[
                {
                    "field": "to_location_id",
                    "message": "same as from_location_id",
                    "type": "same_location",
                }
            ],
        )
    ids = [c.variant_id for c in lines]
    if len(set(ids)) != len(ids):
        raise InvalidInput(
            "Each variant once per transfer.",
            errors=[{"field": "lines", "message": "duplicate variant", "type": "duplicate"}],
        )
    _check_items(session, from_location_id, ids, "lines")
    _check_items(session, to_location_id, [], "lines")
    now = now or utcnow()
    transfer = StockTransfer(
        id=new_id(),
        from_location_id=from_location_id,
        to_location_id=to_location_id,
        status="in_transit",
        reference=reference,
        created_at=now,
    )
    session.add(transfer)
    session.add_all(
        [
            StockTransferLine(transfer_id=transfer.id, variant_id=c.variant_id, quantity=c.quantity)
            for c in lines
        ]
    )
    session.flush()
    sql.ensure_levels(session, [(v, from_location_id) for v in ids], _allowances(session, ids))
    _apply(
        session,
        location_id=from_location_id,
        deltas=[(i, c.variant_id, -c.quantity) for i, c in enumerate(lines)],
        kind=MovementKind.TRANSFER_OUT,
        covered=True,
        reason=None,
        reference_type="transfer",
        reference_id=str(transfer.id),
        now=now,
    )
    return transfer


def transfer_held(
    session: Session,
    *,
    reservation_ids: Sequence[uuid.UUID],
    to_location_id: uuid.UUID,
    reference: str | None = None,
    now: datetime | None = None,
) -> StockTransfer:
    """Send held goods to another location: each hold ends (committed: its goods
    left) and its units leave as `transfer_out`, held and on hand dropping together,
    so nobody can take them on the way; 409 when a hold is no longer active or its
    goods are not on hand (a backorder)."""
    now = now or utcnow()
    holds = [_active_hold(session, rid, now) for rid in dict.fromkeys(reservation_ids)]
    if not holds:
        raise InvalidInput(
            "Nothing to send.",
            errors=[{"field": "reservation_ids", "message": "empty", "type": "missing"}],
        )
    sources = {h.location_id for h in holds}
    if len(sources) != 1:
        raise InvalidInput(
            "A transfer leaves from one location; these holds are at several.",
            errors=[{"field": "reservation_ids", "message": "several", "type": "locations"}],
        )
    from_location_id = sources.pop()
    if from_location_id == to_location_id:
        raise InvalidInput(
            "The held goods are at that location already.",
            errors=[
                {
                    "field": "to_location_id",
                    "message": "same as the holds'",
                    "type": "same_location",
                }
            ],
        )
    _check_items(session, to_location_id, [], "to_location_id")
    by_variant: dict[uuid.UUID, int] = {}
    for hold in holds:
        if not _end(session, hold, ReservationStatus.COMMITTED, now):
            raise ReservationNotActive(f"Reservation {hold.id} ended meanwhile; nothing was sent.")
        by_variant[hold.variant_id] = by_variant.get(hold.variant_id, 0) + hold.quantity
    transfer = StockTransfer(
        id=new_id(),
        from_location_id=from_location_id,
        to_location_id=to_location_id,
        status="in_transit",
        reference=reference,
        created_at=now,
    )
    session.add(transfer)
    session.add_all(
        [
            StockTransferLine(transfer_id=transfer.id, variant_id=v, quantity=q)
            for v, q in by_variant.items()
        ]
    )
    session.flush()
    movements, events = [], []
    for variant_id, quantity in sorted(by_variant.items()):  # the levels' lock order
        params = {"v": variant_id, "l": from_location_id, "q": quantity, "now": now}
        row = session.execute(sql.SHIP_RESERVED, params).first()
        if row is None:
            raise InsufficientStock(
                f"The held units of variant {variant_id} are not on hand at the location yet "
                "(a backorder): they cannot be sent.",
                variant_id=str(variant_id),
                location_id=str(from_location_id),
                requested=quantity,
            )
        movements.append(
            {
                "variant_id": variant_id,
                "location_id": from_location_id,
                "kind": MovementKind.TRANSFER_OUT.value,
                "quantity": -quantity,
                "reason": None,
                "actor": session.info.get("actor"),
                "reference_type": "transfer",
                "reference_id": str(transfer.id),
                "occurred_at": now,
            }
        )
        events.append(sql.level_event(variant_id, from_location_id, row, "transfer_out"))
    sql.record_movements(session, movements)
    sql.record_level_events(session, events)
    return transfer


def _active_hold(session: Session, reservation_id: uuid.UUID, now: datetime) -> Reservation:
    hold = session.get(Reservation, reservation_id)
    if hold is None:
        raise ReservationNotFound(f"Reservation {reservation_id} does not exist.")
    state = _status_now(hold, now)
    if state != ReservationStatus.ACTIVE.value:
        raise ReservationNotActive(f"Reservation {hold.id} is {state}; its goods cannot be sent.")
    return hold


def receive_transfer(
    session: Session, *, transfer_id: uuid.UUID, now: datetime | None = None
) -> StockTransfer:
    """The transferred goods arrive; receiving twice is refused."""
    now = now or utcnow()
    transfer = get_transfer(session, transfer_id=transfer_id)
    done = sql.rowcount(
        session.execute(
            update(StockTransfer)
            .where(StockTransfer.id == transfer_id, StockTransfer.status == "in_transit")
            .values(status="received", received_at=now)
        )
    )
    if not done:
        raise TransferNotInTransit(f"Transfer {transfer_id} was already received.")
    lines = transfer_lines(session, transfer_id=transfer_id)
    ids = [ln.variant_id for ln in lines]
    sql.ensure_levels(
        session, [(v, transfer.to_location_id) for v in ids], _allowances(session, ids)
    )
    _apply(
        session,
        location_id=transfer.to_location_id,
        deltas=[(i, ln.variant_id, ln.quantity) for i, ln in enumerate(lines)],
        kind=MovementKind.TRANSFER_IN,
        covered=True,
        reason=None,
        reference_type="transfer",
        reference_id=str(transfer_id),
        now=now,
    )
    session.refresh(transfer)
    return transfer


def get_transfer(session: Session, *, transfer_id: uuid.UUID) -> StockTransfer:
    """One transfer."""
    transfer = session.get(StockTransfer, transfer_id)
    if transfer is None:
        raise NotFound(f"Transfer {transfer_id} does not exist.")
    return transfer


def transfer_lines(session: Session, *, transfer_id: uuid.UUID) -> list[StockTransferLine]:
    """The lines of a transfer."""
    return list(
        session.scalars(
            select(StockTransferLine)
            .where(StockTransferLine.transfer_id == transfer_id)
            .order_by(StockTransferLine.variant_id)
        )
    )


def in_transit(session: Session, *, variant_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Units of a variant travelling to each location."""
    rows = session.execute(
        select(StockTransfer.to_location_id, func.sum(StockTransferLine.quantity))
        .join(StockTransferLine, StockTransferLine.transfer_id == StockTransfer.id)
        .where(StockTransfer.status == "in_transit", StockTransferLine.variant_id == variant_id)
        .group_by(StockTransfer.to_location_id)
    )
    return {loc: int(q) for loc, q in rows}
