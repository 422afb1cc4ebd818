"""A crash between a checkout's two transactions (or an outage during a capture)
leaves a provider call pending; the worker's settlement finishes it: it asks the
provider again and records the answer, or gives an authorisation the provider never
received up after the expiry, cancelling the order and giving its stock back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from omnichannel.carts import service as carts
from omnichannel.db import Database, unit_of_work
from omnichannel.db.session import units
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments import service as payments
from tests.integration.commerce.conftest import WAREHOUSE_STOCK, Store, build_store

ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk", "country": "PL"}
NOW = timedelta(0)
LATER = timedelta(minutes=15)


@pytest.fixture
def store(committing_db: Database) -> Store:
    with unit_of_work(committing_db, actor="setup") as s:
        return build_store(s)


def _placed(db: Database, store: Store, **request: Any) -> orders.Placed:
    """The first transaction of a checkout, committed; then the process 'crashes'."""
    with unit_of_work(db, actor="channel:web") as s:
        cart = store.cart(s, TS_S=2)
        return orders.place_order(
            s,
            cart=cart,
            seller=store.seller("web"),
            actor="channel:web",
            request=orders.CheckoutRequest(
                currency="PLN",
                fulfilment=Fulfilment.DELIVERY,
                payment_method=payments.PaymentMethod.CARD,
                payment_token="sandbox_ok",
                shipping_address=ADDRESS,
                **request,
            ),
        )


def _settle(db: Database, *, expire_after: timedelta = LATER) -> orders.Settled:
    return orders.settle_payments(
        units(db, actor="worker:payments"), after=NOW, expire_after=expire_after
    )


def _state(db: Database, store: Store, placed: orders.Placed) -> tuple[Any, ...]:
    with unit_of_work(db, read_only=True) as s:
        view = orders.load_view(s, order_id=placed.order.id, access=orders.Access(staff=True))
        (payment,) = view.payments
        cart = carts.load(s, cart_id=placed.order.cart_id, access=carts.Access(staff=True))
        return (
            view.order.status,
            payment.status,
            payment.pending_kind,
            store.level(s, "TS-S", store.warehouse),
            cart.status,
        )


@pytest.fixture(autouse=True)
def _fresh_sandbox() -> None:
    payments.register(payments.SandboxProvider())


def test_an_authorisation_the_provider_gave_before_the_crash_confirms_the_order(
    committing_db: Database, store: Store
) -> None:
    placed = _placed(committing_db, store)
    assert placed.call is not None
    payments.call(placed.call)  # the provider authorised; the answer was never recorded
    assert _state(committing_db, store, placed)[:3] == (
        "pending_payment",
        "authorising",
        "authorise",
    )
    done = _settle(committing_db)
    assert (done.recorded, done.expired, done.waiting) == (1, 0, 0)
    assert _state(committing_db, store, placed) == (
        "confirmed",
        "authorised",
        None,
        (WAREHOUSE_STOCK, 2),
        "ordered",
    )
    assert _settle(committing_db).recorded == 0  # nothing is left pending


def test_an_authorisation_the_provider_never_received_waits_then_expires(
    committing_db: Database, store: Store
) -> None:
    placed = _placed(committing_db, store)  # crashed before asking the provider
    early = _settle(committing_db)
    assert (early.recorded, early.expired, early.waiting) == (0, 0, 1)
    assert _state(committing_db, store, placed)[0] == "pending_payment"

    expired = _settle(committing_db, expire_after=NOW)
    assert expired.expired == 1
    assert _state(committing_db, store, placed) == (
        "cancelled",
        "failed",
        "void",  # in case the provider took it after all
        (WAREHOUSE_STOCK, 0),
        "open",
    )
    released = _settle(committing_db)  # the void finds nothing to release
    assert released.recorded == 1
    assert _state(committing_db, store, placed)[1:3] == ("failed", None)


def test_a_capture_left_pending_is_taken_once_and_the_move_then_goes_ahead(
    committing_db: Database, store: Store
) -> None:
    placed = _placed(committing_db, store)
    assert placed.call is not None
    with unit_of_work(committing_db, actor="channel:web") as s:
        order = orders.load(s, order_id=placed.order.id, access=orders.Access(staff=True))
        orders.authorisation_answered(
            s, order=order, answer=payments.call(placed.call), actor="t", channel="web"
        )
    staff = units(committing_db, actor="staff:wh")
    for to in ("allocated", "in_fulfilment"):
        orders.move(
            staff,
            order_id=placed.order.id,
            access=orders.Access(staff=True),
            move=orders.Move(orders.OrderStatus(to), actor="staff:wh"),
        )
    with unit_of_work(committing_db, actor="staff:wh") as s:  # ship: the capture is asked
        (payment,) = payments.of_orders(s, order_ids=[placed.order.id])[placed.order.id]
        payments.request(s, payment=payment, kind=payments.PaymentOperationKind.CAPTURE)
    # ... and the process dies before the provider is called.
    with pytest.raises(payments.PaymentInProgress):
        orders.move(
            staff,
            order_id=placed.order.id,
            access=orders.Access(staff=True),
            move=orders.Move(orders.OrderStatus.SHIPPED, actor="staff:wh"),
        )
    assert _settle(committing_db).recorded == 1
    view = orders.move(
        staff,
        order_id=placed.order.id,
        access=orders.Access(staff=True),
        move=orders.Move(orders.OrderStatus.SHIPPED, actor="staff:wh"),
    )
    (payment,) = view.payments
    assert (view.order.status, payment.status, payment.captured) == (
        "shipped",
        "captured",
        view.order.total,
    )
    with unit_of_work(committing_db, read_only=True) as s:
        kinds = s.scalars(
            select(payments.PaymentOperation.kind)
            .where(payments.PaymentOperation.payment_id == payment.id)
            .order_by(payments.PaymentOperation.at)
        ).all()
    assert kinds == ["authorise", "capture"]  # captured once


def test_a_late_answer_finds_the_order_expired_and_is_told_so(
    committing_db: Database, store: Store
) -> None:
    placed = _placed(committing_db, store)
    assert placed.call is not None
    _settle(committing_db, expire_after=NOW)  # the worker gave up on it
    late = payments.call(placed.call)  # the provider answers yes after all
    assert late.ok
    with unit_of_work(committing_db, actor="channel:web") as s:
        order = orders.load(s, order_id=placed.order.id, access=orders.Access(staff=True))
        outcome = orders.authorisation_answered(
            s, order=order, answer=late, actor="channel:web", channel="web"
        )
    assert isinstance(outcome.error, payments.PaymentDeclined)
    assert outcome.view.order.status == "cancelled"
    assert _settle(committing_db).recorded == 1  # the pending void releases the money
    with unit_of_work(committing_db, read_only=True) as s:
        (payment,) = payments.of_orders(s, order_ids=[placed.order.id])[placed.order.id]
        ops = [(op.kind, op.succeeded) for op in payment.operations]
    assert ("void", True) in ops
