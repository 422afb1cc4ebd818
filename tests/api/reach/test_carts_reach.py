"""Staff scoped to a store sell only through the channels of that store, or through a
channel with no location of its own (a hotline), and change only the carts of such
channels (promise 9). Unscoped staff keep their reach."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.commerce.conftest import API
from tests.api.reach.conftest import SALE, World, staff_cart


def test_a_warsaw_associate_cannot_open_a_cart_in_krakows_till(
    client: TestClient, world: World
) -> None:
    r = client.post(f"{API}/carts", json={"channel": "pos-krk"}, headers=world.waw)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "outside_your_locations"
    assert "pos-krk" in r.json()["detail"]


def test_a_warsaw_associate_sells_at_their_own_till(client: TestClient, world: World) -> None:
    cart = staff_cart(client, world, world.waw, "pos-waw", TS_S=1)
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={**SALE, "channel": "pos-waw"},
        headers={**world.waw, "Idempotency-Key": "waw-sale"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["receipt"]["location_id"] == str(world.warsaw)


def test_a_warsaw_associate_cannot_change_or_check_out_a_cart_of_krakows_till(
    client: TestClient, world: World
) -> None:
    cart = staff_cart(client, world, world.krk, "pos-krk", TS_S=1)
    url = f"{API}/carts/{cart['id']}"
    add = {"variant_id": str(world.v("TS-M")), "quantity": 1}
    for method, path, body in (
        ("POST", "/lines", add),
        ("PUT", f"/lines/{world.v('TS-S')}", {"quantity": 2}),
        ("DELETE", f"/lines/{world.v('TS-S')}", None),
        ("PUT", "/coupons", {"codes": ["WITAJ"]}),
    ):
        r = client.request(
            method, url + path, params={"channel": "pos-waw"}, json=body, headers=world.waw
        )
        assert (r.status_code, r.json()["code"]) == (403, "outside_your_locations"), path
    assert client.post(f"{url}/handoff", headers=world.waw).status_code == 403
    checkout = client.post(
        f"{url}/checkout",
        json={**SALE, "channel": "pos-waw"},
        headers={**world.waw, "Idempotency-Key": "waw-takes-krk"},
    )
    assert (checkout.status_code, checkout.json()["code"]) == (403, "outside_your_locations")
    seen = client.get(url, headers=world.waw)
    assert seen.status_code == 200  # reading stays allowed
    assert [ln["quantity"] for ln in seen.json()["lines"]] == [1]


def test_a_warsaw_associate_cannot_check_out_their_cart_through_krakows_till(
    client: TestClient, world: World
) -> None:
    cart = staff_cart(client, world, world.waw, "pos-waw", TS_S=1)
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={**SALE, "channel": "pos-krk"},
        headers={**world.waw, "Idempotency-Key": "waw-via-krk"},
    )
    assert (r.status_code, r.json()["code"]) == (403, "outside_your_locations")


def test_a_cart_handed_off_to_the_warsaw_till_is_theirs_to_sell(
    client: TestClient, world: World
) -> None:
    cart = staff_cart(client, world, world.krk, "pos-krk", TS_S=1)
    code = client.post(f"{API}/carts/{cart['id']}/handoff", headers=world.krk)
    assert code.status_code == 200, code.text
    opened = client.post(
        f"{API}/carts/handoff/{code.json()['code']}",
        params={"channel": "pos-waw"},
        headers=world.waw,
    )
    assert opened.status_code == 200, opened.text
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={**SALE, "channel": "pos-waw"},
        headers={**world.waw, "Idempotency-Key": "handed-to-waw"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["receipt"]["location_id"] == str(world.warsaw)
    refused = client.post(
        f"{API}/carts/handoff/{code.json()['code']}",
        params={"channel": "pos-krk"},
        headers=world.waw,
    )
    assert refused.status_code == 403


def test_a_scoped_associate_may_sell_through_a_channel_with_no_location(
    client: TestClient, world: World
) -> None:
    cart = staff_cart(client, world, world.waw, "hotline", TS_S=1)
    assert [ln["quantity"] for ln in cart["lines"]] == [1]


def test_an_admin_and_an_agent_open_carts_in_any_till(client: TestClient, world: World) -> None:
    for staff in (world.admin, world.agent):
        r = client.post(f"{API}/carts", json={"channel": "pos-krk"}, headers=staff)
        assert r.status_code == 201, r.text


def test_a_channel_key_and_bad_cart_requests_are_unchanged(
    client: TestClient, world: World
) -> None:
    assert client.post(f"{API}/carts", json={}, headers=world.keys["pos-krk"]).status_code == 201
    unknown = client.post(f"{API}/carts", json={"channel": "nope"}, headers=world.waw)
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "channel")
    assert client.post(f"{API}/carts", json={}, headers=world.waw).status_code == 422
