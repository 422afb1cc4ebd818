"""The catalog over HTTP: contract, errors as problem+json, who may do what."""

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.catalog.models import Product, Variant
from omnichannel.db import OutboxEvent
from tests.integration.catalog.builders import ean13

Headers = dict[str, str]


def _tee(code: str = "TS-01", **fields: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Żółta koszulka",
        "variants": [
            {"sku": f"{code}-M", "gtin": ean13(1), "options": {"size": "M"}},
            {"sku": f"{code}-L", "options": {"size": "L"}},
        ],
    } | fields


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_admin_creates_a_product_and_reads_it_back_with_an_etag(
    client: TestClient, admin: Headers
) -> None:
    r = client.post("/api/v1/products", json=_tee(), headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["etag"] == 'W/"1"'
    assert r.headers["location"] == f"/api/v1/products/{created['id']}"
    assert [v["sku"] for v in created["variants"]] == ["TS-01-M", "TS-01-L"]
    assert created["variants"][0]["vat_class"] == "standard"
    got = client.get(f"/api/v1/products/{created['id']}", headers=admin)
    assert got.headers["etag"] == 'W/"1"'
    assert got.json() == created


def test_a_variant_with_a_bad_ean_is_refused_and_nothing_is_written(
    client: TestClient, admin: Headers, session: Session
) -> None:
    doc = _tee()
    doc["variants"][0]["gtin"] = "5901234123458"
    r = client.post("/api/v1/products", json=doc, headers=admin)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [
        {
            "field": "variants.0.gtin",
            "message": "5901234123458 has a wrong check digit",
            "type": "invalid_gtin",
        }
    ]
    assert _count(session, Product) == 0
    assert session.scalar(select(func.count()).where(OutboxEvent.aggregate_type == "product")) == 0


def test_a_duplicate_sku_is_a_409_naming_it(client: TestClient, admin: Headers) -> None:
    assert client.post("/api/v1/products", json=_tee(), headers=admin).status_code == 201
    r = client.post(
        "/api/v1/products", json=_tee("TS-02") | {"variants": [{"sku": "TS-01-M"}]}, headers=admin
    )
    assert r.status_code == 409
    assert r.json()["code"] == "sku_taken"
    assert r.json()["errors"][0]["field"] == "variants.0.sku"
    again = client.post("/api/v1/products", json=_tee() | {"variants": []}, headers=admin)
    assert again.json()["code"] == "product_code_taken"


def test_unknown_ids_are_404(client: TestClient, admin: Headers) -> None:
    for kind in ("products", "variants", "brands", "categories"):
        r = client.get(f"/api/v1/{kind}/{uuid.uuid4()}", headers=admin)
        assert r.status_code == 404, kind
        assert r.json()["code"] == "not_found"


def test_without_credentials_the_catalog_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/products").status_code == 401
    assert client.post("/api/v1/products", json=_tee()).status_code == 401


def test_a_call_center_agent_reads_but_cannot_write_the_catalog(
    client: TestClient, login_as: Callable[..., Headers]
) -> None:
    agent = login_as("call_center_agent")
    r = client.post("/api/v1/products", json=_tee(), headers=agent)
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert client.get("/api/v1/products", headers=agent).status_code == 200


def test_a_channel_with_catalog_read_reads_but_cannot_write(
    client: TestClient, admin: Headers, channel_key: Callable[..., Headers]
) -> None:
    client.post("/api/v1/products", json=_tee(), headers=admin)
    web = channel_key("web", ["catalog:read"])
    r = client.get("/api/v1/products", params={"q": "zolta"}, headers=web)
    assert r.status_code == 200
    assert [p["code"] for p in r.json()["items"]] == ["TS-01"]
    assert (
        client.post(
            "/api/v1/brands", json={"code": "acme", "name": "Acme"}, headers=web
        ).status_code
        == 403
    )
    no_scope = channel_key("kiosk", ["locations:read"])
    assert client.get("/api/v1/products", headers=no_scope).status_code == 403


def test_an_edit_with_a_stale_if_match_is_412_and_a_fresh_one_succeeds(
    client: TestClient, admin: Headers
) -> None:
    pid = client.post("/api/v1/products", json=_tee(), headers=admin).json()["id"]
    ok = client.patch(
        f"/api/v1/products/{pid}", json={"name": "Nowa"}, headers={**admin, "If-Match": 'W/"1"'}
    )
    assert ok.status_code == 200
    assert ok.headers["etag"] == 'W/"2"'
    stale = client.patch(
        f"/api/v1/products/{pid}", json={"name": "Stara"}, headers={**admin, "If-Match": 'W/"1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert (
        client.patch(f"/api/v1/products/{pid}", json={"nme": "typo"}, headers=admin).status_code
        == 422
    )


def test_archiving_a_product_archives_its_variants(client: TestClient, admin: Headers) -> None:
    pid = client.post("/api/v1/products", json=_tee(), headers=admin).json()["id"]
    r = client.post(f"/api/v1/products/{pid}/archive", headers=admin)
    assert r.status_code == 200
    assert {v["status"] for v in r.json()["variants"]} == {"archived"}
    assert r.json()["status"] == "archived"
    listed = client.get("/api/v1/products", params={"status": "active"}, headers=admin).json()
    assert listed["items"] == []


def test_products_are_filtered_by_category_subtree_and_paged_with_a_cursor(
    client: TestClient, admin: Headers
) -> None:
    apparel = client.post(
        "/api/v1/categories", json={"code": "apparel", "name": "Odzież"}, headers=admin
    ).json()
    tees = client.post(
        "/api/v1/categories",
        json={"code": "t-shirts", "name": "Koszulki", "parent_id": apparel["id"]},
        headers=admin,
    ).json()
    assert tees["path"] == "apparel/t-shirts"
    for i in range(5):
        body = {
            "code": f"P{i}",
            "name": f"Produkt {i}",
            "category_id": tees["id"] if i % 2 == 0 else None,
        }
        assert client.post("/api/v1/products", json=body, headers=admin).status_code == 201
    codes, cursor = [], None
    while True:
        params = {"category": "apparel", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/products", params=params, headers=admin).json()
        codes += [p["code"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert codes == ["P0", "P2", "P4"]
    bad = client.get("/api/v1/products", params={"cursor": "not-a-cursor"}, headers=admin)
    assert bad.status_code == 422


def test_variants_are_added_found_by_gtin_and_archived(client: TestClient, admin: Headers) -> None:
    pid = client.post("/api/v1/products", json=_tee(), headers=admin).json()["id"]
    r = client.post(
        f"/api/v1/products/{pid}/variants",
        json={"sku": "TS-01-XL", "gtin": ean13(3)},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    found = client.get("/api/v1/variants", params={"gtin": ean13(3)}, headers=admin).json()
    assert [v["id"] for v in found["items"]] == [vid]
    bad = client.get("/api/v1/variants", params={"gtin": "123"}, headers=admin)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "gtin")
    r = client.patch(
        f"/api/v1/variants/{vid}", json={"status": "archived", "weight_g": 250}, headers=admin
    )
    assert (r.json()["status"], r.json()["weight_g"]) == ("archived", 250)
    assert client.get(f"/api/v1/products/{pid}", headers=admin).headers["etag"] == 'W/"3"'


def test_brands_are_managed_and_one_in_use_is_not_deleted(
    client: TestClient, admin: Headers
) -> None:
    brand = client.post(
        "/api/v1/brands", json={"code": "acme", "name": "Acme"}, headers=admin
    ).json()
    assert client.post("/api/v1/brands", json={"code": "acme", "name": "X"}, headers=admin).json()[
        "code"
    ] == ("brand_code_taken")
    renamed = client.patch(
        f"/api/v1/brands/{brand['id']}", json={"name": "ACME"}, headers=admin
    ).json()
    assert (renamed["name"], renamed["version"]) == ("ACME", 2)
    client.post("/api/v1/products", json=_tee() | {"brand_id": brand["id"]}, headers=admin)
    r = client.delete(f"/api/v1/brands/{brand['id']}", headers=admin)
    assert (r.status_code, r.json()["code"]) == (409, "brand_in_use")
    assert [b["code"] for b in client.get("/api/v1/brands", headers=admin).json()] == ["acme"]
    spare = client.post(
        "/api/v1/brands", json={"code": "spare", "name": "Spare"}, headers=admin
    ).json()
    assert client.delete(f"/api/v1/brands/{spare['id']}", headers=admin).status_code == 204


def test_a_category_moves_with_its_subtree_but_not_under_itself(
    client: TestClient, admin: Headers
) -> None:
    a = client.post("/api/v1/categories", json={"code": "a", "name": "A"}, headers=admin).json()
    b = client.post(
        "/api/v1/categories", json={"code": "b", "name": "B", "parent_id": a["id"]}, headers=admin
    ).json()
    c = client.post("/api/v1/categories", json={"code": "c", "name": "C"}, headers=admin).json()
    cycle = client.patch(
        f"/api/v1/categories/{a['id']}", json={"parent_id": b["id"]}, headers=admin
    )
    assert (cycle.status_code, cycle.json()["errors"][0]["field"]) == (422, "parent_id")
    moved = client.patch(
        f"/api/v1/categories/{a['id']}", json={"parent_id": c["id"]}, headers=admin
    ).json()
    assert moved["path"] == "c/a"
    assert client.get(f"/api/v1/categories/{b['id']}", headers=admin).json()["path"] == "c/a/b"
    children = client.get("/api/v1/categories", params={"parent_id": c["id"]}, headers=admin).json()
    assert [x["code"] for x in children] == ["a"]
    r = client.delete(f"/api/v1/categories/{c['id']}", headers=admin)
    assert (r.status_code, r.json()["code"]) == (409, "category_has_children")
    assert client.delete(f"/api/v1/categories/{b['id']}", headers=admin).status_code == 204


def test_a_bulk_import_upserts_and_counts(client: TestClient, admin: Headers) -> None:
    body = {"products": [_tee() | {"brand": "Acme", "category": "Odzież/Koszulki"}]}
    r = client.post("/api/v1/catalog/import", json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "created_products": 1,
        "updated_products": 0,
        "created_variants": 2,
        "updated_variants": 0,
    }
    body["products"][0]["name"] = "Zmieniona"
    r = client.post("/api/v1/catalog/import", json=body, headers=admin)
    assert r.json() == {
        "created_products": 0,
        "updated_products": 1,
        "created_variants": 0,
        "updated_variants": 0,
    }
    cats = client.get("/api/v1/categories", headers=admin).json()
    assert [c["path"] for c in cats] == ["odziez", "odziez/koszulki"]


def test_a_bulk_import_with_problems_lists_every_one_and_writes_nothing(
    client: TestClient, admin: Headers, session: Session
) -> None:
    client.post("/api/v1/products", json=_tee("OLD"), headers=admin)
    before = (_count(session, Product), _count(session, Variant), _count(session, OutboxEvent))
    bad_ean = client.post(
        "/api/v1/catalog/import",
        json={
            "products": [
                _tee("A"),
                _tee("B") | {"variants": [{"sku": "B-1", "gtin": "5901234123458"}]},
            ]
        },
        headers=admin,
    )
    assert bad_ean.status_code == 422
    assert [e["field"] for e in bad_ean.json()["errors"]] == ["products.1.variants.0.gtin"]
    conflicts = client.post(
        "/api/v1/catalog/import",
        json={
            "products": [
                {
                    "code": "A",
                    "name": "A",
                    "variants": [{"sku": "OLD-M"}, {"sku": "A-1", "gtin": ean13(1)}],
                },
                {"code": "B", "name": "B", "variants": [{"sku": "A-1"}]},
            ]
        },
        headers=admin,
    )
    assert conflicts.status_code == 422
    assert conflicts.json()["code"] == "import_rejected"
    assert [e["field"] for e in conflicts.json()["errors"]] == [
        "products.1.variants.0.sku",
        "products.0.variants.0.sku",
        "products.0.variants.1.gtin",
    ]
    assert (
        _count(session, Product),
        _count(session, Variant),
        _count(session, OutboxEvent),
    ) == before


def test_a_bulk_import_of_more_than_1000_products_is_refused(
    client: TestClient, admin: Headers
) -> None:
    body = {"products": [{"code": f"P{i}", "name": "x"} for i in range(1001)]}
    r = client.post("/api/v1/catalog/import", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "products"


def test_a_bulk_import_of_more_than_10000_variants_is_refused(
    client: TestClient, admin: Headers
) -> None:
    variants = [{"sku": f"V{i}"} for i in range(1000)]
    body = {"products": [{"code": f"P{i}", "name": "x", "variants": variants} for i in range(11)]}
    r = client.post("/api/v1/catalog/import", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "products",
            "message": "at most 10000 variants per request, not 11000",
            "type": "value_error",
        }
    ]
