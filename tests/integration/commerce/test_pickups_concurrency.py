"""A pickup under contention, each attempt in its own committed transactions: staff at
two tills handing over the same order at once hand it over once (one sale, one
capture), and two sends of one fulfilment order start one transfer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from omnichannel.db import Database, make_engine, unit_of_work
from omnichannel.db.session import units
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment.models import FulfilmentOrder, Pickup
from omnichannel.inventory.models import StockMovement, StockTransfer
from omnichannel.kernel import DomainError
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments.service import PaymentMethod
from tests import ordering
from tests.integration.commerce.conftest import KRAKOW_STOCK, Store, build_store

THREADS = 4
JOIN_TIMEOUT_S = 60


@pytest.fixture
def wide_db(committing_db: Database) -> Iterator[Database]:
    """The committing database with a connection per thread on PostgreSQL."""
    if committing_db.backend != "postgresql":
        yield committing_db
        return
    db = Database(
        make_engine(
            committing_db.engine.url.render_as_string(hide_password=False), pool_size=THREADS
        )
    )
    try:
        yield db
    finally:
        db.dispose()


def _race(work: Callable[[int], None]) -> tuple[int, list[BaseException]]:
    """Run `work` in THREADS threads started together: how many got through, and the
    refusals of the others."""
    start = threading.Barrier(THREADS)
    done: list[int] = []
    refused: list[BaseException] = []

    def body(i: int) -> None:
        start.wait()
        try:
            work(i)
            done.append(i)
        except (DomainError, StaleDataError) as e:
            refused.append(e)

    pool = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(THREADS)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=JOIN_TIMEOUT_S)
    assert not [t for t in pool if t.is_alive()], "threads still waiting: a deadlock?"
    return len(done), refused


def _pickup_order(db: Database, at: str, *, ready: bool) -> tuple[Store, orders.Order]:
    with unit_of_work(db, actor="test") as s:
        store = build_store(s)
        order = ordering.checkout(
            s,
            cart=store.cart(s, "web", TS_M=1),
            seller=store.seller("web"),
            actor="channel:web",
            request=orders.CheckoutRequest(
                currency="PLN",
                fulfilment=Fulfilment.PICKUP,
                pickup_location_id=getattr(store, at),
                payment_method=PaymentMethod.PAY_AT_PICKUP,
                contact=orders.Contact(email="anna.nowak@example.pl"),
            ),
        )
        fulfilment.allocate(s, order_id=order.id, actor="test")
        if ready:
            fulfilment.ready(s, order_id=order.id, by=None, actor="test")
    return store, order


def test_two_tills_handing_over_one_pickup_at_once_hand_it_over_once(wide_db: Database) -> None:
    store, order = _pickup_order(wide_db, "krakow", ready=True)
    with unit_of_work(wide_db, read_only=True) as s:
        pickup = s.get(Pickup, order.id)
        assert pickup is not None
        code = pickup.code or ""

    def hand_over(i: int) -> None:
        fulfilment.collect(
            units(wide_db, actor=f"staff:{i}"),
            order_id=order.id,
            by=None,
            actor=f"staff:{i}",
            code=code,
        )

    collected, refused = _race(hand_over)

    assert collected == 1, refused
    assert len(refused) == THREADS - 1
    with unit_of_work(wide_db, read_only=True) as s:
        assert store.level(s, "TS-M", store.krakow) == (KRAKOW_STOCK - 1, 0)
        sales = s.scalar(
            select(func.count()).select_from(StockMovement).where(StockMovement.kind == "sale")
        )
        assert sales == 1
        [payment] = ordering.payments_of(s, order)
        assert (payment.status, payment.captured) == ("captured", order.total)


def test_two_sends_of_one_fulfilment_order_start_one_transfer(wide_db: Database) -> None:
    store, order = _pickup_order(wide_db, "gdansk", ready=False)
    with unit_of_work(wide_db, read_only=True) as s:
        fo_id = s.scalars(
            select(FulfilmentOrder.id).where(FulfilmentOrder.order_id == order.id)
        ).one()

    def send(i: int) -> None:
        with unit_of_work(wide_db, actor=f"staff:{i}") as s:
            fulfilment.send(s, fulfilment_id=fo_id, by=None)

    sent, refused = _race(send)

    assert sent == 1, refused
    assert len(refused) == THREADS - 1
    with unit_of_work(wide_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(StockTransfer)) == 1
        assert store.level(s, "TS-M", store.warehouse)[1] == 0
    with unit_of_work(wide_db, actor="test") as s:  # and it still arrives as it should
        fulfilment.receive(s, fulfilment_id=fo_id, by=None)
        assert store.level(s, "TS-M", store.gdansk) == (1, 1)
