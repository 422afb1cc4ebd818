"""Data typed once: what a customer gives at checkout lands on their profile (unless
they say not to), however they shop; a pickup order names a way to reach its buyer."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.db import Database
from tests.api.commerce.conftest import API, Keys
from tests.api.customer_data.conftest import ADDRESS, Shopper, feed_customers
from tests.integration.commerce.conftest import Store
from tests.statements import counting

PHONE = "+48 601 234 567"


def _profile(client: TestClient, admin: dict[str, str], customer_id: str) -> dict[str, Any]:
    r = client.get(f"{API}/customers/{customer_id}", headers=admin)
    assert r.status_code == 200, r.text
    profile: dict[str, Any] = r.json()
    return profile


def _values(profile: dict[str, Any], kind: str) -> list[str]:
    return sorted(i["value"] for i in profile["identities"] if i["type"] == kind)


def test_a_signed_in_checkout_saves_the_new_phone_and_address_to_the_profile(
    client: TestClient, shopper: Shopper, admin: dict[str, str], db: Database
) -> None:
    contact = {"email": "anna.kowalska@example.pl", "phone": PHONE}
    order = shopper.order("typed-1", contact=contact)
    assert order["shipping_address"]["city"] == "Gdańsk"
    feed_customers(db)
    profile = _profile(client, admin, shopper.id)
    assert _values(profile, "phone") == ["+48601234567"]
    assert _values(profile, "email") == ["anna.kowalska@example.pl"]  # had it: not twice
    assert [(a["street"], a["city"], a["default"]) for a in profile["addresses"]] == [
        ("ul. Długa 45", "Gdańsk", True)
    ]
    # The same again, typed differently, adds nothing; a new address is added.
    same = {**ADDRESS, "street": "UL. DŁUGA  45", "postcode": "80827", "label": "dom"}
    shopper.order("typed-2", contact={"phone": "601 234 567"}, shipping_address=same)
    feed_customers(db)
    again = _profile(client, admin, shopper.id)
    assert (_values(again, "phone"), len(again["addresses"])) == (["+48601234567"], 1)
    assert again["version"] == profile["version"]  # nothing new: the profile is as it was
    work = {"street": "ul. Piotrkowska 1", "postcode": "90-001", "city": "Łódź"}
    shopper.order("typed-3", shipping_address=work)
    feed_customers(db)
    cities = [a["city"] for a in _profile(client, admin, shopper.id)["addresses"]]
    assert cities == ["Gdańsk", "Łódź"]


def test_a_signed_in_customer_may_opt_out_of_saving(
    client: TestClient, shopper: Shopper, admin: dict[str, str], db: Database
) -> None:
    order = shopper.order("opt-out", contact={"phone": PHONE}, save_to_profile=False)
    assert order["contact"]["phone"] == "+48601234567"  # the order keeps what it needs
    feed_customers(db)
    profile = _profile(client, admin, shopper.id)
    assert (_values(profile, "phone"), profile["addresses"]) == ([], [])
    bad = shopper.checkout(shopper.cart(TS_S=1), "opt-bad", save_to_profile="maybe")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "save_to_profile")


def test_an_anonymous_checkout_keeps_the_address_on_the_profile_it_attaches_to(
    client: TestClient, keys: Keys, admin: dict[str, str], db: Database
) -> None:
    cart = _anonymous_cart(client, keys)
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={
            "currency": "PLN",
            "fulfilment": "delivery",
            "shipping_address": ADDRESS,
            "contact": {"email": "jan@example.pl", "phone": PHONE},
            "payment": {"method": "card", "token": "sandbox_ok"},
        },
        headers={**keys["web"], "X-Cart-Token": cart["token"], "Idempotency-Key": "anon"},
    )
    assert r.status_code == 201, r.text
    feed_customers(db)
    profile = _profile(client, admin, r.json()["customer_id"])
    assert (_values(profile, "email"), _values(profile, "phone")) == (
        ["jan@example.pl"],
        ["+48601234567"],
    )
    assert [a["city"] for a in profile["addresses"]] == ["Gdańsk"]


def test_a_pickup_order_without_a_way_to_reach_the_customer_is_refused(
    client: TestClient, keys: Keys, shopper: Shopper, session: Session
) -> None:
    pickup = {
        "currency": "PLN",
        "fulfilment": "pickup",
        "pickup_location_id": str(keys.store.krakow),
        "payment": {"method": "pay_at_pickup"},
    }
    cart = _anonymous_cart(client, keys)
    headers = {**keys["web"], "X-Cart-Token": cart["token"]}
    before = Store.orders(session)
    for i, contact in enumerate([None, {"given_name": "Jan"}]):
        r = client.post(
            f"{API}/carts/{cart['id']}/checkout",
            json={**pickup, "contact": contact},
            headers={**headers, "Idempotency-Key": f"nobody-{i}"},
        )
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "contact"), r.text
    assert Store.orders(session) == before  # nothing written
    reachable = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={**pickup, "contact": {"phone": PHONE}},
        headers={**headers, "Idempotency-Key": "phone"},
    )
    assert reachable.status_code == 201, reachable.text
    # A signed-in customer is reached through their profile.
    signed_in = shopper.checkout(shopper.cart(TS_S=1), "signed-in", **pickup)
    assert signed_in.status_code == 201, signed_in.text


def test_keeping_what_was_typed_costs_a_checkout_no_statement(
    client: TestClient, shopper: Shopper, db: Database
) -> None:
    def statements(key: str, **doc: Any) -> int:
        cart = shopper.cart(TS_S=1)
        with counting(db.engine) as sent:
            assert shopper.checkout(cart, key, **doc).status_code == 201
        return len(sent)

    given = {"contact": {"phone": PHONE}}
    # A worker's first checkout fills its caches (the channel's buffer, `inventory.buffers`).
    statements("warm", **given)
    kept = statements("kept", **given)
    assert kept == statements("not-kept", **given, save_to_profile=False)
    assert kept > 0


def _anonymous_cart(client: TestClient, keys: Keys) -> dict[str, Any]:
    r = client.post(f"{API}/carts", json={}, headers=keys["web"])
    assert r.status_code == 201, r.text
    cart: dict[str, Any] = r.json()
    r = client.post(
        f"{API}/carts/{cart['id']}/lines",
        json={"variant_id": str(keys.store.v("TS-S")), "quantity": 1},
        headers={**keys["web"], "X-Cart-Token": cart["token"]},
    )
    assert r.status_code == 200, r.text
    return cart
