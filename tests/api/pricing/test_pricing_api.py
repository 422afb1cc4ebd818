"""Pricing over HTTP: administration, the quote every channel asks for, prices to show,
parity, and bad input answered with problem+json."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.integration.pricing.conftest import Shop, build_shop

P = "/api/v1/pricing"


@pytest.fixture
def shop(session: Session) -> Shop:
    return build_shop(session)


def _quote(client: TestClient, headers: dict[str, str], shop: Shop, **body: object) -> dict:  # type: ignore[type-arg]
    doc = {"lines": [{"variant_id": str(shop.v["TS-S"]), "quantity": 2}], **body}
    r = client.post(f"{P}/quote", json=doc, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_admin_sets_up_lists_prices_promotions_and_coupons(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    r = client.post(
        f"{P}/price-lists",
        json={
            "code": "employees",
            "name": "Pracownicy",
            "kind": "segment",
            "segment": "employees",
            "priority": 20,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == 'W/"1"'
    staff = r.json()["id"]
    r = client.put(
        f"{P}/price-lists/{staff}/prices",
        json={"prices": [{"variant_id": str(shop.v["TS-S"]), "amount": 2999}]},
        headers=admin,
    )
    assert r.json() == {"price_list": "employees", "changed": 1}
    page = client.get(
        f"{P}/price-lists/{shop.base}/prices", params={"limit": 2}, headers=admin
    ).json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    r = client.post(
        f"{P}/promotions",
        json={
            "code": "WITAJ",
            "name": "Witaj",
            "kind": "cart_percent_off",
            "percent": 12.5,
            "requires_coupon": True,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    promo = r.json()
    assert (promo["percent"], promo["uses"], promo["status"]) == (12.5, 0, "active")
    r = client.post(
        f"{P}/promotions/{promo['id']}/coupons",
        json={"generate": 5, "prefix": "WIT-", "length": 6, "batch": "b1"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    codes = r.json()["codes"]
    assert len(codes) == 5
    listed = client.get(f"{P}/promotions/{promo['id']}/coupons", headers=admin).json()["items"]
    assert {c["code"] for c in listed} == set(codes)
    q = _quote(client, admin, shop, coupons=[codes[0].lower()], segments=["employees"])
    assert q["lines"][0]["price_list"] == "employees"
    assert q["coupons"][0]["accepted"] is True
    assert q["totals"]["total"] == 5998 - 750


def test_an_edit_with_a_stale_etag_is_refused(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    r = client.post(
        f"{P}/promotions",
        json={"code": "Z", "name": "Z", "kind": "percent_off", "percent": 5},
        headers=admin,
    )
    url = f"{P}/promotions/{r.json()['id']}"
    assert (
        client.patch(url, json={"priority": 3}, headers={**admin, "If-Match": 'W/"1"'}).status_code
        == 200
    )
    stale = client.patch(url, json={"priority": 4}, headers={**admin, "If-Match": 'W/"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")


def test_a_channel_quotes_as_itself_and_is_recorded(
    client: TestClient, channel_key: Callable[..., dict[str, str]], shop: Shop
) -> None:
    web = channel_key("web", ["pricing:read"])
    q = _quote(client, web, shop)
    assert q["channel"] == "web"
    assert q["lines"][0]["total"] == 9998
    assert q["vat"] == [{"rate": "23", "gross": 9998, "net": 8128, "vat": 1870}]
    other = client.post(
        f"{P}/quote",
        json={"lines": [{"variant_id": str(shop.v["TS-S"]), "quantity": 1}], "channel": "allegro"},
        headers=web,
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "channel"


def test_every_channel_gets_the_same_quote(
    client: TestClient,
    channel_key: Callable[..., dict[str, str]],
    admin: dict[str, str],
    shop: Shop,
) -> None:
    client.post(
        f"{P}/promotions",
        json={"code": "ZIMA", "name": "Zima", "kind": "percent_off", "percent": 15},
        headers=admin,
    )
    at = "2027-01-10T12:00:00+00:00"
    quotes = [
        _quote(client, channel_key(code, ["pricing:read"], kind), shop, at=at)
        for code, kind in (("web", "web"), ("pos-waw", "store_pos"), ("allegro", "marketplace"))
    ]
    for q in quotes:
        q.pop("channel")
    assert quotes[0] == quotes[1] == quotes[2]


def test_a_key_without_the_pricing_scope_or_a_role_without_it_is_forbidden(
    client: TestClient,
    channel_key: Callable[..., dict[str, str]],
    login_as: Callable[..., dict[str, str]],
    make_location: Callable[..., object],
    shop: Shop,
) -> None:
    doc = {"lines": [{"variant_id": str(shop.v["TS-S"]), "quantity": 1}]}
    assert client.post(f"{P}/quote", json=doc, headers=channel_key("web")).status_code == 403
    operator = login_as("warehouse_operator", [make_location("WH-1", "warehouse")])
    assert client.post(f"{P}/quote", json=doc, headers=operator).status_code == 403
    associate = login_as("store_associate", [make_location("ST-1")])
    assert client.post(f"{P}/quote", json=doc, headers=associate).status_code == 200
    r = client.post(
        f"{P}/promotions",
        json={"code": "X", "name": "X", "kind": "percent_off", "percent": 5},
        headers=associate,
    )
    assert r.status_code == 403


def test_unknown_expired_and_used_up_coupons_are_explained_not_errors(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    r = client.post(
        f"{P}/promotions",
        json={
            "code": "STARY",
            "name": "Stary",
            "kind": "percent_off",
            "percent": 10,
            "requires_coupon": True,
            "ends_at": "2026-01-31T23:00:00+00:00",
            "starts_at": "2026-01-01T00:00:00+00:00",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    client.post(
        f"{P}/promotions/{r.json()['id']}/coupons", json={"codes": ["STYCZEN"]}, headers=admin
    )
    q = _quote(client, admin, shop, coupons=["NIE-MA", "styczen"])
    assert [(c["code"], c["accepted"], c["reason"]) for c in q["coupons"]] == [
        ("NIE-MA", False, "unknown"),
        ("STYCZEN", False, "expired"),
    ]
    assert q["coupons"][1]["message"] == "this coupon has expired"
    assert q["totals"]["discount"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delivery_price": "12.50"}, "delivery_price"),
        ({"delivery_price": 12.5}, "delivery_price"),
        ({"delivery_price": -1}, "delivery_price"),
        ({"currency": "PLNX"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"lines": [{"variant_id": "nope", "quantity": 1}]}, "lines.0.variant_id"),
        (
            {"lines": [{"variant_id": "00000000-0000-0000-0000-000000000001", "quantity": 0}]},
            "lines.0.quantity",
        ),
        ({"lines": []}, "lines"),
        ({"segments": ["Not A Code"]}, "segments.0"),
    ],
)
def test_malformed_money_currency_or_lines_are_422_naming_the_field(
    client: TestClient, admin: dict[str, str], shop: Shop, body: dict[str, object], field: str
) -> None:
    doc = {"lines": [{"variant_id": str(shop.v["TS-S"]), "quantity": 1}], **body}
    r = client.post(f"{P}/quote", json=doc, headers=admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]


def test_a_malformed_price_is_422(client: TestClient, admin: dict[str, str], shop: Shop) -> None:
    for amount in (49.99, "4999", -5, 10**12):
        r = client.put(
            f"{P}/price-lists/{shop.base}/prices",
            json={"prices": [{"variant_id": str(shop.v["TS-S"]), "amount": amount}]},
            headers=admin,
        )
        assert r.status_code == 422, amount
        assert r.json()["errors"][0]["field"] == "prices.0.amount"


def test_an_unknown_variant_in_a_quote_is_named(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    doc = {"lines": [{"variant_id": "00000000-0000-0000-0000-000000000001", "quantity": 1}]}
    r = client.post(f"{P}/quote", json=doc, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "lines.0.variant_id", "message": "no such variant", "type": "unknown_variant"}
    ]


def test_prices_to_show_carry_the_omnibus_reference(
    client: TestClient, admin: dict[str, str], shop: Shop, session: Session
) -> None:
    shop.promote(
        session,
        now=shop.since + timedelta(days=40),
        code="KOSZULKI",
        kind="percent_off",
        percent=20,
        starts_at=(shop.since + timedelta(days=40)).isoformat(),
        targets={"product_ids": [str(shop.tshirt)]},
    )
    r = client.get(
        f"{P}/prices",
        params=[("variant_id", str(shop.v["TS-S"])), ("variant_id", str(shop.v["KS-1"]))],
        headers=admin,
    )
    assert r.status_code == 200, r.text
    shirt, book = r.json()
    assert (shirt["price"], shirt["on_promotion"], shirt["lowest_price_30d"]) == (3999, True, 4999)
    assert (book["price"], book["on_promotion"], book["lowest_price_30d"]) == (3990, False, None)
    history = client.get(f"{P}/variants/{shop.v['TS-S']}/history", headers=admin).json()
    assert [h["price"] for h in history] == [4999, 3999]
    missing = client.get(
        f"{P}/variants/00000000-0000-0000-0000-000000000001/history", headers=admin
    )
    assert missing.status_code == 404


def test_the_parity_report_is_empty_without_overrides(
    client: TestClient,
    admin: dict[str, str],
    channel_key: Callable[..., dict[str, str]],
    shop: Shop,
) -> None:
    channel_key("web")
    r = client.get(f"{P}/parity", params={"carts": 5}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["differences"] == []
    assert r.json()["channels"] == ["web"]


def test_a_price_import_over_http_names_rows(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    ok = client.post(
        f"{P}/prices/import",
        json={"rows": [{"sku": "TS-S", "price_list": "vip", "price": "39.99"}]},
        headers=admin,
    )
    assert ok.json() == {"rows": 1, "changed": 1, "price_lists": ["vip"]}
    bad = client.post(
        f"{P}/prices/import",
        json={"rows": [{"sku": "TS-S", "price_list": "vip", "price": "39.999"}]},
        headers=admin,
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "price_import_rejected"
    assert bad.json()["errors"][0]["field"] == "rows.0.price"
