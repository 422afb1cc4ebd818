"""Parcels: a fulfilment order's goods booked with a carrier, handed over, followed.

Each step that asks a carrier runs in three parts (promise 8): decide and commit,
call the carrier with no transaction open, record its answer in a second one.

- `book`: a shipment for a fulfilment order (all its units), checked as it is built
  (an address for a courier, a locker id and a compartment it fits for a locker),
  written `requested` and committed; the carrier is asked under the shipment's id as
  idempotency key; its answer (carrier id, tracking number, locker size) makes it
  `labelled`. No answer: it stays `requested`, and booking again asks again safely.
- `hand_over`: the parcel leaves with the carrier. Its units leave the location's
  stock (sales), the payment is captured up to what has left so far (each shipment
  its share, the delivery fee with the first), the fulfilment order is `shipped`,
  and the order `partially_shipped`, or `shipped` with its last parcel.

Where a parcel goes next is `tracking`'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.catalog import service as catalog
from omnichannel.db import record_event
from omnichannel.db.session import Units
from omnichannel.fulfillment.carriers import base as carriers
from omnichannel.fulfillment.carriers.errors import CarrierError
from omnichannel.fulfillment.carriers.rules import CarrierService
from omnichannel.fulfillment.carriers.sizing import ParcelItem
from omnichannel.fulfillment.errors import (
    CarrierUnavailable,
    FulfilmentNotFound,
    FulfilmentStateConflict,
    ShipmentNotFound,
)
from omnichannel.fulfillment.models import FulfilmentOrder, Shipment, ShipmentLine
from omnichannel.fulfillment.rules import FulfilmentKind, FulfilmentStatus, ShipmentStatus
from omnichannel.kernel import Principal, new_id, utcnow
from omnichannel.kernel.auth import OutsideYourLocations
from omnichannel.orders import service as orders

F = FulfilmentStatus
SS = ShipmentStatus
STAFF = orders.Access(staff=True)


@dataclass(frozen=True, slots=True)
class Booked:
    shipment: Shipment
    label: carriers.Label | None  # the label, when the carrier made it just now


def check_reach(by: Principal | None, fo: FulfilmentOrder) -> None:
    if by is not None and not by.can_act_on_location(fo.location_id):
        raise OutsideYourLocations(
            f"Fulfilment order {fo.number} is sent from a location your role does not cover.",
            location_id=str(fo.location_id),
        )


def load_fulfilment(session: Session, fulfilment_order_id: uuid.UUID) -> FulfilmentOrder:
    fo = session.scalar(
        select(FulfilmentOrder)
        .where(FulfilmentOrder.id == fulfilment_order_id)
        .options(selectinload(FulfilmentOrder.lines))
    )
    if fo is None:
        raise FulfilmentNotFound(f"Fulfilment order {fulfilment_order_id} does not exist.")
    return fo


def load_shipment(session: Session, shipment_id: uuid.UUID) -> Shipment:
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise ShipmentNotFound(f"Shipment {shipment_id} does not exist.")
    return shipment


def shipment_lines(session: Session, shipment_id: uuid.UUID) -> list[ShipmentLine]:
    return list(
        session.scalars(
            select(ShipmentLine)
            .where(ShipmentLine.shipment_id == shipment_id)
            .order_by(ShipmentLine.line_no)
        )
    )


# --- booking ---------------------------------------------------------------------------


def book(
    units: Units,
    *,
    fulfilment_order_id: uuid.UUID,
    carrier: str = carriers.SANDBOX,
    by: Principal | None = None,
) -> Booked:
    """Book a parcel for the fulfilment order's goods; 409 when it is not waiting to
    ship, 422 for a parcel the carrier cannot take (no address, a bad locker id, too
    big for a locker), 503 when the carrier does not answer (booking again is safe)."""
    with units() as session:
        fo = load_fulfilment(session, fulfilment_order_id)
        check_reach(by, fo)
        found = session.scalar(
            select(Shipment).where(
                Shipment.fulfilment_order_id == fo.id, Shipment.status != SS.CANCELLED
            )
        )
        if found is not None and found.status != SS.REQUESTED:
            return Booked(found, None)  # booked already: the same parcel, not a second
        if fo.kind != FulfilmentKind.SHIP or fo.status != F.ALLOCATED:
            raise FulfilmentStateConflict(
                f"Fulfilment order {fo.number} is a {fo.kind} order, {fo.status}: "
                "only one waiting to ship gets a parcel.",
                status=fo.status,
            )
        order = orders.load(session, order_id=fo.order_id, access=STAFF)
        shipment = found or _new_shipment(session, fo, carrier)
        request = _request(session, order, fo, shipment)
        shipment.weight_g = request.weight_g or None
        shipment_id, name = shipment.id, shipment.carrier
    try:
        created = carriers.carrier_for(name).create_shipment(request)
    except CarrierError as e:
        raise CarrierUnavailable(
            f"The carrier {name} did not answer ({e}); the parcel waits as requested. "
            "Book it again shortly: nothing is booked twice.",
            shipment_id=str(shipment_id),
        ) from None
    with units() as session:
        shipment = load_shipment(session, shipment_id)
        if shipment.status == SS.REQUESTED:
            shipment.status = SS.LABELLED
            shipment.carrier_ref = created.carrier_shipment_id
            shipment.tracking_number = created.tracking_number
            shipment.parcel_size = created.locker_size.value if created.locker_size else None
            event(session, shipment, "shipment.labelled")
    return Booked(shipment, created.label)


def _new_shipment(session: Session, fo: FulfilmentOrder, carrier: str) -> Shipment:
    carriers.carrier_for(carrier)  # 422 for an unknown carrier, before anything is written
    order = orders.load(session, order_id=fo.order_id, access=STAFF)
    order_route = order.route or {}
    locker = order_route.get("method") == "locker"
    shipment = Shipment(
        id=new_id(),
        order_id=fo.order_id,
        fulfilment_order_id=fo.id,
        status=SS.REQUESTED,
        carrier=carrier,
        service=CarrierService.LOCKER if locker else CarrierService.COURIER,
        point_id=order_route.get("point_id") if locker else None,
        captured=0,
        version=0,
    )
    shipment.request_key = str(shipment.id)
    session.add(shipment)
    session.add_all(
        ShipmentLine(
            shipment_id=shipment.id,
            allocation_id=ln.allocation_id,
            line_no=ln.line_no,
            quantity=ln.quantity,
        )
        for ln in fo.lines
    )
    session.flush()
    event(session, shipment, "shipment.requested")
    return shipment


def _request(
    session: Session, order: orders.Order, fo: FulfilmentOrder, shipment: Shipment
) -> carriers.ShipmentRequest:
    """The carrier's request, checked as it is built (422 naming the field)."""
    variants = {a.id: a.variant_id for a in order.allocations}
    facts = catalog.shipping_facts(session, variant_ids=list(variants.values()))
    items = []
    for ln in fo.lines:
        f = facts[variants[ln.allocation_id]]
        items.append(
            ParcelItem(f.sku, ln.quantity, f.weight_g, f.length_mm, f.width_mm, f.height_mm)
        )
    address = order.shipping_address or {}
    contact = order.contact or {}
    name = " ".join(p for p in (contact.get("given_name"), contact.get("family_name")) if p) or str(
        address.get("name") or ""
    )
    cod = None
    if order.payment_status == "due" and order.fulfilment == orders.Fulfilment.DELIVERY:
        cod = orders.open_amount(order)  # cash on delivery: the courier takes it
    return carriers.ShipmentRequest(
        key=shipment.request_key,
        service=CarrierService(shipment.service),
        items=tuple(items),
        recipient=carriers.Address(
            name=name or order.number,
            street=str(address.get("street") or ""),
            postal_code=str(address.get("postcode") or ""),
            city=str(address.get("city") or ""),
            country=str(address.get("country") or "PL"),
            phone=contact.get("phone"),
            email=contact.get("email"),
        ),
        point_id=shipment.point_id,
        reference=fo.number,
        cash_on_delivery=cod,
        currency=order.currency,
    )


