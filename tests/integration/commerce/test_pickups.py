"""Click & collect after checkout: a pickup the store lacks is carried there by a
transfer that keeps its units the order's, made ready with a code, handed over on the
code (wrong ones locked out) or a checked identity, listed when overdue, and expired
when nobody comes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.customers.models import TimelineEntry
from omnichannel.db import OutboxEvent
from omnichannel.db.session import within
from omnichannel.events.consumers import Event
from omnichannel.fulfillment import codes
from omnichannel.fulfillment import pickups as counter_lists
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment.errors import (
    FulfilmentStateConflict,
    PickupCodeLocked,
    WrongPickupCode,
)
from omnichannel.fulfillment.models import FulfilmentOrder, Pickup
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.models import StockMovement
from omnichannel.inventory.rules import OwnerType
from omnichannel.kernel import Principal
from omnichannel.kernel.auth import OutsideYourLocations
from omnichannel.orders import service as orders
from omnichannel.orders.errors import OrderNotFound
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments.service import PaymentMethod
from omnichannel.security import crypto
from tests import ordering
from tests.integration.commerce.conftest import WAREHOUSE_STOCK, Store


def _pickup(
    session: Session, store: Store, at: uuid.UUID, method: PaymentMethod = PaymentMethod.CARD
) -> orders.Order:
    """A confirmed, allocated click & collect order of one TS-M at the store `at`."""
    order = ordering.checkout(
        session,
        cart=store.cart(session, "web", TS_M=1),
        seller=store.seller("web"),
        actor="channel:web",
        request=orders.CheckoutRequest(
            currency="PLN",
            fulfilment=Fulfilment.PICKUP,
            pickup_location_id=at,
            payment_method=method,
            payment_token="sandbox_ok" if method == PaymentMethod.CARD else None,
            contact=orders.Contact(email="anna.nowak@example.pl"),
        ),
    )
    fulfilment.allocate(session, order_id=order.id, actor="test")
    return order


def _only_fo(session: Session, order: orders.Order) -> FulfilmentOrder:
    return session.scalars(
        select(FulfilmentOrder).where(FulfilmentOrder.order_id == order.id)
    ).one()


def _staff(*locations: uuid.UUID) -> Principal:
    return Principal(
        kind="staff",
        id=uuid.uuid4(),
        name="Sprzedawca",
        permissions=frozenset(),
        role="store_associate",
        location_ids=frozenset(locations),
    )


def _events(session: Session, aggregate_type: str) -> list[OutboxEvent]:
    return list(
        session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.aggregate_type == aggregate_type)
            .order_by(OutboxEvent.position)
        )
    )


def _arrived(session: Session, store: Store) -> orders.Order:
    """A Gdańsk pickup of warehouse goods, sent and received."""
    order = _pickup(session, store, store.gdansk)
    fo = _only_fo(session, order)
    fulfilment.send(session, fulfilment_id=fo.id, by=_staff(store.warehouse))
    fulfilment.receive(session, fulfilment_id=fo.id, by=_staff(store.gdansk))
    return order


def _code(session: Session, order: orders.Order) -> str:
    """The code as the customer is shown it (the sealed copy)."""
    pickup = session.get(Pickup, order.id)
    assert pickup is not None
    assert pickup.code is not None
    return codes.format_code(pickup.code)


def test_a_pickup_the_store_lacks_is_held_at_the_warehouse_and_sent_with_its_hold(
    session: Session, store: Store
) -> None:
    order = _pickup(session, store, store.gdansk)
    assert [(a.location_id, a.status) for a in order.allocations] == [(store.warehouse, "held")]
    fo = _only_fo(session, order)
    assert (fo.location_id, fo.destination_id) == (store.warehouse, store.gdansk)

    sent = fulfilment.send(session, fulfilment_id=fo.id, by=_staff(store.warehouse))

    assert (sent.status, sent.transfer_id is not None) == ("in_transit", True)
    assert [a.status for a in order.allocations] == ["in_transit"]
    # Held and on hand dropped together: the warehouse's free stock did not change.
    assert store.level(session, "TS-M", store.warehouse) == (WAREHOUSE_STOCK - 1, 0)
    out = session.scalars(
        select(StockMovement).where(StockMovement.reference_id == str(sent.transfer_id))
    ).one()
    assert (out.kind, out.quantity, out.location_id) == ("transfer_out", -1, store.warehouse)


def test_units_in_transit_are_sold_to_nobody_on_the_way(session: Session, store: Store) -> None:
    order = _pickup(session, store, store.gdansk)
    fulfilment.send(session, fulfilment_id=_only_fo(session, order).id, by=None)
    someone = inventory.Owner(OwnerType.HOLD, "someone-else")
    for location in (store.gdansk, store.warehouse):
        wanted = 1 if location == store.gdansk else WAREHOUSE_STOCK
        with pytest.raises(InsufficientStock):
            inventory.reserve(
                session,
                lines=[inventory.Line(store.v("TS-M"), location, wanted)],
                owner=someone,
                ttl=None,
            )


def test_received_units_are_held_for_the_order_at_the_pickup_store(
    session: Session, store: Store
) -> None:
    order = _arrived(session, store)
    [allocation] = order.allocations
    assert (allocation.location_id, allocation.status) == (store.gdansk, "held")
    assert store.level(session, "TS-M", store.gdansk) == (1, 1)
    hold = inventory.get_reservation(session, reservation_id=allocation.reservation_id)  # type: ignore[arg-type]
    assert (hold.owner_id, hold.status, hold.location_id) == (str(order.id), "active", store.gdansk)
    assert _only_fo(session, order).status == "allocated"
    assert [e.type for e in _events(session, "fulfilment_order")] == [
        "fulfilment.allocated",
        "fulfilment.in_transit",
        "fulfilment.received",
    ]


def test_a_pickup_is_not_ready_before_its_transfer_arrives(session: Session, store: Store) -> None:
    order = _pickup(session, store, store.gdansk)
    fo = _only_fo(session, order)
    with pytest.raises(FulfilmentStateConflict):
        fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    fulfilment.send(session, fulfilment_id=fo.id, by=None)
    with pytest.raises(FulfilmentStateConflict):
        fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    assert order.status == "allocated"
    with pytest.raises(FulfilmentStateConflict):
        fulfilment.send(session, fulfilment_id=fo.id, by=None)  # sent already


def test_an_order_cancelled_in_transit_arrives_as_the_stores_free_stock(
    session: Session, store: Store
) -> None:
    order = _pickup(session, store, store.gdansk)
    fo = _only_fo(session, order)
    fulfilment.send(session, fulfilment_id=fo.id, by=None)
    ordering.cancel(session, order=order, actor="test", reason="changed my mind")
    assert [a.status for a in order.allocations] == ["released"]

    fulfilment.receive(session, fulfilment_id=fo.id, by=None)

    assert store.level(session, "TS-M", store.gdansk) == (1, 0)
    assert fo.status == "cancelled"
    assert [a.status for a in order.allocations] == ["released"]


def test_ready_issues_a_code_for_the_customer_and_tells_them_without_it(
    session: Session, store: Store
) -> None:
    order = _arrived(session, store)
    pickup = fulfilment.ready(session, order_id=order.id, by=_staff(store.gdansk), actor="test")
    assert (pickup.status, order.status) == ("ready", "ready_for_pickup")
    assert pickup.collect_by is not None
    assert pickup.ready_at is not None
    assert pickup.collect_by > pickup.ready_at
    assert pickup.code is not None
    assert pickup.code_hash is not None
    [ready] = _events(session, "pickup")
    assert ready.type == "pickup.ready"
    assert ready.payload["code_issued"] is True
    assert pickup.code not in str(ready.payload)
    assert _only_fo(session, order).status == "ready"


def test_a_reissued_code_replaces_the_old_one(session: Session, store: Store) -> None:
    order = _arrived(session, store)
    fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    old = _code(session, order)
    fulfilment.reissue_code(session, order_id=order.id, by=None)
    assert _code(session, order) != old
    with pytest.raises(WrongPickupCode):
        fulfilment.collect(within(session), order_id=order.id, by=None, actor="t", code=old)


def test_wrong_codes_are_counted_and_lock_the_pickup_even_the_right_code(
    session: Session, store: Store
) -> None:
    order = _arrived(session, store)
    fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    right = _code(session, order)
    wrong = "222-222" if right != "222-222" else "333-333"
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongPickupCode) as refused:
            fulfilment.collect(within(session), order_id=order.id, by=None, actor="t", code=wrong)
        assert refused.value.extra["tries_left"] == left
    with pytest.raises(PickupCodeLocked):
        fulfilment.collect(within(session), order_id=order.id, by=None, actor="t", code=wrong)
    with pytest.raises(PickupCodeLocked):
        fulfilment.collect(within(session), order_id=order.id, by=None, actor="t", code=right)
    pickup = session.get(Pickup, order.id)
    assert pickup is not None
    assert pickup.code_attempts == codes.MAX_WRONG
    assert order.status == "ready_for_pickup"


def test_the_right_code_hands_over_takes_the_payment_and_the_goods_leave_the_store(
    session: Session, store: Store
) -> None:
    order = _arrived(session, store)
    fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    done = fulfilment.collect(
        within(session),
        order_id=order.id,
        by=_staff(store.gdansk),
        actor="staff:gdansk",
        code=_code(session, order).lower(),
    )
    assert (done.order.status, done.pickup.status, done.pickup.verified_by) == (
        "collected",
        "collected",
        "code",
    )
    assert [p.status for p in ordering.payments_of(session, order)] == ["captured"]
    assert store.level(session, "TS-M", store.gdansk) == (0, 0)
    sale = session.scalars(
        select(StockMovement).where(
            StockMovement.location_id == store.gdansk, StockMovement.kind == "sale"
        )
    ).one()
    assert sale.quantity == -1
    assert _only_fo(session, order).status == "collected"
    assert [e.type for e in _events(session, "pickup")] == ["pickup.ready", "pickup.collected"]


def test_a_checked_identity_hands_over_without_the_code(session: Session, store: Store) -> None:
    order = _pickup(session, store, store.krakow, PaymentMethod.PAY_AT_PICKUP)
    fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    done = fulfilment.collect(
        within(session),
        order_id=order.id,
        by=None,
        actor="staff:krakow",
        identity=fulfilment.Identity("dowód osobisty, końcówka 4821"),
    )
    assert (done.pickup.verified_by, done.pickup.handed_over_by) == ("identity", "staff:krakow")
    assert [p.status for p in ordering.payments_of(session, order)] == ["captured"]
    assert store.level(session, "TS-M", store.krakow)[1] == 0


def test_staff_of_another_store_are_refused_at_every_step(session: Session, store: Store) -> None:
    order = _pickup(session, store, store.gdansk)
    fo = _only_fo(session, order)
    krakow = _staff(store.krakow)
    with pytest.raises(OutsideYourLocations):
        fulfilment.send(session, fulfilment_id=fo.id, by=krakow)
    fulfilment.send(session, fulfilment_id=fo.id, by=None)
    with pytest.raises(OutsideYourLocations):
        fulfilment.receive(session, fulfilment_id=fo.id, by=krakow)
    fulfilment.receive(session, fulfilment_id=fo.id, by=None)
    with pytest.raises(OutsideYourLocations):
        fulfilment.ready(session, order_id=order.id, by=krakow, actor="t")
    with pytest.raises(OutsideYourLocations):
        fulfilment.pickups_at(
            session, location_id=store.gdansk, listing=fulfilment.Listing.WAITING, by=krakow
        )
    assert order.status == "allocated"


def test_the_overdue_list_says_by_how_many_open_hours(session: Session, store: Store) -> None:
    order = ordering.checkout(
        session,
        cart=store.cart(session, "web", TS_M=1),
        seller=store.seller("web"),
        actor="channel:web",
        request=orders.CheckoutRequest(
            currency="PLN",
            fulfilment=Fulfilment.PICKUP,
            pickup_location_id=store.krakow,
            payment_method=PaymentMethod.PAY_AT_PICKUP,
            contact=orders.Contact(phone="+48 601 234 567"),
        ),
    )
    saturday = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)  # due Monday 14:00 in Kraków
    fulfilment.allocate(session, order_id=order.id, actor="t", now=saturday)
    tuesday = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)  # Kraków opens Mondays 10-21 only

    def listed(listing: fulfilment.Listing, now: datetime) -> list[fulfilment.Listed]:
        return fulfilment.pickups_at(
            session, location_id=store.krakow, listing=listing, by=_staff(store.krakow), now=now
        )

    assert listed(fulfilment.Listing.OVERDUE, saturday) == []
    [late] = listed(fulfilment.Listing.OVERDUE, tuesday)
    assert (late.pickup.order_id, late.order_number, late.overdue_hours) == (
        order.id,
        order.number,
        7.0,
    )
    assert [x.pickup.order_id for x in listed(fulfilment.Listing.WAITING, saturday)] == [order.id]
    assert listed(fulfilment.Listing.READY, tuesday) == []


def test_a_pickup_nobody_collects_is_expired_its_hold_given_back_and_payment_voided(
    session: Session, store: Store
) -> None:
    order = _pickup(session, store, store.krakow)
    pickup = fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    assert pickup.collect_by is not None
    assert store.level(session, "TS-M", store.krakow)[1] == 1
    late = pickup.collect_by + timedelta(minutes=1)

    assert fulfilment.pickups_at(
        session, location_id=store.krakow, listing=fulfilment.Listing.EXPIRING, by=None, now=late
    )
    assert (
        fulfilment.expire_pickups(within(session), now=pickup.collect_by - timedelta(1)).expired
        == 0
    )
    done = fulfilment.expire_pickups(within(session), now=late)

    assert done.expired == 1
    assert (order.status, pickup.status) == ("cancelled", "expired")
    assert store.level(session, "TS-M", store.krakow)[1] == 0
    assert [p.status for p in ordering.payments_of(session, order)] == ["voided"]
    assert _events(session, "pickup")[-1].type == "pickup.expired"
    assert _only_fo(session, order).status == "cancelled"
    again = fulfilment.expire_pickups(within(session), now=late)
    assert (again.expired, again.closed, again.failures) == (0, 0, 0)


def test_the_customer_sees_their_code_and_nobody_else_does(session: Session, store: Store) -> None:
    order = _pickup(session, store, store.krakow)
    fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    pickup = session.get(Pickup, order.id)
    assert pickup is not None
    assert order.customer_id is not None
    seen = fulfilment.customer_pickup(session, order_id=order.id, customer_id=order.customer_id)
    assert seen.code == codes.format_code(pickup.code or "")
    assert codes.verify_code(
        seen.code or "",
        pickup.code_hash or "",
        keys=crypto.keyring().code_keys(),
        context=str(order.id),
    )
    with pytest.raises(OrderNotFound):
        fulfilment.customer_pickup(session, order_id=order.id, customer_id=uuid.uuid4())


def test_the_customer_follows_their_pickup_on_their_timeline(
    session: Session, store: Store
) -> None:
    order = _arrived(session, store)
    fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    steps = [
        (e.data or {}).get("pickup") or (e.data or {}).get("status")
        for e in session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.reference == order.number)
            .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
        )
    ]
    assert steps[-3:] == ["on_its_way", "arrived", "ready_for_pickup"]


def test_a_cancelled_orders_pickup_leaves_the_counters_lists(
    session: Session, store: Store
) -> None:
    order = _pickup(session, store, store.krakow)
    fulfilment.ready(session, order_id=order.id, by=None, actor="test")
    ordering.cancel(session, order=order, actor="test", reason="changed my mind")
    cancelled = Event(
        position=1,
        event_id=uuid.uuid4(),
        aggregate_type="order",
        aggregate_id=str(order.id),
        sequence=9,
        type="order.cancelled",
        payload={"order_id": str(order.id)},
        actor=None,
        occurred_at=datetime.now(UTC),
    )
    assert counter_lists.close_cancelled(session, [cancelled, cancelled]) == {"pickups_closed": 1}
    pickup = session.get(Pickup, order.id)
    assert pickup is not None
    assert (pickup.status, pickup.code) == ("cancelled", None)
    assert not fulfilment.pickups_at(
        session, location_id=store.krakow, listing=fulfilment.Listing.READY, by=None
    )
    assert _only_fo(session, order).status == "cancelled"
