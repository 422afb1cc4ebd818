"""Receipts, adjustments, counts and transfers over HTTP, and who may make them."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api.inventory.conftest import Shop

API = "/api/v1/inventory"
Login = Callable[..., dict[str, str]]


def _receipt(shop: Shop, location: object, quantity: int = 5, **extra: object) -> dict[str, object]:
    return {
        "location_id": str(location),
        "lines": [{"variant_id": str(shop.variants[0]), "quantity": quantity}],
        **extra,
    }


def test_a_receipt_shows_in_the_levels_and_the_ledger_and_the_check_stays_empty(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    r = client.post(
        f"{API}/receipts", json=_receipt(shop, shop.warehouse, 7, reference="PO-1"), headers=admin
    )
    assert r.status_code == 200, r.text
    [level] = r.json()
    assert (level["on_hand"], level["reserved"]) == (7, 0)

    levels = client.get(f"{API}/levels", params={"location_id": str(shop.warehouse)}, headers=admin)
    assert [(x["variant_id"], x["on_hand"]) for x in levels.json()["items"]] == [
        (str(shop.variants[0]), 7)
    ]
    moves = client.get(
        f"{API}/movements", params={"variant_id": str(shop.variants[0])}, headers=admin
    ).json()["items"]
    assert [(m["kind"], m["quantity"], m["reference_id"]) for m in moves] == [
        ("receipt", 7, "PO-1")
    ]
    assert moves[0]["actor"].startswith("staff:")
    check = client.get(f"{API}/check", headers=admin)
    assert check.status_code == 200
    assert check.json() == []


def test_a_receipt_of_zero_or_negative_units_names_the_line(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    for quantity in (0, -3):
        r = client.post(
            f"{API}/receipts", json=_receipt(shop, shop.warehouse, quantity), headers=admin
        )
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == ["lines.0.quantity"]


def test_a_receipt_at_an_unknown_location_or_of_an_unknown_variant_is_refused(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    r = client.post(f"{API}/receipts", json=_receipt(shop, shop.channel_id), headers=admin)
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_stock_item"
    assert r.json()["errors"][0]["field"] == "location_id"
    body = _receipt(shop, shop.warehouse)
    body["lines"] = [{"variant_id": str(shop.warehouse), "quantity": 1}]
    r = client.post(f"{API}/receipts", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lines.0.variant_id"


def test_a_warehouse_operator_receives_at_their_warehouse_but_not_at_a_store(
    client: TestClient, login_as: Login, shop: Shop
) -> None:
    operator = login_as("warehouse_operator", [shop.warehouse])
    assert (
        client.post(
            f"{API}/receipts", json=_receipt(shop, shop.warehouse), headers=operator
        ).status_code
        == 200
    )
    r = client.post(f"{API}/receipts", json=_receipt(shop, shop.store), headers=operator)
    assert r.status_code == 403
    assert r.json()["code"] == "outside_your_locations"


def _adjustment(shop: Shop, location: object, quantity: int, **extra: object) -> dict[str, object]:
    return {
        "location_id": str(location),
        "variant_id": str(shop.variants[0]),
        "quantity": quantity,
        "reason": "found behind the shelf",
        **extra,
    }


def test_a_store_associate_adjusts_their_own_store_but_not_another(
    client: TestClient, login_as: Login, stocked: Shop, session
) -> None:  # type: ignore[no-untyped-def]
    stocked.stock(session, stocked.other_store, 4)
    associate = login_as("store_associate", [stocked.store])
    r = client.post(
        f"{API}/adjustments", json=_adjustment(stocked, stocked.store, 2), headers=associate
    )
    assert r.status_code == 200, r.text
    assert r.json()["on_hand"] == 2
    r = client.post(
        f"{API}/adjustments", json=_adjustment(stocked, stocked.other_store, -1), headers=associate
    )
    assert r.status_code == 403


def test_a_marketing_analyst_may_not_adjust_stock(
    client: TestClient, login_as: Login, stocked: Shop
) -> None:
    r = client.post(
        f"{API}/adjustments",
        json=_adjustment(stocked, stocked.warehouse, -1),
        headers=login_as("marketing_analyst"),
    )
    assert r.status_code == 403
    assert "inventory:write" in r.json()["detail"]


def test_an_adjustment_needs_a_reason_and_a_quantity_other_than_zero(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    body = _adjustment(stocked, stocked.warehouse, 0, reason="")
    r = client.post(f"{API}/adjustments", json=body, headers=admin)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"quantity", "reason"}
    body = _adjustment(stocked, stocked.warehouse, 1, kind="sale")
    r = client.post(f"{API}/adjustments", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "kind"
    body = {**_adjustment(stocked, stocked.warehouse, 1), "variant_id": str(stocked.store)}
    r = client.post(f"{API}/adjustments", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "variant_id"


def test_an_adjustment_that_would_uncover_reservations_is_refused(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    hold = {
        "lines": [
            {
                "variant_id": str(stocked.variants[0]),
                "location_id": str(stocked.warehouse),
                "quantity": 8,
            }
        ],
        "owner_type": "order",
        "owner_id": "A-1",
    }
    assert client.post("/api/v1/reservations", json=hold, headers=stocked.web).status_code == 201
    r = client.post(
        f"{API}/adjustments", json=_adjustment(stocked, stocked.warehouse, -5), headers=admin
    )
    assert r.status_code == 409
    assert r.json()["code"] == "stock_reserved"
    assert r.json()["reserved"] == 8
    assert r.json()["errors"][0]["field"] == "quantity"


def test_damage_always_removes_units(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    body = _adjustment(stocked, stocked.warehouse, 3, kind="damage", reason="wet")
    r = client.post(f"{API}/adjustments", json=body, headers=admin)
    assert r.status_code == 200
    assert r.json()["on_hand"] == 7


def test_a_count_records_the_differences_and_refuses_a_negative_count(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    a, b = stocked.variants[:2]
    body = {
        "location_id": str(stocked.warehouse),
        "lines": [{"variant_id": str(a), "counted": 8}, {"variant_id": str(b), "counted": 10}],
        "reference": "COUNT-7",
    }
    r = client.post(f"{API}/counts", json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["differences"] == [
        {"variant_id": str(a), "difference": -2},
        {"variant_id": str(b), "difference": 0},
    ]
    body["lines"] = [{"variant_id": str(a), "counted": -1}]
    r = client.post(f"{API}/counts", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lines.0.counted"


def _transfer(shop: Shop, source: object, target: object, quantity: int = 4) -> dict[str, object]:
    return {
        "from_location_id": str(source),
        "to_location_id": str(target),
        "lines": [{"variant_id": str(shop.variants[0]), "quantity": quantity}],
    }


def test_a_transfer_travels_then_arrives_once(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    r = client.post(
        f"{API}/transfers", json=_transfer(stocked, stocked.warehouse, stocked.store), headers=admin
    )
    assert r.status_code == 201, r.text
    transfer = r.json()
    assert transfer["status"] == "in_transit"
    assert r.headers["Location"] == f"/api/v1/inventory/transfers/{transfer['id']}"
    got = client.get(f"{API}/transfers/{transfer['id']}", headers=admin).json()
    assert got["lines"] == [{"variant_id": str(stocked.variants[0]), "quantity": 4}]

    received = client.post(f"{API}/transfers/{transfer['id']}/receive", headers=admin)
    assert received.status_code == 200
    assert received.json()["status"] == "received"
    again = client.post(f"{API}/transfers/{transfer['id']}/receive", headers=admin)
    assert again.status_code == 409
    assert again.json()["code"] == "transfer_not_in_transit"
    levels = client.get(
        f"{API}/levels", params={"variant_id": str(stocked.variants[0])}, headers=admin
    )
    on_hand = {x["location_id"]: x["on_hand"] for x in levels.json()["items"]}
    assert on_hand == {str(stocked.warehouse): 6, str(stocked.store): 4}


def test_scoped_staff_send_from_and_receive_at_their_own_locations_only(
    client: TestClient, admin: dict[str, str], login_as: Login, stocked: Shop
) -> None:
    associate = login_as("store_associate", [stocked.store])
    r = client.post(
        f"{API}/transfers",
        json=_transfer(stocked, stocked.warehouse, stocked.store),
        headers=associate,
    )
    assert r.status_code == 403
    sent = client.post(
        f"{API}/transfers",
        json=_transfer(stocked, stocked.warehouse, stocked.other_store),
        headers=admin,
    ).json()
    r = client.post(f"{API}/transfers/{sent['id']}/receive", headers=associate)
    assert r.status_code == 403
    r = client.post(
        f"{API}/transfers/{sent['id']}/receive",
        headers=login_as("store_associate", [stocked.other_store]),
    )
    assert r.status_code == 200


def test_a_transfer_to_its_own_source_or_of_more_than_is_free_is_refused(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    r = client.post(
        f"{API}/transfers",
        json=_transfer(stocked, stocked.warehouse, stocked.warehouse),
        headers=admin,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "to_location_id"
    r = client.post(
        f"{API}/transfers",
        json=_transfer(stocked, stocked.warehouse, stocked.store, 11),
        headers=admin,
    )
    assert r.status_code == 409
    assert r.json()["code"] == "stock_reserved"


def test_an_unknown_transfer_is_not_found(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    missing = shop.variants[0]
    assert client.get(f"{API}/transfers/{missing}", headers=admin).status_code == 404
    assert client.post(f"{API}/transfers/{missing}/receive", headers=admin).status_code == 404
    assert client.get(f"{API}/transfers/not-a-uuid", headers=admin).status_code == 422
