"""A line a location cannot find, over HTTP: the count corrected where it was missing,
the line re-routed to a location that has it, and what happened visible on the
order and the customer's timeline; nowhere else to be had, the line cancelled and
its money given back; bad reports answered 4xx with nothing changed."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.customers.models import TimelineEntry
from omnichannel.inventory import service as inventory
from omnichannel.inventory.models import StockMovement
from omnichannel.inventory.rules import MovementKind
from tests.api.commerce.conftest import API, Keys, allocated, krakow_ships
from tests.integration.commerce.conftest import KRAKOW_STOCK, WAREHOUSE_STOCK


def _last_unit_in_the_warehouse(session: Session, keys: Keys, krakow_left: int) -> None:
    """One TS-S in the warehouse (near the buyer), `krakow_left` in Kraków, which ships."""
    store = keys.store
    krakow_ships(session, keys)
    for location, have, keep in (
        (store.warehouse, WAREHOUSE_STOCK, 1),
        (store.krakow, KRAKOW_STOCK, krakow_left),
    ):
        if have != keep:
            inventory.adjust(
                session,
                location_id=location,
                variant_id=store.v("TS-S"),
                quantity=keep - have,
                kind=MovementKind.ADJUSTMENT,
                reason="set up",
            )
    session.commit()


def _order(client: TestClient, keys: Keys, session: Session) -> dict[str, Any]:
    return allocated(client, keys, session, {"TS-S": 1})


def _fulfilments(client: TestClient, order: dict[str, Any], admin: dict[str, str]) -> list[Any]:
    return list(
        client.get(f"{API}/orders/{order['id']}/fulfilments", headers=admin).json()["fulfilments"]
    )


def test_a_line_not_on_the_shelf_is_counted_and_re_routed_to_a_store_that_has_it(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    _last_unit_in_the_warehouse(session, keys, krakow_left=KRAKOW_STOCK)
    order = _order(client, keys, session)
    (fo,) = _fulfilments(client, order, admin)
    assert fo["location_id"] == str(keys.store.warehouse)
    r = client.post(f"{API}/fulfilments/{fo['id']}/lines/1/reject", json={}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["moved_to"] == [str(keys.store.krakow)]
    assert r.json()["cancelled_lines"] == []
    assert keys.store.level(session, "TS-S", keys.store.warehouse) == (0, 0)
    assert keys.store.level(session, "TS-S", keys.store.krakow) == (KRAKOW_STOCK, 1)
    count = session.scalars(
        select(StockMovement.quantity).where(
            StockMovement.kind == "adjustment", StockMovement.reference_id == fo["number"]
        )
    ).all()
    assert count == [-1]
    after = {f["location_id"]: f for f in _fulfilments(client, order, admin)}
    assert after[str(keys.store.warehouse)]["status"] == "cancelled"
    assert after[str(keys.store.krakow)]["status"] == "allocated"
    assert after[str(keys.store.krakow)]["number"] == f"{order['number']}-2"
    body = client.get(f"{API}/orders/{order['id']}", headers=admin).json()
    assert body["status"] == "allocated"
    assert [(a["location_id"], a["status"]) for a in body["lines"][0]["allocations"]] == [
        (str(keys.store.warehouse), "released"),
        (str(keys.store.krakow), "held"),
    ]
    assert any(
        s.startswith("Re-routed: 1 of line 1 not on the shelf")
        for s in body["route"]["explanation"]
    )
    told = session.scalars(
        select(TimelineEntry.data).where(TimelineEntry.reference == order["number"])
    ).all()
    assert any(d.get("rerouted_lines") == [1] for d in told if d)


def test_a_line_nowhere_else_to_be_had_is_cancelled_and_its_money_given_back(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    _last_unit_in_the_warehouse(session, keys, krakow_left=0)
    order = _order(client, keys, session)
    (fo,) = _fulfilments(client, order, admin)
    r = client.post(f"{API}/fulfilments/{fo['id']}/lines/1/reject", json={}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["moved_to"], r.json()["cancelled_lines"]) == ([], [1])
    body = client.get(f"{API}/orders/{order['id']}", headers=admin).json()
    assert (body["status"], body["payment_status"]) == ("cancelled", "voided")
    assert keys.store.level(session, "TS-S", keys.store.warehouse) == (0, 0)


def test_bad_reports_are_answered_4xx_and_change_nothing(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str], login_as: Any
) -> None:
    _last_unit_in_the_warehouse(session, keys, krakow_left=KRAKOW_STOCK)
    order = _order(client, keys, session)
    (fo,) = _fulfilments(client, order, admin)
    path = f"{API}/fulfilments/{fo['id']}/lines"
    assert client.post(f"{path}/1/reject", json={"missing": 0}, headers=admin).status_code == 422
    assert client.post(f"{path}/1/reject", json={"missing": 2}, headers=admin).status_code == 422
    assert client.post(f"{path}/7/reject", json={}, headers=admin).status_code == 422
    unknown = client.post(
        f"{API}/fulfilments/{uuid.uuid4()}/lines/1/reject", json={}, headers=admin
    )
    assert unknown.status_code == 404
    krakow = login_as("store_associate", location_ids=[keys.store.krakow])
    r = client.post(f"{path}/1/reject", json={}, headers=krakow)
    assert (r.status_code, r.json()["code"]) == (403, "outside_your_locations")
    assert keys.store.level(session, "TS-S", keys.store.warehouse) == (1, 1)
    assert [f["status"] for f in _fulfilments(client, order, admin)] == ["allocated"]


def test_a_location_sees_its_work_and_only_its_own(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str], login_as: Any
) -> None:
    _last_unit_in_the_warehouse(session, keys, krakow_left=KRAKOW_STOCK)
    order = _order(client, keys, session)
    r = client.get(f"{API}/locations/{keys.store.warehouse}/fulfilments", headers=admin)
    assert r.status_code == 200, r.text
    assert [f["number"] for f in r.json()] == [f"{order['number']}-1"]
    krakow = login_as("store_associate", location_ids=[keys.store.krakow])
    assert (
        client.get(f"{API}/locations/{keys.store.krakow}/fulfilments", headers=krakow).json() == []
    )
    other = client.get(f"{API}/locations/{keys.store.warehouse}/fulfilments", headers=krakow)
    assert other.status_code == 403
    bad = client.get(
        f"{API}/locations/{keys.store.warehouse}/fulfilments?status=lost", headers=admin
    )
    assert bad.status_code == 422


def test_units_a_location_still_has_stay_in_its_work_counted_once(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    order = allocated(client, keys, session, {"TS-S": 3})  # all from the warehouse
    (fo,) = _fulfilments(client, order, admin)
    r = client.post(
        f"{API}/fulfilments/{fo['id']}/lines/1/reject", json={"missing": 1}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["moved_to"] == [str(keys.store.warehouse)]  # it still has plenty
    (after,) = _fulfilments(client, order, admin)
    assert (after["id"], after["status"]) == (fo["id"], "allocated")
    assert sum(ln["quantity"] for ln in after["lines"]) == 3
    assert keys.store.level(session, "TS-S", keys.store.warehouse) == (WAREHOUSE_STOCK - 1, 3)
