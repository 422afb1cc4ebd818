"""A checkout paid with a gift card, through the real app: the card's money is held
when the order is confirmed and spent when it ships; a card with too little left
is a 402 that says how much is left, and the cart opens again to pay another way."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.commerce.conftest import API, Keys
from tests.api.commerce.test_checkout_api import CHECKOUT, _cart, _with
from tests.integration.commerce.conftest import DELIVERY, WAREHOUSE_STOCK

TOTAL = 4999 + DELIVERY  # one TS-S, delivered


def _gift_card(client: TestClient, admin: dict[str, str], amount: int) -> dict[str, Any]:
    r = client.post(f"{API}/gift-cards", json={"amount": amount, "currency": "PLN"}, headers=admin)
    assert r.status_code == 201, r.text
    card: dict[str, Any] = r.json()
    return card


def _checkout(client: TestClient, keys: Keys, cart: dict[str, Any], key: str, code: str) -> Any:
    body = {**CHECKOUT, "payment": {"method": "gift_card", "token": code}}
    return client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json=body,
        headers=_with(keys, cart, **{"Idempotency-Key": key}),
    )


def _card(client: TestClient, admin: dict[str, str], card: dict[str, Any]) -> tuple[int, int]:
    now = client.get(f"{API}/gift-cards/{card['id']}", headers=admin).json()
    return now["balance"], now["held"]


def test_an_order_paid_with_a_gift_card_holds_it_and_ships_spending_it(
    client: TestClient, keys: Keys, admin: dict[str, str]
) -> None:
    card = _gift_card(client, admin, 20_000)
    cart = _cart(client, keys, TS_S=1)
    r = _checkout(client, keys, cart, "gc-1", card["code"])
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["status"], order["total"]) == ("confirmed", TOTAL)
    assert _card(client, admin, card) == (20_000, TOTAL)
    moves = f"{API}/orders/{order['id']}/transitions"
    for to in ("allocated", "in_fulfilment", "shipped"):
        moved = client.post(moves, json={"to": to}, headers=admin)
        assert moved.status_code == 200, moved.text
    assert _card(client, admin, card) == (20_000 - TOTAL, 0)
    ledger = client.get(f"{API}/gift-cards/{card['id']}", headers=admin).json()["entries"]
    assert [(e["kind"], e["amount"]) for e in ledger] == [
        ("issue", 20_000),
        ("hold", TOTAL),
        ("capture", TOTAL),
    ]


def test_a_gift_card_with_too_little_left_is_a_402_and_the_cart_opens_again(
    client: TestClient, keys: Keys, admin: dict[str, str], session: Session
) -> None:
    card = _gift_card(client, admin, 1_000)
    cart = _cart(client, keys, TS_S=1)
    r = _checkout(client, keys, cart, "gc-short", card["code"])
    assert r.status_code == 402, r.text
    problem = r.json()
    assert problem["code"] == "payment_declined"
    assert "10.00 PLN left" in problem["detail"]
    assert card["code"] not in r.text
    assert _card(client, admin, card) == (1_000, 0)
    assert keys.store.level(session, "TS-S", keys.store.warehouse) == (WAREHOUSE_STOCK, 0)
    # The cart is open again and the key free: the buyer pays another way.
    paid = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json=CHECKOUT,
        headers=_with(keys, cart, **{"Idempotency-Key": "gc-short"}),
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "confirmed"


def test_an_unknown_code_is_declined_by_name(client: TestClient, keys: Keys) -> None:
    cart = _cart(client, keys, TS_S=1)
    r = _checkout(client, keys, cart, "gc-unknown", "ABCD-EFGH-JKLM-NPQR-STUV")
    assert (r.status_code, r.json()["detail"]) == (402, "Unknown gift card code.")
