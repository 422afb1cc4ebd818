"""Transfers between locations: goods leave now and are in transit until received."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omnichannel.inventory import statements as sql
from omnichannel.inventory.errors import TransferNotInTransit
from omnichannel.inventory.models import (
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
from omnichannel.inventory.rules import MovementKind
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
