"""Issue 13, point 11: a PATCH that changes nothing answers 200 everywhere.

An edit that sets nothing (an empty body) or sets a field to the value it already
has is a success that moves nothing: the version (the ETag) stays, no event is
written. The endpoints come from the OpenAPI document, so a new PATCH without a
way to create its object here fails `test_every_patch_endpoint_is_covered`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import OutboxEvent
from tests.conftest import location_doc

API = "/api/v1"
Headers = dict[str, str]
# Makes one object with the admin; returns its PATCH url and a body that repeats
# one of its current values.
Maker = Callable[[TestClient, Headers], tuple[str, dict[str, Any]]]


def _created(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    doc: dict[str, Any] = r.json()
    return doc


def _staff(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    body = {
        "email": "noop@example.com",
        "full_name": "Jan Kowalski",
        "password": "long-enough-pw",
        "role": "call_center_agent",
    }
    doc = _created(c.post(f"{API}/staff", json=body, headers=h))
    return f"{API}/staff/{doc['id']}", {"full_name": "Jan Kowalski", "active": True}


def _brand(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    doc = _created(c.post(f"{API}/brands", json={"code": "acme", "name": "Acme"}, headers=h))
    return f"{API}/brands/{doc['id']}", {"code": "acme", "name": "Acme"}


def _category(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    doc = _created(c.post(f"{API}/categories", json={"code": "a", "name": "A"}, headers=h))
    return f"{API}/categories/{doc['id']}", {"code": "a", "name": "A", "parent_id": None}


def _product(c: TestClient, h: Headers) -> dict[str, Any]:
    body = {"code": "TS-01", "name": "Koszulka", "variants": [{"sku": "TS-01-M"}]}
    return _created(c.post(f"{API}/products", json=body, headers=h))


def _product_patch(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    doc = _product(c, h)
    return f"{API}/products/{doc['id']}", {"name": "Koszulka", "status": doc["status"]}


def _variant(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    variant = _product(c, h)["variants"][0]
    return f"{API}/variants/{variant['id']}", {"status": variant["status"]}


def _location(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    body = location_doc("ST-NOOP")
    doc = _created(c.post(f"{API}/locations", json=body, headers=h))
    same = {k: body[k] for k in ("name", "address", "coordinates", "capabilities")}
    return f"{API}/locations/{doc['id']}", same


def _channel(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    body = {"code": "web", "name": "Sklep", "type": "web"}
    doc = _created(c.post(f"{API}/channels", json=body, headers=h))
    return f"{API}/channels/{doc['id']}", {"name": "Sklep", "sell_from": doc["sell_from"]}


def _price_list(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    body = {"code": "base", "name": "Base", "kind": "base", "priority": 0}
    doc = _created(c.post(f"{API}/pricing/price-lists", json=body, headers=h))
    return f"{API}/pricing/price-lists/{doc['id']}", {"name": "Base", "priority": 0}


def _promotion(c: TestClient, h: Headers) -> dict[str, Any]:
    body = {"code": "Z", "name": "Z", "kind": "percent_off", "percent": 5, "requires_coupon": True}
    return _created(c.post(f"{API}/pricing/promotions", json=body, headers=h))


def _promotion_patch(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    doc = _promotion(c, h)
    return f"{API}/pricing/promotions/{doc['id']}", {"name": "Z", "percent": 5}


def _coupon(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    promo = _promotion(c, h)
    url = f"{API}/pricing/promotions/{promo['id']}/coupons"
    _created(c.post(url, json={"codes": ["NOOP-1"]}, headers=h))
    return f"{API}/pricing/coupons/NOOP-1", {"status": "active"}


def _customer(c: TestClient, h: Headers) -> dict[str, Any]:
    body = {"given_name": "Anna", "family_name": "Nowak", "notes": "woli odbiór w sklepie"}
    return _created(c.post(f"{API}/customers", json=body, headers=h))


def _customer_patch(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    doc = _customer(c, h)
    same = {"given_name": "Anna", "family_name": "Nowak", "notes": "woli odbiór w sklepie"}
    return f"{API}/customers/{doc['id']}", same


def _case(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    customer = _customer(c, h)
    body = {"subject": "Paczka nie dotarła", "category": "complaint"}
    doc = _created(c.post(f"{API}/customers/{customer['id']}/cases", json=body, headers=h))
    same = {"subject": "Paczka nie dotarła", "status": doc["status"]}
    return f"{API}/cases/{doc['id']}", same


def _segment(c: TestClient, h: Headers) -> tuple[str, dict[str, Any]]:
    body = {"code": "krakow", "name": "Kraków", "kind": "rule", "rules": {"cities": ["krakow"]}}
    _created(c.post(f"{API}/segments", json=body, headers=h))
    return f"{API}/segments/krakow", {"name": "Kraków", "rules": {"cities": ["krakow"]}}


MAKERS: dict[str, Maker] = {
    "/api/v1/staff/{staff_id}": _staff,
    "/api/v1/brands/{brand_id}": _brand,
    "/api/v1/categories/{category_id}": _category,
    "/api/v1/products/{product_id}": _product_patch,
    "/api/v1/variants/{variant_id}": _variant,
    "/api/v1/locations/{location_id}": _location,
    "/api/v1/channels/{channel_id}": _channel,
    "/api/v1/pricing/price-lists/{price_list_id}": _price_list,
    "/api/v1/pricing/promotions/{promotion_id}": _promotion_patch,
    "/api/v1/pricing/coupons/{code}": _coupon,
    "/api/v1/customers/{customer_id}": _customer_patch,
    "/api/v1/cases/{case_id}": _case,
    "/api/v1/segments/{code}": _segment,
}


def _patch_paths() -> set[str]:
    app = create_app(Settings(env="test", database_url="sqlite://"))
    return {path for path, ops in app.openapi()["paths"].items() if "patch" in ops}


def test_every_patch_endpoint_is_covered() -> None:
    assert _patch_paths() == set(MAKERS)


def _events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxEvent)) or 0


def _version(r: Any) -> Any:
    """The version a response states: in its body, or else in its ETag."""
    body = r.json()
    if "version" in body:
        return body["version"]
    return r.headers.get("etag")


@pytest.mark.parametrize("path", sorted(MAKERS))
def test_a_patch_that_changes_nothing_answers_200(
    path: str, client: TestClient, admin: Headers, session: Session
) -> None:
    url, same = MAKERS[path](client, admin)
    before = client.get(url, headers=admin)
    assert before.status_code == 200, before.text
    events = _events(session)
    for body in ({}, same, same):  # twice: a retry of a no-op is a no-op too
        r = client.patch(url, json=body, headers=admin)
        assert r.status_code == 200, (body, r.text)
        assert _version(r) == _version(before), body
    assert _events(session) == events
    after = client.get(url, headers=admin)
    assert (_version(after), after.json()) == (_version(before), before.json())
