"""An order's fulfilment over HTTP: the order as routed (its allocations and why), its
fulfilment orders once confirmed, and bad requests answered 4xx."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.fulfillment import service as fulfilment
from tests.api.commerce.conftest import API, Keys, checkout


def _pickup_order(client: TestClient, keys: Keys) -> dict[str, Any]:
    r = checkout(
        client,
        keys,
        {"TS-M": 1},
        fulfilment="pickup",
        pickup_location_id=str(keys.store.krakow),
        shipping_address=None,
        payment={"method": "pay_at_pickup"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_pickup_order_shows_where_its_goods_come_from_and_its_fulfilment(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    order = _pickup_order(client, keys)
    assert order["lines"][0]["allocations"] == [
        {"location_id": str(keys.store.krakow), "quantity": 1, "status": "held"}
    ]
    assert order["route"]["explanation"][0].startswith("One shipment")
    fulfilment.allocate(session, order_id=uuid.UUID(order["id"]), actor="test")
    session.commit()
    r = client.get(f"{API}/orders/{order['id']}/fulfilments", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "allocated"
    assert [(f["number"], f["kind"], f["status"]) for f in body["fulfilments"]] == [
        (f"{order['number']}-1", "pickup", "allocated")
    ]
    assert body["fulfilments"][0]["location_id"] == str(keys.store.krakow)
    assert body["pickup"]["status"] == "waiting"
    assert body["pickup"]["ready_due_at"] is not None


def test_fulfilments_of_an_unknown_order_are_a_404_and_of_no_order_a_422(
    client: TestClient, admin: dict[str, str]
) -> None:
    assert client.get(f"{API}/orders/{uuid.uuid4()}/fulfilments", headers=admin).status_code == 404
    assert client.get(f"{API}/orders/not-an-id/fulfilments", headers=admin).status_code == 422


def test_a_channel_key_does_not_read_fulfilments(client: TestClient, keys: Keys) -> None:
    order = _pickup_order(client, keys)
    r = client.get(f"{API}/orders/{order['id']}/fulfilments", headers=keys["web"])
    assert r.status_code == 403
