"""Fulfilment staff see where to deliver: the staff who fulfil an order or hand it over
(store associates and warehouse operators of its locations) and call-center agents
read its contact and shipping address at `GET /orders/{id}/delivery`, with a reason
the audit log records; everyone else, channel keys included, does not."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.api.commerce.conftest import API, Keys

Headers = dict[str, str]
CONTACT = {"email": "anna.nowak@example.pl", "phone": "601 234 567", "given_name": "Anna"}
ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk"}


def _order(client: TestClient, keys: Keys, **checkout: Any) -> dict[str, Any]:
    """An order placed through the web shop's key, one T-shirt."""
    web = keys["web"]
    cart = client.post(f"{API}/carts", json={}, headers=web).json()
    headers = {**web, "X-Cart-Token": cart["token"]}
    r = client.post(
        f"{API}/carts/{cart['id']}/lines",
        json={"variant_id": str(keys.store.v("TS-S")), "quantity": 1},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body = {
        "currency": "PLN",
        "contact": CONTACT,
        "payment": {"method": "card", "token": "sandbox_ok"},
        **checkout,
    }
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json=body,
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def _audit(client: TestClient, admin: Headers, customer_id: str) -> list[dict[str, Any]]:
    r = client.get(f"{API}/customer-audit", params={"customer_id": customer_id}, headers=admin)
    assert r.status_code == 200, r.text
    return [e for e in r.json()["items"] if e["fields"] and e["fields"][0].startswith("orders.")]


def test_a_store_associate_handing_over_sees_the_contact_and_it_is_audited(
    client: TestClient, keys: Keys, login_as: Callable[..., Headers], admin: Headers
) -> None:
    order = _order(client, keys, fulfilment="pickup", pickup_location_id=str(keys.store.krakow))
    krakow = login_as("store_associate", [keys.store.krakow])
    assert client.get(f"{API}/orders/{order['id']}", headers=krakow).json()["contact"] is None
    r = client.get(
        f"{API}/orders/{order['id']}/delivery", params={"reason": "handover"}, headers=krakow
    )
    assert r.status_code == 200, r.text
    found = r.json()
    assert found["contact"]["email"] == CONTACT["email"]
    assert (found["number"], found["fulfilment"]) == (order["number"], "pickup")
    assert found["pickup_location_id"] == str(keys.store.krakow)
    (entry,) = _audit(client, admin, order["customer_id"])
    assert entry["action"] == "read"
    assert entry["fields"] == ["orders.contact"]
    assert entry["purpose"] == f"handover:{order['number']}"
    assert entry["actor"].startswith("staff:")


def test_a_marketing_analyst_does_not_see_the_shipping_address(
    client: TestClient, keys: Keys, login_as: Callable[..., Headers], admin: Headers
) -> None:
    order = _order(client, keys, fulfilment="delivery", shipping_address=ADDRESS)
    analyst = login_as("marketing_analyst")
    r = client.get(
        f"{API}/orders/{order['id']}/delivery", params={"reason": "fulfilment"}, headers=analyst
    )
    assert (r.status_code, r.json()["required"]) == (403, "orders:delivery")
    assert "Długa" not in r.text
    assert _audit(client, admin, order["customer_id"]) == []


def test_the_warehouse_shipping_an_order_and_the_call_center_see_where_it_goes(
    client: TestClient, keys: Keys, login_as: Callable[..., Headers], admin: Headers
) -> None:
    order = _order(client, keys, fulfilment="delivery", shipping_address=ADDRESS)
    assert order["lines"][0]["allocations"][0]["location_id"] == str(keys.store.warehouse)
    url = f"{API}/orders/{order['id']}/delivery"
    warehouse = login_as("warehouse_operator", [keys.store.warehouse])
    r = client.get(url, params={"reason": "fulfilment"}, headers=warehouse)
    assert r.status_code == 200, r.text
    assert r.json()["shipping_address"]["street"] == ADDRESS["street"]
    agent = login_as("call_center_agent")
    r = client.get(url, params={"reason": "customer_service"}, headers=agent)
    assert r.status_code == 200, r.text
    purposes = [e["purpose"] for e in _audit(client, admin, order["customer_id"])]
    assert purposes == [f"customer_service:{order['number']}", f"fulfilment:{order['number']}"]
    assert _audit(client, admin, order["customer_id"])[0]["fields"] == [
        "orders.contact",
        "orders.shipping_address",
    ]


def test_staff_of_other_locations_channel_keys_and_bad_requests_are_refused(
    client: TestClient, keys: Keys, login_as: Callable[..., Headers], admin: Headers
) -> None:
    order = _order(client, keys, fulfilment="pickup", pickup_location_id=str(keys.store.krakow))
    url = f"{API}/orders/{order['id']}/delivery"
    gdansk = login_as("store_associate", [keys.store.gdansk])
    r = client.get(url, params={"reason": "handover"}, headers=gdansk)
    assert (r.status_code, r.json()["code"]) == (403, "outside_your_locations")
    assert "anna" not in r.text
    # Whichever store or warehouse sends the goods, Kraków hands them over.
    warehouse = login_as("warehouse_operator", [keys.store.warehouse])
    r = client.get(url, params={"reason": "fulfilment"}, headers=warehouse)
    assert r.status_code == 403
    for key in ("web", "pos-krk", "allegro"):
        assert client.get(url, params={"reason": "handover"}, headers=keys[key]).status_code == 403
    krakow = login_as("store_associate", [keys.store.krakow])
    missing = client.get(url, headers=krakow)
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "reason")
    wrong = client.get(url, params={"reason": "curiosity"}, headers=krakow)
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "reason")
    unknown = client.get(
        f"{API}/orders/{uuid.uuid4()}/delivery", params={"reason": "handover"}, headers=krakow
    )
    assert unknown.status_code == 404
    assert _audit(client, admin, order["customer_id"]) == []
