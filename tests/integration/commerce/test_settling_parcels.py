"""Parcels the worker finishes: one whose carrier did not answer is booked again under
the same key (one parcel, never two), and one on its way is followed to the door
without anybody asking."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.db import Database
from omnichannel.db.session import units
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment.cancelling import close_cancelled
from omnichannel.fulfillment.carriers import base as carriers
from omnichannel.fulfillment.carriers.errors import CarrierError
from omnichannel.fulfillment.carriers.rules import TrackingStatus
from omnichannel.fulfillment.carriers.sandbox import SandboxCarrier
from omnichannel.fulfillment.errors import CarrierUnavailable
from omnichannel.fulfillment.models import FulfilmentOrder, Shipment
from omnichannel.fulfillment.settling import settle_parcels
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments.service import PaymentMethod
from tests import ordering
from tests.integration.commerce.conftest import Store

ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk", "country": "PL"}
NOW = timedelta(0)


class Flaky(SandboxCarrier):
    """A sandbox that drops its first `failures` bookings (it made none of them)."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.calls = 0
        self._count = threading.Lock()

    def create_shipment(self, request: carriers.ShipmentRequest) -> carriers.CreatedShipment:
        with self._count:
            self.calls += 1
            if self.calls <= self.failures:
                raise CarrierError("flaky: no answer")
        return super().create_shipment(request)


def _waiting_to_ship(session: Session, store: Store) -> FulfilmentOrder:
    order = ordering.checkout(
        session,
        cart=store.cart(session, TS_S=1),
        seller=store.seller("web"),
        actor="channel:web",
        request=orders.CheckoutRequest(
            currency="PLN",
            fulfilment=Fulfilment.DELIVERY,
            payment_method=PaymentMethod.CARD,
            payment_token="sandbox_ok",
            shipping_address=ADDRESS,
            contact=orders.Contact(email="anna.nowak@example.pl"),
        ),
    )
    (fo,) = fulfilment.allocate(session, order_id=order.id, actor="test")
    session.commit()
    return fo


def test_a_parcel_its_carrier_did_not_answer_for_is_booked_again_once(
    session: Session, store: Store, db: Database
) -> None:
    flaky = Flaky(failures=1)
    carriers.register(flaky)
    fo = _waiting_to_ship(session, store)
    with pytest.raises(CarrierUnavailable):
        fulfilment.book(units(db), fulfilment_order_id=fo.id, carrier="flaky")
    session.expire_all()
    (parcel,) = session.scalars(select(Shipment)).all()
    assert parcel.status == "requested"
    assert settle_parcels(units(db), after=NOW).booked == 1
    session.expire_all()
    assert (parcel.status, parcel.carrier) == ("labelled", "flaky")
    assert parcel.tracking_number
    assert settle_parcels(units(db), after=NOW).booked == 0  # nothing left to book
    assert flaky.calls == 2
    assert len(session.scalars(select(Shipment)).all()) == 1


def test_a_parcel_on_its_way_is_followed_to_the_door(
    session: Session, store: Store, db: Database
) -> None:
    fo = _waiting_to_ship(session, store)
    parcel = fulfilment.book(units(db), fulfilment_order_id=fo.id).shipment
    fulfilment.hand_over(units(db), shipment_id=parcel.id)
    sandbox = carriers.carrier_for("sandbox")
    assert isinstance(sandbox, SandboxCarrier)
    assert sandbox.push(str(parcel.tracking_number), TrackingStatus.DELIVERED)
    assert settle_parcels(units(db), follow_every=NOW).followed == 1
    session.expire_all()
    shipment = session.get(Shipment, parcel.id)
    assert shipment is not None
    assert shipment.status == "delivered"
    order = orders.load(session, order_id=shipment.order_id, access=orders.Access(staff=True))
    assert order.status == "delivered"


def test_a_cancelled_orders_booked_parcel_is_cancelled_and_withdrawn_with_its_carrier(
    session: Session, store: Store, db: Database
) -> None:
    fo = _waiting_to_ship(session, store)
    parcel = fulfilment.book(units(db), fulfilment_order_id=fo.id).shipment
    order = orders.load(session, order_id=fo.order_id, access=orders.Access(staff=True))
    ordering.cancel(session, order=order, actor="t")
    assert close_cancelled(session, [_Cancelled(order.id)]) == {"fulfilment_orders_cancelled": 1}
    session.commit()
    session.expire_all()
    assert session.get(FulfilmentOrder, fo.id).status == "cancelled"  # type: ignore[union-attr]
    assert session.get(Shipment, parcel.id).status == "cancelled"  # type: ignore[union-attr]
    assert settle_parcels(units(db)).withdrawn == 1
    sandbox = carriers.carrier_for("sandbox")
    assert isinstance(sandbox, SandboxCarrier)
    events = sandbox.tracking(str(parcel.carrier_ref), key="t")
    assert events[-1].status == TrackingStatus.CANCELLED
    assert settle_parcels(units(db)).withdrawn == 0  # once


class _Cancelled:
    type = "order.cancelled"

    def __init__(self, order_id: object) -> None:
        self.payload = {"order_id": str(order_id)}
