"""The acceptance test of checkout's Idempotency-Key, against the real app and a
database whose commits are real: twenty copies of one checkout sent at once make one
order; each gets its answer, or is told the first is still running (409, while the
payment is being authorised) and gets the same answer when it asks again."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnichannel.api.app import create_app
from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate
from omnichannel.channels.service import issue_api_key
from omnichannel.config import Settings
from omnichannel.db import Database, make_engine, unit_of_work
from omnichannel.inventory.models import StockLevel
from omnichannel.orders.models import Order
from tests.api.commerce.conftest import API
from tests.api.commerce.test_checkout_api import CHECKOUT
from tests.integration.commerce.conftest import build_store

THREADS = 20


@pytest.fixture
def wide_db(committing_db: Database) -> Iterator[Database]:
    """The committing database, with a connection per request on PostgreSQL."""
    if committing_db.backend != "postgresql":
        yield committing_db
        return
    url = committing_db.engine.url.render_as_string(hide_password=False)
    db = Database(make_engine(url, pool_size=THREADS + 5))
    try:
        yield db
    finally:
        db.dispose()


def test_twenty_parallel_checkouts_with_one_key_make_one_order(
    settings: Settings, wide_db: Database
) -> None:
    with unit_of_work(wide_db, actor="setup") as s:
        store = build_store(s)
        _, secret = issue_api_key(
            s,
            channel_id=store.seller("web").id,
            data=ApiKeyCreate(name="shop", scopes=[Scope.CARTS_WRITE, Scope.ORDERS_WRITE]),
        )
    web = {"X-Api-Key": secret}
    answers: list[tuple[int, bytes]] = []
    start = threading.Barrier(THREADS)
    with TestClient(create_app(settings, database=wide_db)) as c:
        cart = c.post(f"{API}/carts", json={}, headers=web).json()
        h = {**web, "X-Cart-Token": cart["token"]}
        added = c.post(
            f"{API}/carts/{cart['id']}/lines",
            json={"variant_id": str(store.v("TS-S")), "quantity": 2},
            headers=h,
        )
        assert added.status_code == 200, added.text

        def post() -> None:
            start.wait()
            r = c.post(
                f"{API}/carts/{cart['id']}/checkout",
                json=CHECKOUT,
                headers={**h, "Idempotency-Key": "one-checkout"},
            )
            answers.append((r.status_code, r.content))

        pool = [threading.Thread(target=post, daemon=True) for _ in range(THREADS)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(60)
        again = c.post(
            f"{API}/carts/{cart['id']}/checkout",
            json=CHECKOUT,
            headers={**h, "Idempotency-Key": "one-checkout"},
        )
    assert len(answers) == THREADS
    created = {body for code, body in answers if code == 201}
    assert len(created) == 1, {a[0] for a in answers}
    assert {code for code, _ in answers} <= {201, 409}
    waiting = [body for code, body in answers if code == 409]
    assert all(b'"code":"idempotency_key_in_use"' in body for body in waiting)
    assert (again.status_code, again.content) == (201, created.pop())
    assert again.headers["Idempotent-Replayed"] == "true"
    with unit_of_work(wide_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        reserved = s.scalar(
            select(func.sum(StockLevel.reserved)).where(StockLevel.variant_id == store.v("TS-S"))
        )
        assert reserved == 2
