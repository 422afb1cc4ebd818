"""Parcels over HTTP, end to end: a web order routed to two locations becomes two
parcels, each charged as it leaves (two captures), each followed to the door; and
the bad requests on the way, answered 4xx with nothing changed."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.inventory.models import StockMovement
from tests.api.commerce.conftest import API, Keys, allocated, krakow_ships
from tests.integration.commerce.conftest import DELIVERY, KRAKOW_STOCK, WAREHOUSE_STOCK

UNITS = WAREHOUSE_STOCK + 2  # more than the warehouse holds: two come from Kraków


def _order(client: TestClient, keys: Keys, session: Session, **lines: int) -> dict[str, Any]:
    krakow_ships(session, keys)
    return allocated(client, keys, session, {k.replace("_", "-"): v for k, v in lines.items()})


def _fulfilments(client: TestClient, order: dict[str, Any], admin: dict[str, str]) -> list[Any]:
    r = client.get(f"{API}/orders/{order['id']}/fulfilments", headers=admin)
    assert r.status_code == 200, r.text
    return list(r.json()["fulfilments"])


def _captures(client: TestClient, order: dict[str, Any], admin: dict[str, str]) -> list[int]:
    body = client.get(f"{API}/orders/{order['id']}", headers=admin).json()
    return [
        op["amount"]
        for p in body["payments"]
        for op in p["operations"]
        if op["kind"] == "capture" and op["succeeded"]
    ]


def test_an_order_from_two_locations_ships_as_two_parcels_each_charged_as_it_leaves(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    order = _order(client, keys, session, TS_S=UNITS)
    fos = _fulfilments(client, order, admin)
    assert sorted(f["location_id"] for f in fos) == sorted(
        [str(keys.store.warehouse), str(keys.store.krakow)]
    )
    parcels = {}
    for fo in fos:
        r = client.post(f"{API}/fulfilments/{fo['id']}/shipments", json={}, headers=admin)
        assert r.status_code == 201, r.text
        parcels[fo["location_id"]] = r.json()
        assert (r.json()["status"], r.json()["service"]) == ("labelled", "courier")
        assert r.json()["tracking_number"]
    label = client.get(
        f"{API}/shipments/{parcels[str(keys.store.krakow)]['id']}/label", headers=admin
    )
    assert (label.status_code, label.headers["content-type"]) == (200, "application/pdf")

    first = parcels[str(keys.store.krakow)]
    r = client.post(f"{API}/shipments/{first['id']}/hand-over", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "shipped"
    body = client.get(f"{API}/orders/{order['id']}", headers=admin).json()
    assert body["status"] == "partially_shipped"
    unit_price = body["lines"][0]["total"] // UNITS
    assert _captures(client, order, admin) == [DELIVERY + 2 * unit_price]
    assert keys.store.level(session, "TS-S", keys.store.krakow) == (KRAKOW_STOCK - 2, 0)

    second = parcels[str(keys.store.warehouse)]
    r = client.post(f"{API}/shipments/{second['id']}/hand-over", headers=admin)
    assert r.status_code == 200, r.text
    body = client.get(f"{API}/orders/{order['id']}", headers=admin).json()
    assert body["status"] == "shipped"
    captures = _captures(client, order, admin)
    assert len(captures) == 2
    assert sum(captures) == body["total"]
    assert keys.store.level(session, "TS-S", keys.store.warehouse) == (0, 0)
    sales = session.scalars(
        select(StockMovement.location_id).where(StockMovement.kind == "sale")
    ).all()
    assert sorted(map(str, sales)) == sorted([str(keys.store.warehouse), str(keys.store.krakow)])

    r = client.post(
        f"{API}/shipments/{first['id']}/tracking", json={"status": "delivered"}, headers=admin
    )
    assert (r.status_code, r.json()["status"]) == (200, "delivered")
    assert client.get(f"{API}/orders/{order['id']}", headers=admin).json()["status"] == "shipped"
    r = client.post(
        f"{API}/shipments/{second['id']}/tracking", json={"status": "delivered"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert client.get(f"{API}/orders/{order['id']}", headers=admin).json()["status"] == "delivered"
    assert {f["status"] for f in _fulfilments(client, order, admin)} == {"delivered"}


def test_the_carriers_tracking_is_asked_when_nobody_pushes_it(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    from omnichannel.fulfillment.carriers.base import carrier_for
    from omnichannel.fulfillment.carriers.rules import TrackingStatus

    order = _order(client, keys, session, TS_S=1)
    (fo,) = _fulfilments(client, order, admin)
    parcel = client.post(f"{API}/fulfilments/{fo['id']}/shipments", json={}, headers=admin).json()
    client.post(f"{API}/shipments/{parcel['id']}/hand-over", headers=admin)
    sandbox = carrier_for("sandbox")
    assert sandbox.push(parcel["tracking_number"], TrackingStatus.IN_TRANSIT)  # type: ignore[attr-defined]
    r = client.post(f"{API}/shipments/{parcel['id']}/tracking", json={}, headers=admin)
    assert (r.status_code, r.json()["status"]) == (200, "in_transit")
    assert sandbox.push(parcel["tracking_number"], TrackingStatus.DELIVERED)  # type: ignore[attr-defined]
    r = client.post(f"{API}/shipments/{parcel['id']}/tracking", json={}, headers=admin)
    assert (r.status_code, r.json()["status"]) == (200, "delivered")
    assert client.get(f"{API}/orders/{order['id']}", headers=admin).json()["status"] == "delivered"


def test_booking_twice_books_one_parcel_and_handing_over_twice_is_refused(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    order = _order(client, keys, session, TS_S=1)
    (fo,) = _fulfilments(client, order, admin)
    one = client.post(f"{API}/fulfilments/{fo['id']}/shipments", json={}, headers=admin).json()
    two = client.post(f"{API}/fulfilments/{fo['id']}/shipments", json={}, headers=admin).json()
    assert one["id"] == two["id"]
    assert client.post(f"{API}/shipments/{one['id']}/hand-over", headers=admin).status_code == 200
    again = client.post(f"{API}/shipments/{one['id']}/hand-over", headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_fulfilment_state")
    assert len(_captures(client, order, admin)) == 1


def test_bad_shipping_requests_are_answered_4xx_and_change_nothing(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    order = _order(client, keys, session, TS_S=1)
    (fo,) = _fulfilments(client, order, admin)
    unknown = client.post(f"{API}/fulfilments/{uuid.uuid4()}/shipments", json={}, headers=admin)
    assert unknown.status_code == 404
    carrier = client.post(
        f"{API}/fulfilments/{fo['id']}/shipments", json={"carrier": "nobody"}, headers=admin
    )
    assert (carrier.status_code, carrier.json()["code"]) == (422, "unknown_carrier")
    extra = client.post(f"{API}/fulfilments/{fo['id']}/shipments", json={"x": 1}, headers=admin)
    assert extra.status_code == 422
    parcel = client.post(f"{API}/fulfilments/{fo['id']}/shipments", json={}, headers=admin).json()
    early = client.post(
        f"{API}/shipments/{parcel['id']}/tracking", json={"status": "delivered"}, headers=admin
    )
    assert early.status_code == 409  # it has not left yet
    status = client.post(
        f"{API}/shipments/{parcel['id']}/tracking", json={"status": "teleported"}, headers=admin
    )
    assert status.status_code == 422
    assert client.get(f"{API}/orders/{order['id']}", headers=admin).json()["status"] == "allocated"
    nobody = uuid.uuid4()
    assert client.get(f"{API}/shipments/{nobody}", headers=admin).status_code == 404
    assert client.get(f"{API}/shipments/{nobody}/label", headers=admin).status_code == 404
    assert client.get(f"{API}/shipments/not-an-id", headers=admin).status_code == 422
    handed = client.post(f"{API}/shipments/{nobody}/hand-over", headers=admin)
    assert handed.status_code == 404


def test_a_warsaw_associate_cannot_ship_what_leaves_the_warehouse(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str], login_as: Any
) -> None:
    order = _order(client, keys, session, TS_S=1)
    (fo,) = _fulfilments(client, order, admin)
    gdansk = login_as("store_associate", location_ids=[keys.store.gdansk])
    r = client.post(f"{API}/fulfilments/{fo['id']}/shipments", json={}, headers=gdansk)
    assert (r.status_code, r.json()["code"]) == (403, "outside_your_locations")
