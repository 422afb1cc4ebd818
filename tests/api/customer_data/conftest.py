"""A signed-in customer of the commerce tests' shop, their carts and checkouts, and
the outbox consumers that carry what orders tell customers' profiles."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omnichannel import schedule
from omnichannel.db import Database, unit_of_work
from omnichannel.events.cursors import EVENT_COLUMNS, event_of
from tests.api.commerce.conftest import API, Keys, keys  # noqa: F401 - the fixture

ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk"}


class Shopper:
    """A customer signed in to the web shop, and what they do there."""

    def __init__(self, client: TestClient, keys: Keys, email: str) -> None:  # noqa: F811
        self.client, self.keys = client, keys
        r = client.post(
            f"{API}/customers/auth/register",
            json={"email": email, "password": "długie hasło 123", "given_name": "Anna"},
            headers=keys["web"],
        )
        assert r.status_code == 201, r.text
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        self.id: str = r.json()["customer_id"]

    def cart(self, **lines: int) -> dict[str, Any]:
        r = self.client.post(f"{API}/carts", json={}, headers=self.headers)
        assert r.status_code == 201, r.text
        cart: dict[str, Any] = r.json()
        for sku, qty in lines.items():
            r = self.client.post(
                f"{API}/carts/{cart['id']}/lines",
                json={"variant_id": str(self.keys.store.v(sku.replace("_", "-"))), "quantity": qty},
                headers=self.headers,
            )
            assert r.status_code == 200, r.text
            cart = r.json()
        return cart

    def checkout(self, cart: dict[str, Any], key: str, **doc: Any) -> Any:
        body = {
            "currency": "PLN",
            "fulfilment": "delivery",
            "shipping_address": ADDRESS,
            "payment": {"method": "card", "token": "sandbox_ok"},
            **doc,
        }
        return self.client.post(
            f"{API}/carts/{cart['id']}/checkout",
            json=body,
            headers={**self.headers, "Idempotency-Key": key},
        )

    def order(self, key: str, **doc: Any) -> dict[str, Any]:
        """A one-shirt order, checked out."""
        r = self.checkout(self.cart(TS_S=1), key, **doc)
        assert r.status_code == 201, r.text
        order: dict[str, Any] = r.json()
        return order


def marketplace_order(email: str, order_id: str = "29738e61-7f6a-11e8-ac45-09db60ede9d6") -> Any:
    """An Allegro order of one shirt, paid there, by a buyer with this e-mail."""
    return {
        "id": order_id,
        "buyer": {"id": "23123123", "email": email, "login": "anna"},
        "lineItems": [
            {
                "offer": {"id": "7712345", "name": "Koszulka", "external": {"id": "TS-S"}},
                "quantity": 1,
                "price": {"amount": "49.99", "currency": "PLN"},
            }
        ],
        "delivery": {"address": {"street": "ul. Długa 45", "city": "Gdańsk", "zipCode": "80-827"}},
        "payment": {"type": "ONLINE"},
        "status": "READY_FOR_PROCESSING",
    }


@pytest.fixture
def shopper(client: TestClient, keys: Keys) -> Shopper:  # noqa: F811
    return Shopper(client, keys, "anna.kowalska@example.pl")


_fed: WeakKeyDictionary[Database, int] = WeakKeyDictionary()


def feed_customers(db: Database) -> None:
    """What `omni worker` does for customers' profiles: each consumer's handler gets, in
    order, the events written since the last feed. (The relay waits on PostgreSQL for
    the writing transaction to commit, and a test's never does: it is rolled back.)"""
    with unit_of_work(db, actor="test") as session:
        events = [
            event_of(row)
            for row in session.execute(
                select(*EVENT_COLUMNS)
                .where(EVENT_COLUMNS[0] > _fed.get(db, 0))
                .order_by(EVENT_COLUMNS[0])
            )
        ]
        for consumer in schedule.customer_feeds():
            wanted = [e for e in events if consumer.wants(e)]
            if wanted and consumer.handle is not None:
                consumer.handle(session, wanted)
    if events:
        _fed[db] = events[-1].position
