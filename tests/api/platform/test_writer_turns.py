"""More writing requests than threads, and (on PostgreSQL, pool of 5 + 5) than pool
connections: requests wait their turn holding no thread, so the ones holding SQLite's
writer slot or a connection can always finish (no stall, no 503). Reads of personal
data write their audit row, so they wait their turn as writers too."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from omnichannel.api.app import create_app
from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate
from omnichannel.channels.service import create_channel, issue_api_key
from omnichannel.config import Settings
from omnichannel.customers.profiles import create_customer
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.db import Database, unit_of_work
from tests.conftest import committed_admin

REQUESTS = 12


def _narrow_app(settings: Settings, db: Database) -> TestClient:
    """The app with 2 threads and a 3 s writer wait."""
    narrow = settings.model_copy(update={"threads": 2, "sqlite_busy_timeout_ms": 3000})
    return TestClient(create_app(narrow, database=db))


def _at_once(send: Callable[[], httpx.Response]) -> list[int]:
    """The status codes of REQUESTS calls of `send` started together."""
    answers: list[int] = []
    start = threading.Barrier(REQUESTS)

    def one() -> None:
        start.wait()
        answers.append(send().status_code)

    pool = [threading.Thread(target=one, daemon=True) for _ in range(REQUESTS)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    return answers


def test_twelve_writers_on_two_threads_all_get_their_answer(
    settings: Settings, committing_db: Database
) -> None:
    with unit_of_work(committing_db, actor="setup") as s:
        web = create_channel(s, data=ChannelCreate(code="web", name="Sklep", type="web"))
        _, secret = issue_api_key(
            s, channel_id=web.id, data=ApiKeyCreate(name="shop", scopes=[Scope.CARTS_WRITE])
        )
    with _narrow_app(settings, committing_db) as c:
        answers = _at_once(lambda: c.post("/api/v1/carts", json={}, headers={"X-Api-Key": secret}))
    assert answers == [201] * REQUESTS


def test_twelve_audited_reads_on_two_threads_all_get_their_answer(
    settings: Settings, committing_db: Database
) -> None:
    headers = committed_admin(committing_db, "ada@example.com")
    with unit_of_work(committing_db, actor="setup") as s:
        customer = create_customer(s, data=CustomerCreate(given_name="Jan")).customer.id
    with _narrow_app(settings, committing_db) as c:
        answers = _at_once(lambda: c.get(f"/api/v1/customers/{customer}/timeline", headers=headers))
    assert answers == [200] * REQUESTS


def test_twelve_card_checkouts_on_two_threads_all_get_their_answer(
    settings: Settings, committing_db: Database
) -> None:
    """Each checkout's second transaction waits for a turn from inside its thread; the
    thread lends its place meanwhile, so the requests holding turns get threads."""
    from tests.api.commerce.test_checkout_api import CHECKOUT
    from tests.integration.commerce.conftest import build_store

    with unit_of_work(committing_db, actor="setup") as s:
        store = build_store(s)
        _, secret = issue_api_key(
            s,
            channel_id=store.seller("web").id,
            data=ApiKeyCreate(name="shop", scopes=[Scope.CARTS_WRITE, Scope.ORDERS_WRITE]),
        )
    web = {"X-Api-Key": secret}
    with _narrow_app(settings, committing_db) as c:
        carts = []
        for _ in range(REQUESTS):
            cart = c.post("/api/v1/carts", json={}, headers=web).json()
            h = {**web, "X-Cart-Token": cart["token"]}
            line = {"variant_id": str(store.v("TS-S")), "quantity": 1}
            assert c.post(f"/api/v1/carts/{cart['id']}/lines", json=line, headers=h).is_success
            carts.append((cart["id"], h))
        queue = list(carts)
        lock = threading.Lock()

        def checkout() -> httpx.Response:
            with lock:
                cart_id, h = queue.pop()
            return c.post(
                f"/api/v1/carts/{cart_id}/checkout",
                json=CHECKOUT,
                headers={**h, "Idempotency-Key": f"co-{cart_id}"},
            )

        answers = _at_once(checkout)
    assert answers == [201] * REQUESTS