def label(units: Units, *, shipment_id: uuid.UUID, by: Principal | None = None) -> carriers.Label:
    """The parcel's label, asked of its carrier again (a printer jammed); 409 before
    the carrier has booked it."""
    with units() as session:
        shipment = load_shipment(session, shipment_id)
        check_reach(by, load_fulfilment(session, shipment.fulfilment_order_id))
        if shipment.carrier_ref is None:
            raise FulfilmentStateConflict(
                f"Shipment {shipment.id} is {shipment.status}: the carrier has not booked it.",
                status=shipment.status,
            )
        name, ref, key = shipment.carrier, shipment.carrier_ref, shipment.request_key
    try:
        return carriers.carrier_for(name).get_label(ref, key=f"{key}:label")
    except CarrierError as e:
        raise CarrierUnavailable(f"The carrier {name} did not answer ({e}).") from None


# --- handing over -------------------------------------------------------------------------


def hand_over(units: Units, *, shipment_id: uuid.UUID, by: Principal | None = None) -> Shipment:
    """The carrier took the parcel: its goods leave, the payment is captured up to
    what has left, the order moves on; 409 unless the parcel is labelled, 402/503 as
    the payment provider answers (then nothing left)."""
    with units() as session:
        shipment = load_shipment(session, shipment_id)
        fo = load_fulfilment(session, shipment.fulfilment_order_id)
        check_reach(by, fo)
        if shipment.status != SS.LABELLED:
            raise FulfilmentStateConflict(
                f"Shipment {shipment.tracking_number or shipment.id} is {shipment.status}: "
                "only a labelled parcel is handed to the carrier.",
                status=shipment.status,
            )
        order = orders.load(session, order_id=shipment.order_id, access=STAFF)
        lines = shipment_lines(session, shipment.id)
        siblings = list(
            session.scalars(
                select(FulfilmentOrder).where(
                    FulfilmentOrder.order_id == order.id,
                    FulfilmentOrder.kind == FulfilmentKind.SHIP,
                    FulfilmentOrder.id != fo.id,
                )
            )
        )
        last = all(s.status in (F.SHIPPED, F.DELIVERED, F.CANCELLED) for s in siblings)
        up_to = None if last else _left_so_far(session, order, siblings, lines)
        move = orders.Move(
            orders.OrderStatus.SHIPPED if last else orders.OrderStatus.PARTIALLY_SHIPPED,
            actor=by.actor if by is not None else "system",
            allocation_ids=[ln.allocation_id for ln in lines],
            capture_up_to=up_to,
            reason=f"parcel {shipment.tracking_number} of {fo.number}",
        )
        order_id = order.id

    def shipped(session: Session, order: orders.Order) -> None:
        s = load_shipment(session, shipment_id)
        f = load_fulfilment(session, s.fulfilment_order_id)
        now = utcnow()
        s.status, s.shipped_at = SS.SHIPPED, now
        f.status, f.updated_at = F.SHIPPED, now
        event(session, s, "shipment.shipped")

    orders.move(units, order_id=order_id, access=STAFF, move=move, then=shipped)
    with units() as session:
        return load_shipment(session, shipment_id)


