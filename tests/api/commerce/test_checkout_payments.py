"""No provider call inside a transaction (promise 8), through the real app on a
database whose commits are real: checkouts wait for their card authorisations side
by side, stock stays writable meanwhile, a repeat is told the first is running, and
a declined or unanswered payment gives everything back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnichannel.api.app import create_app
from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate
from omnichannel.channels.service import issue_api_key
from omnichannel.config import Settings
from omnichannel.db import Database, unit_of_work
from omnichannel.inventory import service as inventory
from omnichannel.inventory.models import StockLevel
from omnichannel.orders.models import Order
from omnichannel.payments import service as payments
from omnichannel.payments.providers import AuthoriseRequest, AuthoriseResult
from tests.api.commerce.conftest import API
from tests.api.commerce.test_checkout_api import CHECKOUT
from tests.api.commerce.test_checkout_concurrency import wide_db  # noqa: F401 (fixture)
from tests.integration.commerce.conftest import WAREHOUSE_STOCK, Store, build_store

CHECKOUTS = 10
WAIT_S = 30


class GatedSandbox(payments.SandboxProvider):
    """The sandbox taking 300 ms per call, whose authorisations also wait at a gate
    the test opens: what is in flight can be counted while nothing has finished."""

    def __init__(self) -> None:
        super().__init__(delay_ms=300)
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def authorise(self, request: AuthoriseRequest) -> AuthoriseResult:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        self.entered.release()
        try:
            assert self.gate.wait(WAIT_S), "the test never opened the gate"
            return super().authorise(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def wait_for(self, n: int) -> None:
        for _ in range(n):
            assert self.entered.acquire(timeout=WAIT_S), "an authorisation never started"


@pytest.fixture
def gated() -> Iterator[GatedSandbox]:
    provider = GatedSandbox()
    try:
        yield provider
    finally:
        provider.gate.set()
        payments.register(payments.SandboxProvider())


class Shop:
    def __init__(self, client: TestClient, store: Store, web: dict[str, str]) -> None:
        self.client, self.store, self.web = client, store, web

    def cart(self, **lines: int) -> dict[str, str]:
        cart = self.client.post(f"{API}/carts", json={}, headers=self.web).json()
        h = {**self.web, "X-Cart-Token": cart["token"]}
        for sku, qty in lines.items():
            r = self.client.post(
                f"{API}/carts/{cart['id']}/lines",
                json={"variant_id": str(self.store.v(sku.replace("_", "-"))), "quantity": qty},
                headers=h,
            )
            assert r.status_code == 200, r.text
        return {"id": cart["id"], **h}

    def checkout(self, cart: dict[str, str], key: str, **payment: Any) -> Any:
        headers = {k: v for k, v in cart.items() if k != "id"}
        body = {**CHECKOUT, "payment": {**CHECKOUT["payment"], **payment}}
        return self.client.post(
            f"{API}/carts/{cart['id']}/checkout",
            json=body,
            headers={**headers, "Idempotency-Key": key},
        )

    def in_background(self, fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
        out: list[Any] = []
        t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
        t.start()
        return t, out


@pytest.fixture
def shop(settings: Settings, wide_db: Database, gated: GatedSandbox) -> Iterator[Shop]:  # noqa: F811
    with unit_of_work(wide_db, actor="setup") as s:
        store = build_store(s)
        _, secret = issue_api_key(
            s,
            channel_id=store.seller("web").id,
            data=ApiKeyCreate(name="shop", scopes=[Scope.CARTS_WRITE, Scope.ORDERS_WRITE]),
        )
    with TestClient(create_app(settings, database=wide_db)) as client:
        payments.register(gated)  # after create_app, which registers the plain sandbox
        yield Shop(client, store, {"X-Api-Key": secret})


def _reserved(db: Database, store: Store, sku: str) -> int:
    with unit_of_work(db, read_only=True) as s:
        return (
            s.scalar(
                select(func.sum(StockLevel.reserved)).where(StockLevel.variant_id == store.v(sku))
            )
            or 0
        )


def test_ten_checkouts_wait_for_their_authorisations_side_by_side(
    shop: Shop,
    gated: GatedSandbox,
    wide_db: Database,  # noqa: F811
) -> None:
    carts = [shop.cart(TS_S=1) for _ in range(CHECKOUTS)]
    started = time.perf_counter()
    running = [shop.in_background(lambda c=c: shop.checkout(c, f"k-{c['id']}")) for c in carts]
    gated.wait_for(CHECKOUTS)  # every authorisation in flight at once: none waits on another
    assert gated.peak == CHECKOUTS
    gated.gate.set()
    for t, _ in running:
        t.join(WAIT_S)
    elapsed = time.perf_counter() - started
    codes = [out[0].status_code for _, out in running]
    assert codes == [201] * CHECKOUTS
    assert _reserved(wide_db, shop.store, "TS-S") == CHECKOUTS
    print(f"{CHECKOUTS} checkouts with 300 ms authorisations: {elapsed * 1000:.0f} ms")


def test_stock_stays_writable_while_a_card_is_being_authorised(
    shop: Shop,
    gated: GatedSandbox,
    wide_db: Database,  # noqa: F811
) -> None:
    cart = shop.cart(TS_S=2)
    t, out = shop.in_background(lambda: shop.checkout(cart, "slow-card"))
    gated.wait_for(1)
    assert _reserved(wide_db, shop.store, "TS-S") == 2  # the order's stock is committed

    def write_another_variant() -> None:
        with unit_of_work(wide_db, actor="staff:wh") as s:
            inventory.receive(
                s,
                location_id=shop.store.warehouse,
                lines=[inventory.Change(shop.store.v("KS-1"), 5)],
                reference="delivery during the authorisation",
            )

    writer, _ = shop.in_background(write_another_variant)
    writer.join(WAIT_S)
    assert not writer.is_alive()  # done while the authorisation is still running
    assert gated.in_flight == 1
    with unit_of_work(wide_db, read_only=True) as s:
        level = s.scalars(
            select(StockLevel).where(
                StockLevel.variant_id == shop.store.v("KS-1"),
                StockLevel.location_id == shop.store.warehouse,
            )
        ).one()
    assert level.on_hand == WAREHOUSE_STOCK + 5
    gated.gate.set()
    t.join(WAIT_S)
    assert out[0].status_code == 201


def test_a_repeat_during_the_authorisation_is_told_it_is_running_then_gets_the_answer(
    shop: Shop, gated: GatedSandbox
) -> None:
    cart = shop.cart(TS_S=1)
    t, out = shop.in_background(lambda: shop.checkout(cart, "twice"))
    gated.wait_for(1)
    repeat = shop.checkout(cart, "twice")
    assert repeat.status_code == 409
    assert repeat.json()["code"] == "idempotency_key_in_use"
    assert repeat.headers["Retry-After"] == "1"
    gated.gate.set()
    t.join(WAIT_S)
    first = out[0]
    assert first.status_code == 201
    again = shop.checkout(cart, "twice")
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_declined_card_leaves_no_reservation_and_no_open_order(
    shop: Shop,
    gated: GatedSandbox,
    wide_db: Database,  # noqa: F811
) -> None:
    gated.gate.set()
    cart = shop.cart(TS_S=2)
    declined = shop.checkout(cart, "card-1", token="sandbox_declined")
    assert declined.status_code == 402, declined.text
    assert declined.json()["code"] == "payment_declined"
    assert _reserved(wide_db, shop.store, "TS-S") == 0
    with unit_of_work(wide_db, read_only=True) as s:
        (order,) = s.scalars(select(Order)).all()
    assert (order.status, order.payment_status) == ("cancelled", "failed")
    # The cart is open again and the key free: the buyer pays another way.
    paid = shop.checkout(cart, "card-1")
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "confirmed"
    assert _reserved(wide_db, shop.store, "TS-S") == 2


def test_an_unanswered_authorisation_is_a_503_that_gives_everything_back(
    shop: Shop,
    gated: GatedSandbox,
    wide_db: Database,  # noqa: F811
) -> None:
    gated.gate.set()
    cart = shop.cart(TS_S=1)
    r = shop.checkout(cart, "down", token="sandbox_error")
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "payment_provider_unavailable"
    assert _reserved(wide_db, shop.store, "TS-S") == 0
    with unit_of_work(wide_db, read_only=True) as s:
        (payment,) = s.scalars(select(payments.Payment)).all()
    # Failed here; a void waits in case the provider took it after all.
    assert (payment.status, payment.pending_kind) == ("failed", "void")
