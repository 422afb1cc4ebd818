"""Prices cannot be claimed: a customer's segment prices follow from their profile;
naming segments is a preview for staff with `pricing:preview`, and anyone else naming
one is refused rather than ignored. A quote for nobody is a 404."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.customers import profiles, segments
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.customers.schemas_segments import SegmentCreate
from omnichannel.pricing import service
from omnichannel.pricing.schemas import PriceListCreate
from tests.integration.pricing.conftest import Shop, build_shop

P = "/api/v1/pricing"
Headers = dict[str, str]
BASE, EMPLOYEE, VIP = 4999, 2999, 3999  # TS-S in the base, employees and VIP lists


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = build_shop(session)
    employees = service.create_price_list(
        session,
        data=PriceListCreate(
            code="employees", name="Pracownicy", kind="segment", segment="employees", priority=20
        ),
    )
    shop.prices(session, employees.id, {"TS-S": EMPLOYEE})
    shop.prices(session, shop.vip, {"TS-S": VIP})
    return shop


def _doc(shop: Shop, **more: Any) -> dict[str, Any]:
    return {"lines": [{"variant_id": str(shop.v["TS-S"]), "quantity": 1}], **more}


def _unit(r: Any) -> int:
    assert r.status_code == 200, r.text
    return int(r.json()["lines"][0]["unit_price"])


def test_a_channel_key_cannot_claim_the_employee_price(
    client: TestClient, channel_key: Callable[..., Headers], shop: Shop
) -> None:
    web = channel_key("web", ["pricing:read"])
    r = client.post(f"{P}/quote", json=_doc(shop, segments=["employees"]), headers=web)
    assert r.status_code == 403, r.text
    problem = r.json()
    assert (problem["code"], problem["errors"][0]["field"]) == (
        "segments_not_claimable",
        "segments",
    )
    shown = client.get(
        f"{P}/prices",
        params={"variant_id": str(shop.v["TS-S"]), "segment": "employees"},
        headers=web,
    )
    assert (shown.status_code, shown.json()["code"]) == (403, "segments_not_claimable")
    assert _unit(client.post(f"{P}/quote", json=_doc(shop), headers=web)) == BASE


def test_a_store_associate_cannot_claim_a_segment_either(
    client: TestClient,
    login_as: Callable[..., Headers],
    make_location: Callable[..., uuid.UUID],
    shop: Shop,
) -> None:
    associate = login_as("store_associate", [make_location("ST-WAW")])
    r = client.post(f"{P}/quote", json=_doc(shop, segments=["employees"]), headers=associate)
    assert (r.status_code, r.json()["code"]) == (403, "segments_not_claimable")


def test_staff_with_pricing_preview_may_quote_as_a_segment(
    client: TestClient, login_as: Callable[..., Headers], admin: Headers, shop: Shop
) -> None:
    analyst = login_as("marketing_analyst")
    preview = client.post(f"{P}/quote", json=_doc(shop, segments=["employees"]), headers=analyst)
    assert _unit(preview) == EMPLOYEE
    assert preview.json()["segments"] == ["employees"]
    assert _unit(client.post(f"{P}/quote", json=_doc(shop, segments=["vip"]), headers=admin)) == VIP
    shown = client.get(
        f"{P}/prices", params={"variant_id": str(shop.v["TS-S"]), "segment": "vip"}, headers=analyst
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()[0]["price"] == VIP
    bad = client.post(f"{P}/quote", json=_doc(shop, segments=["Not A Code"]), headers=analyst)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "segments.0")
    bad = client.get(
        f"{P}/prices",
        params={"variant_id": str(shop.v["TS-S"]), "segment": "Not A Code"},
        headers=analyst,
    )
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "segment.0")


def test_a_quote_for_an_unknown_customer_is_404(
    client: TestClient, channel_key: Callable[..., Headers], shop: Shop
) -> None:
    web = channel_key("web", ["pricing:read"])
    r = client.post(f"{P}/quote", json=_doc(shop, customer_id=str(uuid.uuid4())), headers=web)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (r.json()["code"], r.json()["errors"][0]["field"]) == (
        "customer_not_found",
        "customer_id",
    )


def test_the_customers_own_segment_price_applies_when_they_are_a_member(
    client: TestClient, channel_key: Callable[..., Headers], session: Session, shop: Shop
) -> None:
    anna, jan = (
        profiles.create_customer(session, data=CustomerCreate(given_name=n)).customer.id
        for n in ("Anna", "Jan")
    )
    segments.create_segment(session, data=SegmentCreate(code="vip", name="VIP", kind="manual"))
    segments.add_member(session, code="vip", customer_id=anna)
    session.commit()
    web = channel_key("web", ["pricing:read"])
    member = client.post(f"{P}/quote", json=_doc(shop, customer_id=str(anna)), headers=web)
    assert _unit(member) == VIP
    assert member.json()["segments"] == ["vip"]
    other = client.post(f"{P}/quote", json=_doc(shop, customer_id=str(jan)), headers=web)
    assert (_unit(other), other.json()["segments"]) == (BASE, [])
