"""Click & collect through HTTP, end to end: a customer orders for pickup at a store
that lacks the item, the warehouse sends it with its hold, the store receives it and
makes it ready with a code, wrong codes are refused and then locked out, and the
right code hands it over: payment captured, the goods gone from the store's ledger."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.fulfillment import service as fulfilment
from omnichannel.inventory.models import StockMovement
from tests.api.commerce.conftest import API, Keys

Headers = dict[str, str]


def _sign_up(client: TestClient, keys: Keys, email: str) -> Headers:
    r = client.post(
        f"{API}/customers/auth/register",
        json={"email": email, "password": "długie hasło 123", "given_name": "Anna"},
        headers=keys["web"],
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _order_for_pickup(
    client: TestClient, keys: Keys, customer: Headers, store_id: uuid.UUID
) -> dict[str, Any]:
    cart = client.post(f"{API}/carts", json={}, headers=customer).json()
    r = client.post(
        f"{API}/carts/{cart['id']}/lines",
        json={"variant_id": str(keys.store.v("TS-M")), "quantity": 1},
        headers=customer,
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={
            "currency": "PLN",
            "fulfilment": "pickup",
            "pickup_location_id": str(store_id),
            "payment": {"method": "card", "token": "sandbox_ok"},
        },
        headers={**customer, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _confirmed(session: Session, order: dict[str, Any]) -> None:
    """What the `fulfillment.allocate` consumer does once the order is confirmed."""
    fulfilment.allocate(session, order_id=uuid.UUID(order["id"]), actor="test")
    session.commit()


def test_click_and_collect_from_a_store_without_the_item(
    client: TestClient, keys: Keys, session: Session, login_as: Callable[..., Headers]
) -> None:
    store = keys.store
    anna = _sign_up(client, keys, "anna@example.pl")
    order = _order_for_pickup(client, keys, anna, store.gdansk)
    assert order["lines"][0]["allocations"][0]["location_id"] == str(store.warehouse)
    _confirmed(session, order)
    warehouse = login_as("warehouse_operator", [store.warehouse])
    gdansk = login_as("store_associate", [store.gdansk])
    krakow = login_as("store_associate", [store.krakow])
    pickup = f"{API}/orders/{order['id']}/pickup"

    found = client.get(f"{API}/orders/{order['id']}/fulfilments", headers=gdansk).json()
    [fo] = found["fulfilments"]
    assert client.post(f"{API}/fulfilments/{fo['id']}/send", headers=gdansk).status_code == 403
    sent = client.post(f"{API}/fulfilments/{fo['id']}/send", headers=warehouse)
    assert (sent.status_code, sent.json()["status"]) == (200, "in_transit"), sent.text

    early = client.post(f"{pickup}/ready", headers=gdansk)
    assert (early.status_code, early.json()["code"]) == (409, "invalid_fulfilment_state")
    refused = client.post(f"{API}/fulfilments/{fo['id']}/receive", headers=krakow)
    assert (refused.status_code, refused.json()["code"]) == (403, "outside_your_locations")
    received = client.post(f"{API}/fulfilments/{fo['id']}/receive", headers=gdansk)
    assert received.status_code == 200, received.text
    assert store.level(session, "TS-M", store.gdansk) == (1, 1)

    ready = client.post(f"{pickup}/ready", headers=gdansk)
    assert (ready.status_code, ready.json()["status"]) == (200, "ready"), ready.text
    assert "code" not in ready.json()  # staff never see it: the customer shows it
    mine = client.get(f"{API}/customers/me/orders/{order['id']}/pickup", headers=anna).json()
    code = mine["code"]
    assert len(code) == 7
    assert code[3] == "-"
    listed = client.get(
        f"{API}/locations/{store.gdansk}/pickups", params={"state": "ready"}, headers=gdansk
    )
    assert [p["order_number"] for p in listed.json()] == [order["number"]]

    wrong = "222-222" if code != "222-222" else "333-333"
    for left in (4, 3, 2, 1):
        r = client.post(f"{pickup}/collect", json={"code": wrong}, headers=gdansk)
        assert (r.status_code, r.json()["code"], r.json()["tries_left"]) == (
            422,
            "wrong_pickup_code",
            left,
        )
    locked = client.post(f"{pickup}/collect", json={"code": wrong}, headers=gdansk)
    assert (locked.status_code, locked.json()["code"]) == (409, "pickup_code_locked")
    assert locked.json()["locked_until"] is not None
    still = client.post(f"{pickup}/collect", json={"code": code}, headers=gdansk)
    assert (still.status_code, still.json()["code"]) == (409, "pickup_code_locked")

    assert client.post(f"{pickup}/code", headers=gdansk).status_code == 200
    fresh = client.get(f"{API}/customers/me/orders/{order['id']}/pickup", headers=anna).json()
    collected = client.post(f"{pickup}/collect", json={"code": fresh["code"]}, headers=gdansk)
    assert collected.status_code == 200, collected.text
    body = collected.json()
    assert (body["status"], body["payment_status"]) == ("collected", "captured")
    assert (body["pickup"]["status"], body["pickup"]["verified_by"]) == ("collected", "code")
    assert store.level(session, "TS-M", store.gdansk) == (0, 0)
    ledger = session.scalars(
        select(StockMovement.kind).where(StockMovement.location_id == store.gdansk)
    ).all()
    assert sorted(ledger) == ["sale", "transfer_in"]


def test_bad_pickup_requests_are_answered_4xx_and_change_nothing(
    client: TestClient, keys: Keys, session: Session, login_as: Callable[..., Headers]
) -> None:
    store = keys.store
    anna = _sign_up(client, keys, "anna@example.pl")
    jan = _sign_up(client, keys, "jan@example.pl")
    order = _order_for_pickup(client, keys, anna, store.krakow)
    _confirmed(session, order)
    krakow = login_as("store_associate", [store.krakow])
    pickup = f"{API}/orders/{order['id']}/pickup"

    both = {"code": "ABC-DEF", "identity": {"verified": True, "document": "dowód 4821"}}
    assert client.post(f"{pickup}/collect", json=both, headers=krakow).status_code == 422
    assert client.post(f"{pickup}/collect", json={}, headers=krakow).status_code == 422
    not_yet = client.post(f"{pickup}/collect", json={"code": "ABC-DEF"}, headers=krakow)
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "invalid_pickup_state")
    unknown = client.post(f"{API}/orders/{uuid.uuid4()}/pickup/ready", headers=krakow)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "pickup_not_found")
    r = client.get(f"{API}/locations/{store.krakow}/pickups?state=late", headers=krakow)
    assert r.status_code == 422
    r = client.get(f"{API}/locations/{uuid.uuid4()}/pickups", headers=krakow)
    assert r.status_code in (403, 404)
    assert client.post(f"{pickup}/ready", headers=krakow).status_code == 200
    typo = client.post(f"{pickup}/collect", json={"code": "0O1-IL0"}, headers=krakow)
    assert (typo.status_code, typo.json()["errors"][0]["type"]) == (422, "malformed_code")
    mine = f"{API}/customers/me/orders/{order['id']}/pickup"
    assert client.get(mine, headers=jan).status_code == 404
    assert client.get(mine, headers=krakow).status_code == 403
    by_identity = client.post(
        f"{pickup}/collect",
        json={"identity": {"verified": True, "document": "dowód osobisty, końcówka 4821"}},
        headers=krakow,
    )
    assert by_identity.status_code == 200, by_identity.text
    assert by_identity.json()["pickup"]["verified_by"] == "identity"
    assert client.get(mine, headers=anna).json()["code"] is None
