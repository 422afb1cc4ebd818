"""Carts and checkout over HTTP: an anonymous web cart checked out with an
Idempotency-Key, a handoff to the till, a marketplace import, and bad requests that
answer 4xx and change nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.carts.models import Cart
from omnichannel.kernel import utcnow
from tests.api.commerce.conftest import API, Keys
from tests.integration.commerce.conftest import DELIVERY, WAREHOUSE_STOCK

ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk"}
CHECKOUT: dict[str, Any] = {
    "currency": "PLN",
    "fulfilment": "delivery",
    "shipping_address": ADDRESS,
    "contact": {"email": "anna.nowak@example.pl", "given_name": "Anna"},
    "payment": {"method": "card", "token": "sandbox_ok"},
}


def _cart(client: TestClient, keys: Keys, channel: str = "web", **lines: int) -> dict[str, Any]:
    r = client.post(f"{API}/carts", json={}, headers=keys[channel])
    assert r.status_code == 201, r.text
    cart = r.json()
    for sku, qty in lines.items():
        r = client.post(
            f"{API}/carts/{cart['id']}/lines",
            json={"variant_id": str(keys.store.v(sku.replace("_", "-"))), "quantity": qty},
            headers={**keys[channel], "X-Cart-Token": cart["token"]},
        )
        assert r.status_code == 200, r.text
    return {**r.json(), "token": cart["token"]} if lines else cart


def _with(keys: Keys, cart: dict[str, Any], channel: str = "web", **more: str) -> dict[str, str]:
    return {**keys[channel], "X-Cart-Token": cart["token"], **more}


def test_an_anonymous_web_cart_is_priced_and_checked_out_once(
    client: TestClient, keys: Keys, session: Session
) -> None:
    cart = _cart(client, keys, TS_S=2)
    assert cart["quote"]["totals"]["total"] == 2 * 4999
    assert client.get(f"{API}/carts/{cart['id']}", headers=keys["web"]).status_code == 404
    headers = _with(keys, cart, **{"Idempotency-Key": "k-1"})
    r = client.post(f"{API}/carts/{cart['id']}/checkout", json=CHECKOUT, headers=headers)
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["status"], order["total"]) == ("confirmed", 2 * 4999 + DELIVERY)
    assert r.headers["Location"] == f"/api/v1/orders/{order['id']}"
    assert order["contact"] is None  # a channel key is not the customer
    again = client.post(f"{API}/carts/{cart['id']}/checkout", json=CHECKOUT, headers=headers)
    assert (again.status_code, again.content) == (201, r.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    changed = client.post(
        f"{API}/carts/{cart['id']}/checkout", json={**CHECKOUT, "currency": "EUR"}, headers=headers
    )
    assert changed.status_code == 422
    assert keys.store.orders(session) == 1
    assert keys.store.level(session, "TS-S", keys.store.warehouse) == (WAREHOUSE_STOCK, 2)


def test_checkout_needs_an_idempotency_key(
    client: TestClient, keys: Keys, session: Session
) -> None:
    cart = _cart(client, keys, TS_S=1)
    r = client.post(f"{API}/carts/{cart['id']}/checkout", json=CHECKOUT, headers=_with(keys, cart))
    assert r.status_code == 400
    assert r.json()["code"] == "idempotency_key_missing"
    assert keys.store.orders(session) == 0


def test_bad_checkouts_answer_4xx_and_change_nothing(
    client: TestClient, keys: Keys, session: Session
) -> None:
    empty = _cart(client, keys)
    r = client.post(
        f"{API}/carts/{empty['id']}/checkout",
        json=CHECKOUT,
        headers=_with(keys, empty, **{"Idempotency-Key": "e"}),
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "lines")
    cart = _cart(client, keys, TS_S=1, TS_L=WAREHOUSE_STOCK + 1)
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json=CHECKOUT,
        headers=_with(keys, cart, **{"Idempotency-Key": "o"}),
    )
    assert r.status_code == 409
    problem = r.json()
    assert (problem["code"], problem["errors"][0]["field"]) == (
        "insufficient_stock",
        "lines.1.quantity",
    )
    assert problem["available"] == WAREHOUSE_STOCK
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={**CHECKOUT, "currency": "EUR"},
        headers=_with(keys, cart, **{"Idempotency-Key": "c"}),
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "currency")
    card = {**CHECKOUT, "payment": {"method": "card", "token": "4111 1111 1111 1111"}}
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json=card,
        headers=_with(keys, cart, **{"Idempotency-Key": "p"}),
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "payment.token")
    assert "4111" not in r.text
    assert keys.store.orders(session) == 0
    assert keys.store.level(session, "TS-S", keys.store.warehouse) == (WAREHOUSE_STOCK, 0)


def test_bad_cart_requests_answer_4xx(client: TestClient, keys: Keys) -> None:
    cart = _cart(client, keys, TS_S=1)
    h = _with(keys, cart)
    lines = f"{API}/carts/{cart['id']}/lines"
    assert client.post(lines, json={"variant_id": str(uuid.uuid4())}, headers=h).status_code == 422
    assert (
        client.post(
            lines, json={"variant_id": str(keys.store.v("TS-S")), "quantity": 0}, headers=h
        ).status_code
        == 422
    )
    assert (
        client.post(f"{API}/carts", json={"currency": "EUR"}, headers=keys["web"]).status_code
        == 422
    )
    assert (
        client.post(
            f"{API}/carts", json={"customer_id": str(uuid.uuid4())}, headers=keys["web"]
        ).status_code
        == 403
    )
    r = client.put(f"{API}/carts/{cart['id']}/coupons", json={"codes": ["witaj"]}, headers=h)
    assert r.status_code == 200
    assert r.json()["quote"]["coupons"][0]["reason"] == "unknown"
    assert client.post(f"{API}/carts/handoff/ZZZZZZ", headers=keys["pos-krk"]).status_code == 404
    assert client.get(f"{API}/carts/{cart['id']}", headers=keys["allegro"]).status_code == 403


def test_a_handoff_code_opens_the_cart_at_the_till_and_the_till_sells_it(
    client: TestClient, keys: Keys, session: Session
) -> None:
    cart = _cart(client, keys, "app", TS_S=1)
    code = client.post(f"{API}/carts/{cart['id']}/handoff", headers=_with(keys, cart, "app"))
    assert code.status_code == 200, code.text
    opened = client.post(f"{API}/carts/handoff/{code.json()['code']}", headers=keys["pos-krk"])
    assert opened.status_code == 200, opened.text
    till = {**keys["pos-krk"], "X-Cart-Token": opened.json()["token"], "Idempotency-Key": "till-1"}
    sale = {
        "currency": "PLN",
        "fulfilment": "carry_out",
        "payment": {"method": "cash"},
    }
    r = client.post(f"{API}/carts/{cart['id']}/checkout", json=sale, headers=till)
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["kind"], order["status"], order["journey"]) == (
        "pos",
        "completed",
        ["app", "pos-krk"],
    )
    assert order["receipt"]["total"] == 4999
    assert order["receipt"]["location_id"] == str(keys.store.krakow)
    stale = session.get(Cart, uuid.UUID(cart["id"]))
    assert stale is not None
    stale.handoff_expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    gone = client.post(f"{API}/carts/handoff/{code.json()['code']}", headers=keys["pos-krk"])
    assert gone.status_code == 410


def test_a_marketplace_order_is_imported_once(client: TestClient, keys: Keys) -> None:
    doc = {
        "id": "29738e61-7f6a-11e8-ac45-09db60ede9d6",
        "buyer": {
            "id": "23123123",
            "email": "jan@example.pl",
            "login": "janek",
            "firstName": "Jan",
        },
        "lineItems": [
            {
                "offer": {"id": "7712345", "name": "Koszulka", "external": {"id": "TS-S"}},
                "quantity": 1,
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
    first = client.post(f"{API}/orders/marketplace", json=doc, headers=keys["allegro"])
    assert first.status_code == 201, first.text
    assert (first.json()["total"], first.json()["payment_status"]) == (4799 + 899, "captured")
    again = client.post(f"{API}/orders/marketplace", json=doc, headers=keys["allegro"])
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    bad = {
        **doc,
        "id": "other",
        "lineItems": [{**doc["lineItems"][0], "price": {"amount": "4x", "currency": "PLN"}}],
    }
    assert (
        client.post(f"{API}/orders/marketplace", json=bad, headers=keys["allegro"]).status_code
        == 422
    )
    assert (
        client.post(f"{API}/orders/marketplace", json=doc, headers=keys["web"]).status_code == 403
    )


def test_staff_move_orders_and_the_machine_names_the_state(
    client: TestClient, keys: Keys, admin: dict[str, str]
) -> None:
    cart = _cart(client, keys, TS_S=1)
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json=CHECKOUT,
        headers=_with(keys, cart, **{"Idempotency-Key": "m"}),
    )
    order_id = r.json()["id"]
    moves = f"{API}/orders/{order_id}/transitions"
    bad = client.post(moves, json={"to": "shipped"}, headers=admin)
    assert bad.status_code == 409
    assert bad.json()["current_status"] == "confirmed"
    assert client.post(moves, json={"to": "flying"}, headers=admin).status_code == 422
    for to in ("allocated", "in_fulfilment", "shipped"):
        assert client.post(moves, json={"to": to}, headers=admin).status_code == 200
    history = client.get(f"{API}/orders/{order_id}/history", headers=admin).json()
    assert [h["to_status"] for h in history][-1] == "shipped"
    assert client.post(f"{API}/orders/{order_id}/cancel", json={}, headers=admin).status_code == 409
    assert client.get(f"{API}/orders/{uuid.uuid4()}", headers=admin).status_code == 404
    assert client.get(f"{API}/orders/{uuid.uuid4()}/history", headers=admin).status_code == 404
    bad_line = client.post(f"{API}/orders/{order_id}/cancel", json={"lines": [0]}, headers=admin)
    assert bad_line.status_code == 422
    unknown_channel = client.post(moves, json={"to": "delivered", "channel": "nope"}, headers=admin)
    assert (unknown_channel.status_code, unknown_channel.json()["errors"][0]["field"]) == (
        422,
        "channel",
    )
    assert client.post(moves, json={"to": "delivered"}, headers=keys["web"]).status_code == 403
