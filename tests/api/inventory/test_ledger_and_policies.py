"""Levels and the ledger page by cursor; managers set policies, safety stock and sync."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.inventory import service as inventory
from omnichannel.inventory.rules import OwnerType
from tests.api.inventory.conftest import Shop

API = "/api/v1/inventory"
Login = Callable[..., dict[str, str]]


def _all_pages(
    client: TestClient, path: str, headers: dict[str, str], **params: object
) -> list[dict]:  # type: ignore[type-arg]
    items, cursor = [], None
    while True:
        page = client.get(
            path,
            params={**params, "limit": 1, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def test_levels_and_movements_page_through_every_row_once(
    client: TestClient, admin: dict[str, str], stocked: Shop, session: Session
) -> None:
    stocked.stock(session, stocked.store, 2)
    levels = _all_pages(client, f"{API}/levels", admin)
    keys = [(x["variant_id"], x["location_id"]) for x in levels]
    assert len(keys) == 6
    assert keys == sorted(keys)
    only_store = _all_pages(client, f"{API}/levels", admin, location_id=str(stocked.store))
    assert {x["on_hand"] for x in only_store} == {2}
    moves = _all_pages(client, f"{API}/movements", admin)
    assert [m["id"] for m in moves] == sorted(m["id"] for m in moves)
    assert len(moves) == 6


def test_a_cursor_this_api_did_not_issue_is_refused(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    for path in ("levels", "movements"):
        for cursor in ("not-a-cursor", "AAAA", "%%%"):
            r = client.get(f"{API}/{path}", params={"cursor": cursor}, headers=admin)
            assert r.status_code == 422, (path, cursor)
            assert r.json()["errors"][0]["field"] == "cursor"
    r = client.get(f"{API}/movements", params={"cursor": "__________8"}, headers=admin)
    assert r.status_code == 422


def test_the_ledger_check_is_for_signed_in_readers(client: TestClient, stocked: Shop) -> None:
    r = client.get(f"{API}/check")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_manager_sets_a_preorder_policy_and_the_channel_can_promise_beyond_stock(
    client: TestClient, admin: dict[str, str], stocked: Shop, session: Session
) -> None:
    v = stocked.variants[0]
    assert client.get(f"{API}/policies/{v}", headers=admin).json() == {
        "variant_id": str(v),
        "backorder": False,
        "backorder_limit": None,
        "preorder_until": None,
    }
    body = {"backorder": True, "backorder_limit": 5, "preorder_until": "2027-03-01"}
    r = client.put(f"{API}/policies/{v}", json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert client.get(f"{API}/policies/{v}", headers=admin).json()["backorder_limit"] == 5
    inventory.reserve(
        session,
        lines=[inventory.Line(v, stocked.warehouse, 10)],
        owner=inventory.Owner(OwnerType.ORDER, "A-1"),
        ttl=None,
    )
    session.commit()
    atp = client.get(f"/api/v1/availability/{v}", params={"channel": "web"}, headers=admin).json()
    assert (atp["status"], atp["available"], atp["orderable"], atp["preorder_until"]) == (
        "preorder",
        0,
        5,
        "2027-03-01",
    )


def test_a_policy_is_refused_for_an_unknown_variant_a_bad_shape_or_a_store_associate(
    client: TestClient, admin: dict[str, str], login_as: Login, shop: Shop
) -> None:
    missing = shop.warehouse
    assert client.get(f"{API}/policies/{missing}", headers=admin).status_code == 404
    r = client.put(f"{API}/policies/{missing}", json={"backorder": True}, headers=admin)
    assert r.status_code == 404
    v = shop.variants[0]
    r = client.put(
        f"{API}/policies/{v}",
        json={"backorder": False, "preorder_until": "2027-01-01"},
        headers=admin,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "backorder"
    r = client.put(
        f"{API}/policies/{v}", json={"backorder": True, "backorder_limit": -1}, headers=admin
    )
    assert r.status_code == 422
    associate = login_as("store_associate", [shop.store])
    assert (
        client.put(f"{API}/policies/{v}", json={"backorder": True}, headers=associate).status_code
        == 403
    )


def test_safety_stock_is_kept_back_from_what_the_channel_sees(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    v = stocked.variants[0]
    body = {"location_id": str(stocked.warehouse), "units": 3}
    assert client.put(f"{API}/safety-stock", json=body, headers=admin).status_code == 200
    one = {**body, "units": 1, "variant_id": str(v)}
    r = client.put(f"{API}/safety-stock", json=one, headers=admin)
    assert r.json() == {"location_id": str(stocked.warehouse), "variant_id": str(v), "units": 1}
    seen = client.post(
        "/api/v1/availability/batch",
        json={"variant_ids": [str(x) for x in stocked.variants[:2]]},
        headers=stocked.web,
    ).json()
    assert [x["available"] for x in seen["items"]] == [9, 7]


def test_safety_stock_must_be_zero_or_more_at_a_known_location(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    r = client.put(
        f"{API}/safety-stock", json={"location_id": str(shop.store), "units": -1}, headers=admin
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "units"
    r = client.put(
        f"{API}/safety-stock",
        json={"location_id": str(shop.variants[0]), "units": 1},
        headers=admin,
    )
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_stock_item"
    body = {"location_id": str(shop.store), "units": 1, "variant_id": str(shop.store)}
    r = client.put(f"{API}/safety-stock", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "variant_id"


def test_a_sync_sets_absolute_levels_and_keeps_reservations(
    client: TestClient, admin: dict[str, str], stocked: Shop, session: Session
) -> None:
    v = stocked.variants[0]
    inventory.reserve(
        session,
        lines=[inventory.Line(v, stocked.warehouse, 4)],
        owner=inventory.Owner(OwnerType.ORDER, "A-1"),
        ttl=None,
    )
    session.commit()
    body = {
        "levels": [
            {"sku": stocked.skus[0], "location_code": "WH-1", "on_hand": 3},
            {"sku": stocked.skus[1], "location_code": "WH-1", "on_hand": 10},
            {"sku": stocked.skus[1], "location_code": "ST-WAW", "on_hand": 2},
        ],
        "reference": "ERP-2026-11-23",
    }
    r = client.post(f"{API}/sync", json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"levels": 3, "changed": 2}
    [level] = client.get(
        f"{API}/levels",
        params={"variant_id": str(v), "location_id": str(stocked.warehouse)},
        headers=admin,
    ).json()["items"]
    assert (level["on_hand"], level["reserved"]) == (3, 4)
    assert client.get(f"{API}/check", headers=admin).json() == []


def test_a_sync_names_every_unknown_sku_and_location_code_and_writes_nothing(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    body = {
        "levels": [
            {"sku": stocked.skus[0], "location_code": "WH-1", "on_hand": 1},
            {"sku": "NOPE", "location_code": "WH-1", "on_hand": 1},
            {"sku": stocked.skus[1], "location_code": "WH-9", "on_hand": 1},
            {"sku": stocked.skus[0], "location_code": "WH-1", "on_hand": 2},
        ]
    }
    r = client.post(f"{API}/sync", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_stock_item"
    assert [e["field"] for e in r.json()["errors"]] == [
        "levels.1.sku",
        "levels.2.location_code",
        "levels.3.sku",
    ]
    levels = client.get(
        f"{API}/levels", params={"location_id": str(stocked.warehouse)}, headers=admin
    )
    assert {x["on_hand"] for x in levels.json()["items"]} == {10}


def test_a_sync_takes_at_most_ten_thousand_rows_and_needs_a_manager(
    client: TestClient, admin: dict[str, str], login_as: Login, shop: Shop
) -> None:
    row = {"sku": shop.skus[0], "location_code": "WH-1", "on_hand": 1}
    r = client.post(f"{API}/sync", json={"levels": [row] * 10_001}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "levels"
    operator = login_as("warehouse_operator", [shop.warehouse])
    assert client.post(f"{API}/sync", json={"levels": [row]}, headers=operator).status_code == 403
