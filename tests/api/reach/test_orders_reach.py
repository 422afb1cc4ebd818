"""Staff scoped to a store act only on the orders of that store (promise 9): a pickup
order is its pickup store's to move on and hand over; any staff member allowed to
read orders may still look one up, wherever it is."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.commerce.conftest import API
from tests.api.reach.conftest import SALE, World, krakow_pickup, staff_cart


def _order(client: TestClient, world: World, order_id: str) -> dict[str, object]:
    r = client.get(f"{API}/orders/{order_id}", headers=world.admin)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_warsaw_associate_cannot_hand_over_a_krakow_pickup(
    client: TestClient, world: World
) -> None:
    order_id = krakow_pickup(client, world)
    r = client.post(
        f"{API}/orders/{order_id}/transitions", json={"to": "collected"}, headers=world.waw
    )
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "outside_your_locations"
    assert str(world.krakow) in r.json()["detail"]
    order = _order(client, world, order_id)
    assert (order["status"], order["payment_status"]) == ("ready_for_pickup", "authorised")


def test_a_krakow_associate_hands_over_a_krakow_pickup_and_the_payment_is_captured(
    client: TestClient, world: World
) -> None:
    order_id = krakow_pickup(client, world)
    moves = f"{API}/orders/{order_id}/transitions"
    r = client.post(moves, json={"to": "collected", "channel": "pos-krk"}, headers=world.krk)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["payment_status"]) == ("collected", "captured")


def test_a_krakow_associate_records_a_move_only_in_a_channel_they_sell_through(
    client: TestClient, world: World
) -> None:
    order_id = krakow_pickup(client, world)
    moves = f"{API}/orders/{order_id}/transitions"
    r = client.post(moves, json={"to": "collected", "channel": "pos-waw"}, headers=world.krk)
    assert (r.status_code, r.json()["code"]) == (403, "outside_your_locations")
    assert _order(client, world, order_id)["status"] == "ready_for_pickup"


def test_a_pickup_order_is_moved_on_by_its_pickup_store_wherever_its_goods_come_from(
    client: TestClient, world: World
) -> None:
    order_id = krakow_pickup(client, world, to="confirmed")
    lines = _order(client, world, order_id)["lines"]
    assert {a["location_id"] for ln in lines for a in ln["allocations"]} <= {  # type: ignore[index]
        str(world.keys.store.warehouse),
        str(world.krakow),
    }
    moves = f"{API}/orders/{order_id}/transitions"
    assert client.post(moves, json={"to": "allocated"}, headers=world.waw).status_code == 403
    assert client.post(moves, json={"to": "allocated"}, headers=world.krk).status_code == 200


def test_a_warsaw_associate_may_read_a_krakow_order(client: TestClient, world: World) -> None:
    order_id = krakow_pickup(client, world)
    r = client.get(f"{API}/orders/{order_id}", headers=world.waw)
    assert r.status_code == 200, r.text
    assert r.json()["pickup_location_id"] == str(world.krakow)
    history = client.get(f"{API}/orders/{order_id}/history", headers=world.waw)
    assert history.status_code == 200
    assert history.json()[-1]["to_status"] == "ready_for_pickup"


def test_a_warsaw_associate_cannot_cancel_a_krakow_order(client: TestClient, world: World) -> None:
    order_id = krakow_pickup(client, world)
    r = client.post(f"{API}/orders/{order_id}/cancel", json={}, headers=world.waw)
    assert (r.status_code, r.json()["code"]) == (403, "outside_your_locations")
    assert _order(client, world, order_id)["status"] == "ready_for_pickup"


def test_an_order_of_the_associates_own_store_is_theirs_to_move_on(
    client: TestClient, world: World
) -> None:
    cart = staff_cart(client, world, world.waw, "pos-waw", TS_M=1)
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={
            **SALE,
            "channel": "pos-waw",
            "fulfilment": "delivery",
            "payment": {"method": "card", "token": "sandbox_ok"},
            "contact": {"email": "jan@example.pl"},
            "shipping_address": {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk"},
        },
        headers={**world.waw, "Idempotency-Key": "waw-delivery"},
    )
    assert r.status_code == 201, r.text
    assert [a["location_id"] for a in r.json()["lines"][0]["allocations"]] == [str(world.warsaw)]
    moves = f"{API}/orders/{r.json()['id']}/transitions"
    assert client.post(moves, json={"to": "allocated"}, headers=world.krk).status_code == 403
    assert client.post(moves, json={"to": "allocated"}, headers=world.waw).status_code == 200
    cancel = client.post(f"{API}/orders/{r.json()['id']}/cancel", json={}, headers=world.waw)
    assert cancel.status_code == 200, cancel.text


def test_an_admin_and_an_agent_keep_their_reach_over_every_store(
    client: TestClient, world: World
) -> None:
    for staff in (world.admin, world.agent):
        order_id = krakow_pickup(client, world)
        r = client.post(
            f"{API}/orders/{order_id}/transitions", json={"to": "collected"}, headers=staff
        )
        assert r.status_code == 200, r.text


def test_bad_moves_by_a_scoped_associate_answer_4xx(client: TestClient, world: World) -> None:
    order_id = krakow_pickup(client, world)
    moves = f"{API}/orders/{order_id}/transitions"
    assert client.post(moves, json={"to": "flying"}, headers=world.waw).status_code == 422
    unknown = client.post(
        f"{API}/orders/00000000-0000-0000-0000-000000000000/transitions",
        json={"to": "collected"},
        headers=world.waw,
    )
    assert unknown.status_code == 404
    assert client.post(moves, json={"to": "collected"}).status_code == 401
