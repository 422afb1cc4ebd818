"""Checkout and the order's life through the service: the order as a snapshot, stock
taken and given back exactly, payments following the goods, the journey across
channels, and bad checkouts that write nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from omnichannel.carts import service as carts
from omnichannel.carts.errors import CartClosed
from omnichannel.customers import identities, profiles
from omnichannel.customers.models import TimelineEntry
from omnichannel.customers.rules import IdentityType
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.db import Database, OutboxEvent
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.models import Reservation, StockMovement
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import service as orders
from omnichannel.orders.errors import OrderStateConflict, PriceChanged
from omnichannel.orders.models import Order, OrderTransition
from omnichannel.orders.rules import Fulfilment, OrderStatus
from omnichannel.payments.errors import PaymentDeclined
from omnichannel.payments.service import PaymentMethod
from tests import ordering
from tests.integration.commerce.conftest import DELIVERY, KRAKOW_STOCK, WAREHOUSE_STOCK, Store

ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk", "country": "PL"}


def _request(**kw: object) -> orders.CheckoutRequest:
    doc: dict[str, object] = {
        "currency": "PLN",
        "fulfilment": Fulfilment.DELIVERY,
        "payment_method": PaymentMethod.CARD,
        "payment_token": "sandbox_ok",
        "shipping_address": ADDRESS,
        "contact": orders.Contact(email="anna.nowak@example.pl", given_name="Anna"),
    }
    doc.update(kw)
    return orders.CheckoutRequest(**doc)  # type: ignore[arg-type]


def _checkout(
    session: Session, store: Store, cart: carts.Cart, channel: str = "web", **kw: object
) -> orders.Order:
    return ordering.checkout(
        session,
        cart=cart,
        seller=store.seller(channel),
        actor=f"channel:{channel}",
        request=_request(**kw),
    )


def _customer(session: Session) -> uuid.UUID:
    return profiles.create_customer(
        session, data=CustomerCreate.model_validate({"given_name": "Anna"})
    ).customer.id


def test_a_web_checkout_places_a_confirmed_order_holding_its_stock(
    session: Session, store: Store
) -> None:
    cart = store.cart(session, TS_S=2, KS_1=1)
    order = _checkout(session, store, cart)
    assert (order.status, order.payment_status, order.kind) == (
        "confirmed",
        "authorised",
        "checkout",
    )
    assert order.total == 2 * 4999 + 3990 + DELIVERY
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [("TS-S", 2), ("KS-1", 1)]
    assert [(a.line_no, a.quantity, a.location_id, a.status) for a in order.allocations] == [
        (1, 2, store.warehouse, "held"),
        (2, 1, store.warehouse, "held"),
    ]
    assert sum(ln.total for ln in order.lines) + order.delivery == order.total
    assert store.level(session, "TS-S", store.warehouse) == (WAREHOUSE_STOCK, 2)
    assert (cart.status, cart.order_id) == ("ordered", order.id)
    assert order.contact == {"email": "anna.nowak@example.pl", "given_name": "Anna"}
    assert order.journey == ["web"]
    events = session.scalars(
        select(OutboxEvent.type).where(OutboxEvent.aggregate_id == str(order.id))
    ).all()
    assert events[:2] == ["order.placed", "payment.authorised"] or "order.placed" in events
    assert "order.confirmed" in events
    with pytest.raises(CartClosed):
        _checkout(session, store, cart)


def test_an_anonymous_buyer_is_attached_to_the_profile_their_email_leads_to(
    session: Session, store: Store
) -> None:
    anna = profiles.create_customer(
        session,
        data=CustomerCreate.model_validate(
            {"given_name": "Anna", "emails": ["anna.nowak@example.pl"]}
        ),
    ).customer.id
    order = _checkout(session, store, store.cart(session, TS_M=1))
    assert order.customer_id == anna
    placed = session.scalars(
        select(TimelineEntry.type).where(TimelineEntry.customer_id == anna)
    ).all()
    assert "order_placed" in placed
    newcomer = _checkout(
        session,
        store,
        store.cart(session, TS_M=1),
        contact=orders.Contact(email="nowy@example.pl"),
    )
    assert newcomer.customer_id is not None
    assert newcomer.customer_id != anna
    assert (
        identities.find_customer_id(session, type=IdentityType.EMAIL, value="NOWY@example.pl")
        == newcomer.customer_id
    )


def test_bad_checkouts_are_refused_and_write_nothing(session: Session, store: Store) -> None:
    empty = store.cart(session)
    cart = store.cart(session, TS_S=1)
    session.commit()
    cases = [
        (empty, {}, "lines"),
        (cart, {"currency": "EUR"}, "currency"),
        (
            cart,
            {"fulfilment": Fulfilment.PICKUP, "pickup_location_id": store.warehouse},
            "pickup_location_id",
        ),
        (cart, {"shipping_address": None}, "shipping_address"),
        (cart, {"fulfilment": Fulfilment.CARRY_OUT}, "fulfilment"),
        (cart, {"payment_method": PaymentMethod.PAY_AT_PICKUP}, "payment.method"),
    ]
    for which, change, field in cases:
        with pytest.raises(InvalidInput) as e:
            _checkout(session, store, which, **change)
        assert e.value.errors[0]["field"] == field
        session.rollback()
    assert store.orders(session) == 0
    assert cart.status == "open"


@pytest.mark.parametrize("channel", ["web", "call-center"])  # two locations; one
def test_an_out_of_stock_line_is_named_with_what_is_available(
    session: Session, store: Store, channel: str
) -> None:
    cart = store.cart(session, channel, TS_S=1, TS_L=WAREHOUSE_STOCK + 1)
    session.commit()
    with pytest.raises(InsufficientStock) as e:
        _checkout(session, store, cart, channel)
    assert e.value.errors[0]["field"] == "lines.1.quantity"
    assert e.value.extra["available"] == WAREHOUSE_STOCK
    session.rollback()
    assert store.orders(session) == 0
    assert store.level(session, "TS-S", store.warehouse) == (WAREHOUSE_STOCK, 0)


def test_a_changed_price_is_told_before_anything_is_taken(session: Session, store: Store) -> None:
    cart = store.cart(session, TS_S=1)
    session.commit()
    with pytest.raises(PriceChanged) as e:
        _checkout(session, store, cart, expected_total=4999)
    assert e.value.extra["total"] == 4999 + DELIVERY
    session.rollback()
    assert store.orders(session) == 0
    cart = carts.load(session, cart_id=cart.id, access=carts.Access(staff=True))
    assert _checkout(session, store, cart, expected_total=4999 + DELIVERY).total == 4999 + DELIVERY


def test_a_declined_payment_cancels_the_order_and_gives_everything_back(
    session: Session, store: Store
) -> None:
    cart = store.cart(session, TS_S=1)
    session.commit()
    with pytest.raises(PaymentDeclined):
        _checkout(session, store, cart, payment_token="sandbox_declined")
    (order,) = session.scalars(select(Order).where(Order.cart_id == cart.id)).all()
    assert (order.status, order.payment_status) == ("cancelled", "failed")
    assert store.level(session, "TS-S", store.warehouse) == (WAREHOUSE_STOCK, 0)
    held = session.scalars(
        select(Reservation.status).where(Reservation.owner_id == str(order.id))
    ).all()
    assert set(held) == {"released"}
    cart = carts.load(session, cart_id=cart.id, access=carts.Access(staff=True))
    assert (cart.status, cart.order_id) == ("open", None)
    again = _checkout(session, store, cart)  # the buyer pays another way
    assert (again.status, again.cart_id) == ("confirmed", cart.id)


def test_shipping_sells_the_stock_and_captures_the_payment(session: Session, store: Store) -> None:
    order = _checkout(session, store, store.cart(session, TS_S=2))
    for to in ("allocated", "in_fulfilment", "shipped"):
        ordering.move(session, order=order, to=OrderStatus(to), actor="staff:wh")
    assert store.level(session, "TS-S", store.warehouse) == (WAREHOUSE_STOCK - 2, 0)
    (payment,) = ordering.payments_of(session, order)
    assert (payment.status, payment.captured) == ("captured", order.total)
    sold = session.scalar(
        select(func.sum(StockMovement.quantity)).where(
            StockMovement.reference_id == order.number, StockMovement.kind == "sale"
        )
    )
    assert sold == -2
    ordering.move(session, order=order, to=OrderStatus.DELIVERED, actor="carrier")
    ordering.move(session, order=order, to=OrderStatus.COMPLETED, actor="system")
    history = session.scalars(
        select(OrderTransition.to_status)
        .where(OrderTransition.order_id == order.id)
        .order_by(OrderTransition.id)
    ).all()
    assert history == [
        "pending_payment",
        "confirmed",
        "allocated",
        "in_fulfilment",
        "shipped",
        "delivered",
        "completed",
    ]


def test_a_move_the_machine_does_not_allow_names_the_current_state(
    session: Session, store: Store
) -> None:
    order = _checkout(session, store, store.cart(session, TS_S=1))
    with pytest.raises(OrderStateConflict) as e:
        ordering.move(session, order=order, to=OrderStatus.SHIPPED, actor="t")
    assert e.value.extra["current_status"] == "confirmed"
    assert "confirmed" in e.value.detail
    for to in ("allocated", "in_fulfilment"):
        ordering.move(session, order=order, to=OrderStatus(to), actor="t")
    with pytest.raises(OrderStateConflict):  # a delivery order is shipped, not collected
        ordering.move(session, order=order, to=OrderStatus.READY_FOR_PICKUP, actor="t")


def test_cancelling_gives_back_exactly_what_was_reserved(session: Session, store: Store) -> None:
    other = _checkout(session, store, store.cart(session, TS_S=3))
    order = _checkout(session, store, store.cart(session, TS_S=2, KS_1=1))
    assert store.level(session, "TS-S", store.warehouse) == (WAREHOUSE_STOCK, 5)
    ordering.cancel(session, order=order, actor="t", reason="changed my mind")
    assert order.status == "cancelled"
    assert store.level(session, "TS-S", store.warehouse) == (WAREHOUSE_STOCK, 3)
    assert store.level(session, "KS-1", store.warehouse) == (WAREHOUSE_STOCK, 0)
    assert ordering.payments_of(session, order)[0].status == "voided"
    held = session.scalars(
        select(Reservation.status).where(Reservation.owner_id == str(order.id))
    ).all()
    assert set(held) == {"released"}
    with pytest.raises(OrderStateConflict):
        ordering.cancel(session, order=order, actor="t")
    assert other.status == "confirmed"


def test_cancelling_a_line_releases_it_and_charges_the_rest(session: Session, store: Store) -> None:
    order = _checkout(session, store, store.cart(session, TS_S=1, KS_1=1))
    ordering.cancel(session, order=order, actor="t", line_nos=[2])
    assert order.status == "confirmed"
    assert store.level(session, "KS-1", store.warehouse) == (WAREHOUSE_STOCK, 0)
    assert orders.open_amount(order) == 4999 + DELIVERY
    for gone in ([7], [2]):
        with pytest.raises(InvalidInput):
            ordering.cancel(session, order=order, actor="t", line_nos=gone)
    for to in ("allocated", "in_fulfilment", "shipped"):
        ordering.move(session, order=order, to=OrderStatus(to), actor="t")
    assert ordering.payments_of(session, order)[0].captured == 4999 + DELIVERY


def test_pay_at_pickup_is_captured_when_collected(session: Session, store: Store) -> None:
    order = _checkout(
        session,
        store,
        store.cart(session, TS_M=1),
        fulfilment=Fulfilment.PICKUP,
        pickup_location_id=store.krakow,
        payment_method=PaymentMethod.PAY_AT_PICKUP,
        payment_token=None,
        shipping_address=None,
    )
    assert (order.status, order.payment_status, order.delivery) == ("confirmed", "due", 0)
    for to in ("allocated", "in_fulfilment", "ready_for_pickup", "collected"):
        ordering.move(
            session, order=order, to=OrderStatus(to), actor="staff:krk", channel="pos-krk"
        )
    assert order.payment_status == "captured"
    # Served from the pickup store's own shelf: the sale is booked where it was handed over.
    assert store.level(session, "TS-M", store.krakow) == (KRAKOW_STOCK - 1, 0)
    assert store.level(session, "TS-M", store.warehouse) == (WAREHOUSE_STOCK, 0)


def test_a_cart_from_the_app_finished_at_the_till_is_one_order_with_its_journey(
    session: Session, store: Store
) -> None:
    anna = _customer(session)
    cart = store.cart(session, "app", customer_id=anna, TS_S=1, KS_1=1)
    code = carts.issue_handoff(session, cart=cart).code
    opened, _ = carts.open_by_code(
        session, code=code, seller=store.seller("pos-krk"), actor="staff:kasa"
    )
    order = ordering.checkout(
        session,
        cart=opened,
        seller=store.seller("pos-krk"),
        actor="staff:kasa",
        request=_request(
            fulfilment=Fulfilment.CARRY_OUT,
            payment_method=PaymentMethod.CASH,
            payment_token=None,
            shipping_address=None,
            contact=None,
        ),
    )
    assert (order.kind, order.status, order.payment_status) == ("pos", "completed", "captured")
    assert order.journey == ["app", "pos-krk"]
    assert (order.origin_channel_id, order.completing_channel_id) == (
        store.seller("app").id,
        store.seller("pos-krk").id,
    )
    assert store.level(session, "TS-S", store.krakow) == (KRAKOW_STOCK - 1, 0)
    assert order.delivery == 0
    timeline = session.scalars(
        select(TimelineEntry.type)
        .where(TimelineEntry.customer_id == anna)
        .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
    ).all()
    journey = [t for t in timeline if t.startswith(("cart_", "order_"))]
    assert journey[0] == "cart_handed_off"
    assert {"order_placed", "order_collected"} <= set(journey)
    assert store.orders(session) == 1


def test_an_agent_orders_for_a_customer_from_the_call_center(
    session: Session, store: Store
) -> None:
    anna = _customer(session)
    cart = carts.create_cart(
        session, seller=store.seller("call-center"), actor="staff:agent", customer_id=anna
    )
    carts.set_line(
        session,
        cart=cart,
        variant_id=store.v("BL-M"),
        quantity=1,
        seller=store.seller("call-center"),
        actor="staff:agent",
    )
    order = _checkout(
        session,
        store,
        cart,
        "call-center",
        payment_method=PaymentMethod.CASH_ON_DELIVERY,
        payment_token=None,
    )
    assert (order.kind, order.customer_id, order.payment_status) == ("call_center", anna, "due")
    assert order.status == "confirmed"


def test_endless_aisle_orders_from_the_till_for_delivery(session: Session, store: Store) -> None:
    cart = store.cart(session, "pos-krk", BL_M=KRAKOW_STOCK + 2)  # more than the store has
    order = _checkout(session, store, cart, "pos-krk")
    assert order.kind == "endless_aisle"
    assert [a.location_id for a in order.allocations] == [store.warehouse]
    assert store.level(session, "BL-M", store.krakow) == (KRAKOW_STOCK, 0)  # the hold went back


def test_a_pending_transfer_keeps_the_order_waiting(session: Session, store: Store) -> None:
    order = _checkout(
        session,
        store,
        store.cart(session, TS_S=1),
        payment_method=PaymentMethod.BANK_TRANSFER,
        payment_token=None,
    )
    assert (order.status, order.payment_status) == ("pending_payment", "pending")
    with pytest.raises(OrderStateConflict):
        ordering.move(session, order=order, to=OrderStatus.CONFIRMED, actor="t")


def test_erasing_a_customer_pseudonymises_their_orders(session: Session, store: Store) -> None:
    from omnichannel.customers import privacy

    order = _checkout(session, store, store.cart(session, TS_S=1))
    assert order.customer_id is not None
    assert order.contact is not None
    (exported,) = privacy.export(session, customer_id=order.customer_id).elsewhere["orders"]
    assert (exported["number"], exported["shipping_address"]) == (order.number, ADDRESS)
    privacy.erase(session, customer_id=order.customer_id)
    session.expire_all()
    again = orders.load(session, order_id=order.id, access=orders.Access(staff=True))
    assert (again.contact, again.shipping_address) == (None, None)
    assert again.pseudonymised_at is not None
    assert (again.total, again.customer_id) == (order.total, order.customer_id)
    (after,) = privacy.export(session, customer_id=order.customer_id).elsewhere["orders"]
    assert (after["contact"], after["total"]) == (None, order.total)


def test_a_merged_profiles_orders_and_carts_are_the_survivors(
    session: Session, store: Store
) -> None:
    from omnichannel.customers import merge

    anna, duplicate = _customer(session), _customer(session)
    order = _checkout(session, store, store.cart(session, customer_id=duplicate, TS_S=1))
    cart = store.cart(session, customer_id=duplicate, KS_1=1)
    merge.merge_customers(session, survivor_id=anna, source_id=duplicate)
    assert [o.id for o in orders.customer_orders(session, customer_id=anna)] == [order.id]
    assert [c.id for c in carts.customer_carts(session, customer_id=anna)] == [cart.id]


def test_a_cart_changed_meanwhile_is_not_closed_over_the_change(
    db: Database, session: Session, store: Store
) -> None:
    cart = store.cart(session, TS_S=1)
    session.commit()
    other = db.session()
    same = carts.load(other, cart_id=cart.id, access=carts.Access(staff=True))
    carts.set_line(
        other,
        cart=same,
        variant_id=store.v("KS-1"),
        quantity=1,
        seller=store.seller("web"),
        actor="channel:web",
    )
    other.commit()
    other.close()
    with pytest.raises(StaleDataError):  # the API answers 409 conflict
        carts.mark_ordered(session, cart=cart, order_id=uuid.uuid4())