def _left_so_far(
    session: Session,
    order: orders.Order,
    siblings: Sequence[FulfilmentOrder],
    lines: Sequence[ShipmentLine],
) -> int:
    """What the goods that have left, this parcel's included, are worth: each line's
    share by units, and the delivery fee with the first parcel."""
    shipped_before = [s.id for s in siblings if s.status in (F.SHIPPED, F.DELIVERED)]
    units_left: list[tuple[int, int]] = [(ln.line_no, ln.quantity) for ln in lines]
    if shipped_before:
        for ln in session.scalars(
            select(ShipmentLine)
            .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
            .where(
                Shipment.fulfilment_order_id.in_(shipped_before),
                Shipment.status != SS.CANCELLED,
            )
        ):
            units_left.append((ln.line_no, ln.quantity))
    by_line = {ln.line_no: ln for ln in order.lines}
    worth = order.delivery
    for line_no, quantity in units_left:
        line = by_line[line_no]
        worth += line.total * quantity // line.quantity
    return worth


def event(session: Session, shipment: Shipment, type_: str) -> None:
    """Record the shipment's change as an event (its version is the sequence)."""
    shipment.version += 1
    shipment.updated_at = utcnow()
    session.flush()
    record_event(
        session,
        aggregate_type="shipment",
        aggregate_id=shipment.id,
        sequence=shipment.version,
        type=type_,
        payload={
            "shipment_id": str(shipment.id),
            "order_id": str(shipment.order_id),
            "fulfilment_order_id": str(shipment.fulfilment_order_id),
            "status": shipment.status,
            "carrier": shipment.carrier,
            "service": shipment.service,
            "tracking_number": shipment.tracking_number,
        },
    )


def work_at(
    session: Session,
    *,
    location_id: uuid.UUID,
    statuses: Sequence[FulfilmentStatus] = (F.ALLOCATED,),
    limit: int = 100,
) -> list[FulfilmentOrder]:
    """A location's work: its fulfilment orders in these states, oldest first (what
    a warehouse picks and a store ships from its shelf or prepares for pickup)."""
    return list(
        session.scalars(
            select(FulfilmentOrder)
            .where(
                FulfilmentOrder.location_id == location_id,
                FulfilmentOrder.status.in_([s.value for s in statuses]),
            )
            .options(selectinload(FulfilmentOrder.lines))
            .order_by(FulfilmentOrder.created_at, FulfilmentOrder.number)
            .limit(min(limit, 500))
        )
    )
