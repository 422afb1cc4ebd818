"""Issue 14 over HTTP: 3 units, a marketplace shown 60 % of them and a social shop
shown "2 less" each sell the 1 unit they are shown, through a checkout with the
social shop's key and a marketplace import; a second sale is refused with 409."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate, ChannelUpdate
from omnichannel.channels.service import create_channel, issue_api_key, update_channel
from omnichannel.inventory import service as inventory
from tests.api.commerce.conftest import API, Keys

CHECKOUT: dict[str, Any] = {
    "currency": "PLN",
    "fulfilment": "delivery",
    "shipping_address": {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk"},
    "contact": {"email": "anna.nowak@example.pl", "given_name": "Anna"},
    "payment": {"method": "card", "token": "sandbox_ok"},
}


@pytest.fixture
def shops(session: Session, keys: Keys) -> Keys:
    """The issue's shop: 3 units of TS-S, Allegro shown 60 %, Instagram "2 less"."""
    store = keys.store
    update_channel(
        session, channel_id=store.seller("allegro").id, data=ChannelUpdate(buffer_percent=60)
    )
    insta = create_channel(
        session,
        data=ChannelCreate(
            code="insta",
            name="Instagram",
            type="social",
            sell_from=[store.warehouse],
            buffer_units=2,
        ),
    )
    _, secret = issue_api_key(
        session,
        channel_id=insta.id,
        data=ApiKeyCreate(name="test", scopes=[Scope.CARTS_WRITE, Scope.ORDERS_WRITE]),
    )
    keys.headers["insta"] = {"X-Api-Key": secret}
    inventory.count(
        session, location_id=store.warehouse, lines=[inventory.Change(store.v("TS-S"), 3)]
    )
    session.commit()
    return keys


def _checkout(client: TestClient, keys: Keys, quantity: int, key: str) -> Any:
    headers = keys["insta"]
    cart = client.post(f"{API}/carts", json={}, headers=headers).json()
    with_cart = {**headers, "X-Cart-Token": cart["token"]}
    r = client.post(
        f"{API}/carts/{cart['id']}/lines",
        json={"variant_id": str(keys.store.v("TS-S")), "quantity": quantity},
        headers=with_cart,
    )
    assert r.status_code == 200, r.text
    return client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json=CHECKOUT,
        headers={**with_cart, "Idempotency-Key": key},
    )


def _import(client: TestClient, keys: Keys, quantity: int, external_id: str) -> Any:
    doc = {
        "id": external_id,
        "buyer": {"id": "23123123", "email": "jan@example.pl", "login": "janek"},
        "lineItems": [
            {
                "offer": {"id": "7712345", "name": "Koszulka", "external": {"id": "TS-S"}},
                "quantity": quantity,
                "price": {"amount": "47.99", "currency": "PLN"},
            }
        ],
        "delivery": {
            "address": {"street": "ul. Długa 45", "city": "Gdańsk", "zipCode": "80-827"},
            "cost": {"amount": "8.99", "currency": "PLN"},
        },
        "payment": {"type": "ONLINE"},
        "status": "READY_FOR_PROCESSING",
    }
    return client.post(f"{API}/orders/marketplace", json=doc, headers=keys["allegro"])


def _refused(r: Any, available: int) -> None:
    assert r.status_code == 409, r.text
    problem = r.json()
    assert (problem["code"], problem["errors"][0]["field"], problem["available"]) == (
        "insufficient_stock",
        "lines.0.quantity",
        available,
    )


def test_each_channel_sells_the_unit_it_is_shown_and_a_second_sale_is_refused(
    client: TestClient, shops: Keys, session: Session
) -> None:
    _refused(_checkout(client, shops, 3, "all-3"), 1)
    _refused(_import(client, shops, 3, "allegro-all-3"), 1)
    assert _checkout(client, shops, 1, "one").status_code == 201
    _refused(_checkout(client, shops, 1, "two"), 0)
    assert _import(client, shops, 1, "allegro-one").status_code == 201
    _refused(_import(client, shops, 1, "allegro-two"), 0)
    assert shops.store.level(session, "TS-S", shops.store.warehouse) == (3, 2)
    assert shops.store.orders(session) == 2


def test_a_bad_quantity_is_a_422_before_any_stock_is_looked_at(
    client: TestClient, shops: Keys, session: Session
) -> None:
    r = _import(client, shops, 0, "allegro-none")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"].startswith("lineItems.0")
    assert shops.store.level(session, "TS-S", shops.store.warehouse) == (3, 0)
