"""A line a store cannot find: its count corrected and its units routed again.

Staff at the location that holds a fulfilment order's line say how many units are
not on the shelf. In one transaction: the line's holds there are given back, the
location's stock is corrected by the missing units (an `adjustment`: the ledger
says why), and the line's units are routed again, as checkout routes them, the
corrected location included for what it still has. The new allocations join an
open fulfilment order of their location, or start one; a fulfilment order left
with nothing is cancelled. The order, the customer's timeline and the outbox say
what happened (`orders.route_again`).

Units nowhere to be had any more: the line is cancelled and its money given back,
by the order's own cancel, after the correction has committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.db import record_event
from omnichannel.db.session import Units
from omnichannel.fulfillment.allocating import event_payload
from omnichannel.fulfillment.errors import FulfilmentStateConflict
from omnichannel.fulfillment.models import FulfilmentLine, FulfilmentOrder
from omnichannel.fulfillment.rules import FulfilmentKind, FulfilmentStatus
from omnichannel.fulfillment.shipping import STAFF, check_reach, load_fulfilment
from omnichannel.inventory import service as inventory
from omnichannel.inventory.rules import MovementKind
from omnichannel.kernel import Principal, new_id, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import service as orders

F = FulfilmentStatus
REASON = "not on the shelf"


@dataclass(frozen=True, slots=True)
class Rejected:
    order_id: uuid.UUID
    moved_to: list[uuid.UUID]  # the locations now holding the units
    cancelled_lines: list[int]  # lines nobody could serve any more
    explanation: tuple[str, ...]


def reject(
    units: Units,
    *,
    fulfilment_order_id: uuid.UUID,
    line_no: int,
    missing: int | None = None,
    by: Principal | None = None,
) -> Rejected:
    """The location cannot find `missing` units (all it holds, if not said) of the
    line: correct its count and route the line's units again; 409 once the goods
    have left or are on their way, 422 for a line or a count it does not hold."""
    actor = by.actor if by is not None else "system"
    with units() as session:
        fo = load_fulfilment(session, fulfilment_order_id)
        check_reach(by, fo)
        if fo.status != F.ALLOCATED:
            raise FulfilmentStateConflict(
                f"Fulfilment order {fo.number} is {fo.status}: only goods still waiting at "
                "their location can be reported missing.",
                status=fo.status,
            )
        order = orders.load(session, order_id=fo.order_id, access=STAFF)
        mine = {ln.allocation_id for ln in fo.lines if ln.line_no == line_no}
        held = [
            a
            for a in order.allocations
            if a.id in mine and a.status == orders.AllocationStatus.HELD
        ]
        if len({a.location_id for a in held}) > 1:
            raise FulfilmentStateConflict(
                f"Line {line_no} of {fo.number} is held at more than one location; report "
                "what is missing where it is held.",
                status=fo.status,
            )
        have = sum(a.quantity for a in held)
        if not held:
            raise _bad("line_no", f"Fulfilment order {fo.number} holds nothing of line {line_no}.")
        lost = have if missing is None else missing
        if not 1 <= lost <= have:
            raise _bad("missing", f"Between 1 and {have} units of line {line_no} can be missing.")
        now = utcnow()
        released = orders.release_allocations(
            session, order=order, allocation_ids=[a.id for a in held], now=now
        )
        inventory.adjust(
            session,
            # Where the units were held: a pickup's carried to its store are there now.
            location_id=held[0].location_id,
            variant_id=held[0].variant_id,
            quantity=-lost,
            kind=MovementKind.ADJUSTMENT,
            reason=f"{REASON}: {lost} of line {line_no}, order {order.number}",
            reference=fo.number,
            now=now,
        )
        rerouted = orders.route_again(
            session,
            order=order,
            released=released,
            actor=actor,
            reason=f"{lost} of line {line_no} {REASON} at {fo.number}",
            now=now,
        )
        _refile(session, order, fo, rerouted.allocations)
        fo.version += 1
        record_event(
            session,
            aggregate_type="fulfilment_order",
            aggregate_id=fo.id,
            sequence=fo.version,
            type="fulfilment.line_rejected",
            payload=event_payload(fo, line_no=line_no, missing=lost),
        )
        order_id = order.id
        moved_to = sorted({a.location_id for a in rerouted.allocations}, key=str)
        unserved = sorted(rerouted.unserved)
    if unserved:
        orders.move(
            units,
            order_id=order_id,
            access=STAFF,
            move=orders.Move(
                orders.OrderStatus.CANCELLED,
                actor=actor,
                line_nos=unserved,
                reason=f"{REASON}, and nowhere else to be had",
            ),
        )
    return Rejected(order_id, moved_to, unserved, rerouted.explanation)


def _refile(
    session: Session,
    order: orders.Order,
    rejected_at: FulfilmentOrder,
    made: list[orders.OrderAllocation],
) -> None:
    """File the new allocations under their location's open fulfilment order (or a
    new one); cancel the rejecting one if it is left with nothing."""
    siblings = list(
        session.scalars(
            select(FulfilmentOrder)
            .where(FulfilmentOrder.order_id == order.id)
            .options(selectinload(FulfilmentOrder.lines))
        )
    )
    open_at = {fo.location_id: fo for fo in siblings if fo.status == F.ALLOCATED}
    count = len(siblings)
    pickup = order.fulfilment == orders.Fulfilment.PICKUP
    now = utcnow()
    for a in made:
        fo = open_at.get(a.location_id)
        if fo is None:
            count += 1
            fo = FulfilmentOrder(
                id=new_id(),
                order_id=order.id,
                number=f"{order.number}-{count}",
                kind=FulfilmentKind.PICKUP if pickup else FulfilmentKind.SHIP,
                status=F.ALLOCATED,
                location_id=a.location_id,
                destination_id=order.pickup_location_id if pickup else None,
                created_at=now,
                updated_at=now,
                version=1,
                lines=[],
            )
            session.add(fo)
            open_at[a.location_id] = fo
            session.flush()
            record_event(
                session,
                aggregate_type="fulfilment_order",
                aggregate_id=fo.id,
                sequence=1,
                type="fulfilment.allocated",
                payload=event_payload(fo, order_number=order.number),
            )
        fo.lines.append(FulfilmentLine(allocation_id=a.id, line_no=a.line_no, quantity=a.quantity))
    live = {a.id for a in order.allocations if a.status in orders.LIVE_ALLOCATIONS}
    gone = [ln for ln in rejected_at.lines if ln.allocation_id not in live]
    if len(gone) == len(rejected_at.lines):
        rejected_at.status = F.CANCELLED  # nothing left to do: its lines stay as they were
        rejected_at.closed_at = now
    else:
        # It still has work: what it could not find is no longer part of it (the
        # released allocation keeps the record), so its list counts no unit twice.
        for ln in gone:
            rejected_at.lines.remove(ln)
    session.flush()


def _bad(field: str, detail: str) -> InvalidInput:
    return InvalidInput(detail, errors=[{"field": field, "message": detail, "type": "invalid"}])
