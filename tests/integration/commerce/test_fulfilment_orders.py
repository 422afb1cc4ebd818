"""Routing at checkout and the fulfilment orders that follow: a line split across two
locations, a pickup served from the pickup store's own shelf, one fulfilment order
per location once the order is confirmed, the pickup's clock, and nothing twice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnichannel.db import OutboxEvent
from omnichannel.db.session import within
from omnichannel.events.consumers import Event
from omnichannel.fulfillment import allocating
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment.models import FulfilmentLine, FulfilmentOrder, Pickup
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.locations.models import Location
from omnichannel.orders import rerouting as rerouting_orders
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments.service import PaymentMethod
from tests import ordering
from tests.integration.commerce.conftest import KRAKOW_STOCK, WAREHOUSE_STOCK, Store

ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk", "country": "PL"}


def _checkout(session: Session, store: Store, channel: str = "web", **kw: object) -> orders.Order:
    lines = {k: v for k, v in kw.items() if k.isupper()}
    options = {k: v for k, v in kw.items() if not k.isupper()}
    request: dict[str, object] = {
        "currency": "PLN",
        "fulfilment": Fulfilment.DELIVERY,
        "payment_method": PaymentMethod.CARD,
        "payment_token": "sandbox_ok",
        "shipping_address": ADDRESS,
        "contact": orders.Contact(email="anna.nowak@example.pl"),
    } | options
    return ordering.checkout(
        session,
        cart=store.cart(session, channel, **lines),  # type: ignore[arg-type]
        seller=store.seller(channel),
        actor=f"channel:{channel}",
        request=orders.CheckoutRequest(**request),  # type: ignore[arg-type]
    )


def _krakow_ships(session: Session, store: Store) -> None:
    session.execute(
        update(Location)
        .where(Location.id == store.krakow)
        .values(capabilities=["pickup", "ship_from_store", "accepts_returns"])
    )


def _fulfilment_orders(session: Session, order: orders.Order) -> list[FulfilmentOrder]:
    return list(
        session.scalars(
            select(FulfilmentOrder)
            .where(FulfilmentOrder.order_id == order.id)
            .order_by(FulfilmentOrder.number)
        )
    )


def test_a_line_no_one_location_holds_is_split_across_two(session: Session, store: Store) -> None:
    _krakow_ships(session, store)
    order = _checkout(session, store, TS_S=WAREHOUSE_STOCK + 2)
    assert sorted((a.location_id, a.quantity) for a in order.allocations) == sorted(
        [(store.warehouse, WAREHOUSE_STOCK), (store.krakow, 2)]
    )
    assert all(a.line_no == 1 and a.status == "held" for a in order.allocations)
    assert store.level(session, "TS-S", store.krakow) == (KRAKOW_STOCK, 2)
    assert order.route is not None
    assert order.route["explanation"][0].startswith("Split into 2")


def test_a_store_that_does_not_ship_never_serves_a_home_delivery(
    session: Session, store: Store
) -> None:
    with pytest.raises(InsufficientStock) as refused:
        _checkout(session, store, TS_S=WAREHOUSE_STOCK + 1)
    assert refused.value.extra["available"] == WAREHOUSE_STOCK
    assert store.level(session, "TS-S", store.warehouse) == (WAREHOUSE_STOCK, 0)


def test_a_pickup_is_served_from_the_pickup_stores_own_shelf(
    session: Session, store: Store
) -> None:
    order = _checkout(
        session,
        store,
        TS_M=1,
        fulfilment=Fulfilment.PICKUP,
        pickup_location_id=store.krakow,
        shipping_address=None,
    )
    assert [(a.location_id, a.quantity) for a in order.allocations] == [(store.krakow, 1)]
    assert store.level(session, "TS-M", store.warehouse) == (WAREHOUSE_STOCK, 0)


def test_a_confirmed_order_becomes_one_fulfilment_order_per_location(
    session: Session, store: Store
) -> None:
    _krakow_ships(session, store)
    order = _checkout(session, store, TS_S=WAREHOUSE_STOCK + 2, KS_1=1)
    made = allocating.allocate(session, order_id=order.id, actor="t")
    assert order.status == "allocated"
    found = _fulfilment_orders(session, order)
    assert [fo.number for fo in found] == [f"{order.number}-1", f"{order.number}-2"]
    assert {fo.location_id for fo in made} == {store.warehouse, store.krakow}
    assert all((fo.kind, fo.status) == ("ship", "allocated") for fo in found)
    lines = session.scalars(select(FulfilmentLine)).all()
    assert sum(ln.quantity for ln in lines) == WAREHOUSE_STOCK + 2 + 1
    events = session.scalars(
        select(OutboxEvent.type).where(OutboxEvent.aggregate_type == "fulfilment_order")
    ).all()
    assert events == ["fulfilment.allocated", "fulfilment.allocated"]


def test_allocating_twice_makes_nothing_more(session: Session, store: Store) -> None:
    order = _checkout(session, store, TS_S=1)
    assert len(allocating.allocate(session, order_id=order.id, actor="t")) == 1
    assert allocating.allocate(session, order_id=order.id, actor="t") == []
    assert len(_fulfilment_orders(session, order)) == 1


def test_a_till_sale_has_left_already_and_gets_no_fulfilment_order(
    session: Session, store: Store
) -> None:
    order = _checkout(
        session,
        store,
        "pos-krk",
        TS_S=1,
        fulfilment=Fulfilment.CARRY_OUT,
        payment_method=PaymentMethod.CASH,
        payment_token=None,
        shipping_address=None,
    )
    assert order.status == "completed"
    assert allocating.allocate(session, order_id=order.id, actor="t") == []


def test_a_pickup_gets_its_clock_in_the_stores_opening_hours(
    session: Session, store: Store
) -> None:
    order = _checkout(
        session,
        store,
        TS_M=1,
        fulfilment=Fulfilment.PICKUP,
        pickup_location_id=store.krakow,
        shipping_address=None,
    )
    # Saturday 20:00 in Warsaw; the test store opens Mondays 10:00-21:00 only.
    saturday = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)
    allocating.allocate(session, order_id=order.id, actor="t", now=saturday)
    pickup = session.get(Pickup, order.id)
    assert pickup is not None
    assert (pickup.location_id, pickup.kind, pickup.status) == (
        store.krakow,
        "click_collect",
        "waiting",
    )
    # Four opening hours from Monday's 10:00 opening: Monday 14:00 Warsaw, 13:00 UTC.
    assert pickup.ready_due_at == datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


def test_the_consumer_allocates_each_confirmed_order_of_its_batch(
    session: Session, store: Store
) -> None:
    order = _checkout(session, store, TS_S=1)
    event = Event(
        position=1,
        event_id=order.id,
        aggregate_type="order",
        aggregate_id=str(order.id),
        sequence=2,
        type="order.confirmed",
        payload={"order_id": str(order.id)},
        actor=None,
        occurred_at=datetime.now(UTC),
    )
    assert allocating.allocate_confirmed(session, [event, event]) == {"fulfilment_orders": 1}
    assert order.status == "allocated"


def test_a_pickup_whose_goods_travel_is_due_from_the_day_they_arrive(
    session: Session, store: Store
) -> None:
    order = _checkout(
        session,
        store,
        TS_M=KRAKOW_STOCK + 1,  # the shelf lacks one: it comes from the warehouse
        fulfilment=Fulfilment.PICKUP,
        pickup_location_id=store.krakow,
        shipping_address=None,
    )
    assert order.route is not None
    eta = date.fromisoformat(order.route["eta"])
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    allocating.allocate(session, order_id=order.id, actor="t", now=monday)
    pickup = session.get(Pickup, order.id)
    assert pickup is not None
    assert pickup.ready_due_at is not None
    assert pickup.ready_due_at.astimezone(ZoneInfo("Europe/Warsaw")).date() >= eta


def test_a_re_route_refused_half_way_holds_nothing_it_took(
    session: Session, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _krakow_ships(session, store)
    order = _checkout(session, store, TS_S=1, KS_1=1)
    (fo,) = allocating.allocate(session, order_id=order.id, actor="t")
    real = inventory.reserve

    def takes_then_refuses(session: Session, **kw: Any) -> Any:
        real(session, **kw)  # every line taken, then another buyer wins the last one
        raise InsufficientStock("taken meanwhile", available=0)

    monkeypatch.setattr(rerouting_orders.inventory, "reserve", takes_then_refuses)
    done = fulfilment.reject(within(session), fulfilment_order_id=fo.id, line_no=1, missing=1)
    assert done.cancelled_lines == [1]
    levels = {loc: store.level(session, "TS-S", loc) for loc in (store.warehouse, store.krakow)}
    assert levels == {
        store.warehouse: (WAREHOUSE_STOCK - 1, 0),  # counted, and nothing held
        store.krakow: (KRAKOW_STOCK, 0),
    }


def test_units_carried_to_the_pickup_store_are_counted_missing_where_they_are(
    session: Session, store: Store
) -> None:
    shelf, _ = store.level(session, "TS-M", store.krakow)
    order = _checkout(
        session,
        store,
        TS_M=shelf + 2,  # more than the shelf has: one transfer brings them all
        fulfilment=Fulfilment.PICKUP,
        pickup_location_id=store.krakow,
        shipping_address=None,
    )
    (away,) = allocating.allocate(session, order_id=order.id, actor="t")
    assert away.location_id == store.warehouse
    fulfilment.send(session, fulfilment_id=away.id, by=None)
    fulfilment.receive(session, fulfilment_id=away.id, by=None)
    carried = shelf + 2
    assert store.level(session, "TS-M", store.krakow) == (shelf + carried, carried)
    fulfilment.reject(within(session), fulfilment_order_id=away.id, line_no=1, missing=2)
    # Counted at Kraków, where the carried units were, and held again from its shelf.
    assert store.level(session, "TS-M", store.krakow) == (shelf + carried - 2, carried)
    assert store.level(session, "TS-M", store.warehouse) == (WAREHOUSE_STOCK - carried, 0)
