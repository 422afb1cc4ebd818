"""Delivery by its method over HTTP: a parcel locker priced at the channel's locker rate
and sent to the locker in a compartment its goods fit, cash on delivery with its
surcharge, and the bad ways to ask for them."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from omnichannel.catalog.models import Variant
from omnichannel.fulfillment import service as fulfilment
from tests.api.commerce.conftest import API, Keys, checkout
from tests.integration.commerce.conftest import DELIVERY

LOCKER, COD = 1299, 500


def _rates(client: TestClient, keys: Keys, admin: dict[str, str]) -> None:
    web = keys.store.seller("web").id
    r = client.patch(
        f"{API}/channels/{web}",
        json={"delivery_rates": {"locker": LOCKER, "cash_on_delivery": COD}},
        headers=admin,
    )
    assert r.status_code == 200, r.text


def _checkout(client: TestClient, keys: Keys, **body: Any) -> Any:
    return checkout(
        client,
        keys,
        {"TS-S": 1},
        contact={"email": "anna.nowak@example.pl", "phone": "+48601234567"},
        **body,
    )


def test_a_locker_delivery_costs_the_locker_rate_and_goes_to_its_locker_in_a_size_that_fits(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    _rates(client, keys, admin)
    session.execute(
        update(Variant)
        .where(Variant.id == keys.store.v("TS-S"))
        .values(weight_g=300, length_mm=300, width_mm=200, height_mm=40)
    )
    session.commit()
    r = _checkout(client, keys, delivery_method="locker", point_id="kra01m")
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["delivery"] == LOCKER
    assert (order["route"]["method"], order["route"]["point_id"]) == ("locker", "KRA01M")
    fulfilment.allocate(session, order_id=uuid.UUID(order["id"]), actor="test")
    session.commit()
    (fo,) = client.get(f"{API}/orders/{order['id']}/fulfilments", headers=admin).json()[
        "fulfilments"
    ]
    parcel = client.post(f"{API}/fulfilments/{fo['id']}/shipments", json={}, headers=admin)
    assert parcel.status_code == 201, parcel.text
    assert (parcel.json()["service"], parcel.json()["point_id"]) == ("locker", "KRA01M")
    assert parcel.json()["parcel_size"] == "A"


def test_a_parcel_of_unknown_size_is_refused_by_the_locker_before_the_carrier_is_asked(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    _rates(client, keys, admin)
    order = _checkout(client, keys, delivery_method="locker", point_id="WAW123A").json()
    fulfilment.allocate(session, order_id=uuid.UUID(order["id"]), actor="test")
    session.commit()
    (fo,) = client.get(f"{API}/orders/{order['id']}/fulfilments", headers=admin).json()[
        "fulfilments"
    ]
    r = client.post(f"{API}/fulfilments/{fo['id']}/shipments", json={}, headers=admin)
    assert (r.status_code, r.json()["code"]) == (422, "size_unknown")
    again = client.get(f"{API}/orders/{order['id']}/fulfilments", headers=admin).json()
    assert again["fulfilments"][0]["status"] == "allocated"


def test_cash_on_delivery_adds_its_surcharge_to_the_courier_rate(
    client: TestClient, keys: Keys, admin: dict[str, str]
) -> None:
    _rates(client, keys, admin)
    r = _checkout(client, keys, payment={"method": "cash_on_delivery"})
    assert r.status_code == 201, r.text
    assert r.json()["delivery"] == DELIVERY + COD


def test_bad_delivery_requests_are_refused_and_place_nothing(
    client: TestClient, keys: Keys, session: Session, admin: dict[str, str]
) -> None:
    before = keys.store.orders(session)
    not_offered = _checkout(client, keys, delivery_method="locker", point_id="KRA01M")
    assert (not_offered.status_code, not_offered.json()["code"]) == (
        422,
        "delivery_method_not_offered",
    )
    _rates(client, keys, admin)
    missing = _checkout(client, keys, delivery_method="locker")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "point_id"
    bad = _checkout(client, keys, delivery_method="locker", point_id="NOT A LOCKER")
    assert bad.status_code == 422
    stray = _checkout(client, keys, point_id="KRA01M")  # a courier goes to the address
    assert stray.status_code == 422
    drone = _checkout(client, keys, delivery_method="drone")
    assert drone.status_code == 422
    assert keys.store.orders(session) == before
