"""Where an order goes and whom to tell: its contact and shipping address, for the
staff who fulfil it, hand it over or answer the customer about it.

The order keeps them sealed (personal data). Staff read them here, one order at a time
and with a reason, and each read is written to the customers' audit log (through
`customers.record_read`) in the reader's transaction, as every read of a profile's
personal fields is. A role scoped to locations reads them only for orders one of its
locations delivers: the pickup store hands a pickup order over (the stores and
warehouses sending it goods there need no customer's address); any location shipping
a live line of another order labels its parcel. The billing address stays with the
customer and the accountants.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from omnichannel.customers import service as customers
from omnichannel.kernel.auth import OutsideYourLocations
from omnichannel.orders.models import Order
from omnichannel.orders.queries import Access, load


class DeliveryReason(StrEnum):
    """Why staff open an order's contact and address (recorded in the audit log)."""

    FULFILMENT = "fulfilment"  # pick, pack and label the parcel, ship from a store
    HANDOVER = "handover"  # the customer collects at the counter
    CUSTOMER_SERVICE = "customer_service"  # the customer asks where their order is


@dataclass(frozen=True, slots=True)
class Delivery:
    order_id: uuid.UUID
    number: str
    fulfilment: str
    pickup_location_id: uuid.UUID | None
    contact: dict[str, Any] | None
    shipping_address: dict[str, Any] | None


def deliverers(order: Order) -> frozenset[uuid.UUID]:
    """The locations that deliver the order to its customer: the pickup store of a
    pickup order, else every location a live line ships from."""
    if order.pickup_location_id is not None:
        return frozenset({order.pickup_location_id})
    return frozenset(order.live_locations())


def delivery_details(
    session: Session,
    *,
    order_id: uuid.UUID,
    reason: DeliveryReason,
    location_ids: frozenset[uuid.UUID] | None,
) -> Delivery:
    """The order's contact and shipping address, the read audited with its reason; 404
    for an unknown order, 403 when `location_ids` (a scoped role's) holds none of the
    locations that deliver it."""
    order = load(session, order_id=order_id, access=Access(staff=True))
    if location_ids is not None and not deliverers(order) & location_ids:
        raise OutsideYourLocations(
            f"Order {order.number} is delivered from other locations than yours.",
            location_ids=sorted(str(x) for x in deliverers(order)),
        )
    shown = {"orders.contact": order.contact, "orders.shipping_address": order.shipping_address}
    fields = [name for name, value in shown.items() if value]
    if fields:
        customers.record_read(
            session,
            customer_id=order.customer_id,
            fields=fields,
            purpose=f"{reason.value}:{order.number}",
        )
    return Delivery(
        order_id=order.id,
        number=order.number,
        fulfilment=order.fulfilment,
        pickup_location_id=order.pickup_location_id,
        contact=order.contact,
        shipping_address=order.shipping_address,
    )
