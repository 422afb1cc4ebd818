"""A quote prices delivery for the method the buyer picks, at the channel's rate:
courier, locker, pickup, cash on delivery on top; free delivery still takes it off,
and a method the channel does not offer is a 422 that names it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate, DeliveryRatesIn
from omnichannel.channels.service import create_channel, issue_api_key
from tests.integration.pricing.conftest import Shop, build_shop

P = "/api/v1/pricing"
RATES = DeliveryRatesIn(courier=1499, locker=1299, pickup=0, cash_on_delivery=500)


@pytest.fixture
def shop(session: Session) -> Shop:
    return build_shop(session)


@pytest.fixture
def web(session: Session) -> dict[str, str]:
    """The web shop's key, its channel with the demo's delivery rates."""
    ch = create_channel(
        session, data=ChannelCreate(code="web", name="Sklep", type="web", delivery_rates=RATES)
    )
    _, secret = issue_api_key(
        session, channel_id=ch.id, data=ApiKeyCreate(name="t", scopes=[Scope.PRICING_READ])
    )
    session.commit()
    return {"X-Api-Key": secret}


def _quote(client: TestClient, headers: dict[str, str], shop: Shop, **body: object):  # type: ignore[no-untyped-def]
    doc = {"lines": [{"variant_id": str(shop.v["TS-S"]), "quantity": 2}], **body}
    return client.post(f"{P}/quote", json=doc, headers=headers)


@pytest.mark.parametrize(
    ("method", "cod", "fee"),
    [("courier", False, 1499), ("locker", False, 1299), ("pickup", False, 0),
     ("courier", True, 1999), ("locker", True, 1799)],
)  # fmt: skip
def test_the_delivery_line_is_the_channels_rate_for_the_method(
    client: TestClient, web: dict[str, str], shop: Shop, method: str, cod: bool, fee: int
) -> None:
    r = _quote(client, web, shop, delivery_method=method, cash_on_delivery=cod)
    assert r.status_code == 200, r.text
    q = r.json()
    assert (q["delivery_method"], q["cash_on_delivery"]) == (method, cod)
    assert (q["delivery"]["price"], q["delivery"]["discount"], q["delivery"]["total"]) == (
        fee,
        0,
        fee,
    )
    assert q["totals"]["total"] == 9998 + fee


def test_carry_out_has_no_delivery_line(
    client: TestClient, web: dict[str, str], shop: Shop
) -> None:
    q = _quote(client, web, shop, delivery_method="carry_out").json()
    assert q["delivery"] is None
    assert q["totals"]["total"] == 9998


def test_free_delivery_takes_the_chosen_methods_fee_off(
    client: TestClient, web: dict[str, str], admin: dict[str, str], shop: Shop
) -> None:
    promo = {
        "code": "DOSTAWA",
        "name": "Darmowa dostawa",
        "kind": "free_delivery",
        "threshold": 5000,
        "currency": "PLN",
    }
    assert client.post(f"{P}/promotions", json=promo, headers=admin).status_code == 201
    q = _quote(client, web, shop, delivery_method="locker").json()
    assert q["free_delivery"] is True
    assert (q["delivery"]["price"], q["delivery"]["discount"], q["delivery"]["total"]) == (
        1299,
        1299,
        0,
    )
    assert q["totals"]["total"] == 9998


def test_staff_name_the_channel_whose_rates_apply(
    client: TestClient, web: dict[str, str], admin: dict[str, str], shop: Shop
) -> None:
    q = _quote(client, admin, shop, channel="web", delivery_method="courier").json()
    assert q["delivery"]["price"] == 1499
    missing = _quote(client, admin, shop, delivery_method="courier")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "channel"


def test_a_method_the_channel_does_not_offer_is_422_naming_it(
    client: TestClient, web: dict[str, str], admin: dict[str, str], shop: Shop
) -> None:
    channel = client.get("/api/v1/channels", headers=admin).json()[0]
    client.patch(
        f"/api/v1/channels/{channel['id']}",
        json={"delivery_rates": {"locker": None}},
        headers=admin,
    )
    r = _quote(client, web, shop, delivery_method="locker")
    assert r.status_code == 422
    assert r.json()["code"] == "delivery_method_not_offered"
    assert r.json()["errors"][0]["field"] == "delivery_method"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delivery_method": "pickup", "cash_on_delivery": True}, "cash_on_delivery"),
        ({"cash_on_delivery": True}, "delivery_method"),
        ({"delivery_method": "courier", "delivery_price": 100}, "delivery_price"),
        ({"delivery_method": "drone"}, "delivery_method"),
        ({"delivery_method": "courier", "currency": "EUR"}, "currency"),
    ],
)
def test_a_delivery_that_cannot_be_priced_is_422_naming_the_field(
    client: TestClient, web: dict[str, str], shop: Shop, body: dict[str, object], field: str
) -> None:
    r = _quote(client, web, shop, **body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
