"""A signed-in customer's carts and orders: their own and nobody else's; the anonymous
cart they filled before signing in follows them."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.api.commerce.conftest import API, Keys
from tests.api.commerce.test_checkout_api import CHECKOUT


def _sign_up(client: TestClient, keys: Keys, email: str) -> dict[str, str]:
    r = client.post(
        f"{API}/customers/auth/register",
        json={"email": email, "password": "długie hasło 123", "given_name": "Anna"},
        headers=keys["web"],
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _add(client: TestClient, keys: Keys, cart: dict[str, Any], h: dict[str, str], sku: str) -> Any:
    r = client.post(
        f"{API}/carts/{cart['id']}/lines",
        json={"variant_id": str(keys.store.v(sku)), "quantity": 1},
        headers=h,
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_customer_sees_only_their_own_carts_and_orders(client: TestClient, keys: Keys) -> None:
    anna = _sign_up(client, keys, "anna@example.pl")
    jan = _sign_up(client, keys, "jan@example.pl")
    cart = client.post(f"{API}/carts", json={}, headers=anna).json()
    assert (cart["token"], cart["customer_id"] is not None) == (None, True)
    _add(client, keys, cart, anna, "TS-S")
    assert client.get(f"{API}/carts/{cart['id']}", headers=jan).status_code == 404
    assert [c["id"] for c in client.get(f"{API}/carts", headers=anna).json()] == [cart["id"]]
    assert client.get(f"{API}/carts", headers=jan).json() == []
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={**CHECKOUT, "contact": None},
        headers={**anna, "Idempotency-Key": "anna-1"},
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["shipping_address"]["city"] == "Gdańsk"  # her own data, to her
    assert client.get(f"{API}/orders/{order['id']}", headers=anna).status_code == 200
    assert client.get(f"{API}/orders/{order['id']}", headers=jan).status_code == 404
    assert [o["id"] for o in client.get(f"{API}/orders", headers=anna).json()] == [order["id"]]
    other = client.get(f"{API}/orders", params={"customer_id": str(uuid.uuid4())}, headers=anna)
    assert other.status_code == 403
    assert (
        client.post(f"{API}/orders/{order['id']}/cancel", json={}, headers=jan).status_code == 404
    )
    cancelled = client.post(f"{API}/orders/{order['id']}/cancel", json={}, headers=anna)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")


def test_the_anonymous_cart_follows_the_customer_who_signs_in(
    client: TestClient, keys: Keys
) -> None:
    web = keys["web"]
    anonymous = client.post(f"{API}/carts", json={}, headers=web).json()
    _add(client, keys, anonymous, {**web, "X-Cart-Token": anonymous["token"]}, "KS-1")
    anna = _sign_up(client, keys, "anna@example.pl")
    no_token = client.post(f"{API}/carts/{anonymous['id']}/claim", headers=anna)
    assert no_token.status_code == 404
    claimed = client.post(
        f"{API}/carts/{anonymous['id']}/claim", headers={**anna, "X-Cart-Token": anonymous["token"]}
    )
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["customer_id"] is not None
    assert client.get(f"{API}/carts/{anonymous['id']}", headers=anna).status_code == 200
    # the old anonymous token no longer opens what is now her cart
    stale = client.get(
        f"{API}/carts/{anonymous['id']}", headers={**web, "X-Cart-Token": anonymous["token"]}
    )
    assert stale.status_code == 404
    assert client.post(f"{API}/carts/{anonymous['id']}/claim", headers=web).status_code == 403


def test_a_customer_cannot_act_as_staff(client: TestClient, keys: Keys) -> None:
    anna = _sign_up(client, keys, "anna@example.pl")
    r = client.post(f"{API}/carts", json={"customer_id": str(uuid.uuid4())}, headers=anna)
    assert r.status_code == 403
    assert client.post(f"{API}/carts/handoff/ABCDEF", headers=anna).status_code == 403
    assert client.post(f"{API}/carts", json={"channel": "pos-krk"}, headers=anna).status_code == 422
    assert (
        client.post(
            f"{API}/orders/{uuid.uuid4()}/transitions", json={"to": "shipped"}, headers=anna
        ).status_code
        == 403
    )
