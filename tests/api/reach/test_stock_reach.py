"""Staff scoped to a store hold, receive, adjust, count and send only that store's
stock (promise 9); each refusal is the same 403 `outside_your_locations`."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.api.commerce.conftest import API
from tests.api.reach.conftest import World


def _hold(world: World, location: uuid.UUID, channel: str, owner_id: str) -> dict[str, Any]:
    return {
        "lines": [
            {"variant_id": str(world.v("TS-S")), "location_id": str(location), "quantity": 1}
        ],
        "owner_type": "hold",
        "owner_id": owner_id,
        "channel": channel,
    }


def _refused(r: Any) -> None:
    assert (r.status_code, r.json()["code"]) == (403, "outside_your_locations"), r.text


def test_a_warsaw_associate_cannot_hold_or_release_krakow_stock(
    client: TestClient, world: World
) -> None:
    _refused(
        client.post(
            f"{API}/reservations",
            json=_hold(world, world.krakow, "pos-krk", "c1"),
            headers=world.waw,
        )
    )
    held = client.post(
        f"{API}/reservations", json=_hold(world, world.krakow, "pos-krk", "c1"), headers=world.krk
    )
    assert held.status_code == 201, held.text
    [res] = held.json()["reservations"]
    _refused(client.post(f"{API}/reservations/{res['id']}/release", headers=world.waw))
    owner = {"owner_type": "hold", "owner_id": "c1"}
    _refused(client.post(f"{API}/reservations/release-owner", json=owner, headers=world.waw))
    again = client.post(f"{API}/reservations/release-owner", json=owner, headers=world.krk)
    assert again.json() == {"released": 1}


def test_a_warsaw_associate_holds_warsaw_stock_for_their_till(
    client: TestClient, world: World
) -> None:
    r = client.post(
        f"{API}/reservations", json=_hold(world, world.warsaw, "pos-waw", "c2"), headers=world.waw
    )
    assert r.status_code == 201, r.text
    bad = client.post(
        f"{API}/reservations",
        json={**_hold(world, world.warsaw, "pos-waw", "c2"), "lines": []},
        headers=world.waw,
    )
    assert bad.status_code == 422


def test_a_warsaw_associate_cannot_receive_adjust_count_or_send_krakow_stock(
    client: TestClient, world: World
) -> None:
    variant, krakow = str(world.v("TS-S")), str(world.krakow)
    line = {"variant_id": variant, "quantity": 1}
    for path, body in (
        ("receipts", {"location_id": krakow, "lines": [line]}),
        (
            "adjustments",
            {"location_id": krakow, "variant_id": variant, "quantity": -1, "reason": "damaged"},
        ),
        ("counts", {"location_id": krakow, "lines": [{"variant_id": variant, "counted": 0}]}),
        (
            "transfers",
            {"from_location_id": krakow, "to_location_id": str(world.warsaw), "lines": [line]},
        ),
    ):
        _refused(client.post(f"{API}/inventory/{path}", json=body, headers=world.waw))


def test_stock_sent_from_warsaw_to_krakow_is_received_by_krakow_only(
    client: TestClient, world: World
) -> None:
    line = {"variant_id": str(world.v("TS-S")), "quantity": 1}
    sent = client.post(
        f"{API}/inventory/transfers",
        json={
            "from_location_id": str(world.warsaw),
            "to_location_id": str(world.krakow),
            "lines": [line],
        },
        headers=world.waw,
    )
    assert sent.status_code == 201, sent.text
    receive = f"{API}/inventory/transfers/{sent.json()['id']}/receive"
    _refused(client.post(receive, headers=world.waw))
    assert client.post(receive, headers=world.krk).status_code == 200


def test_an_admin_keeps_its_reach_over_every_stock(client: TestClient, world: World) -> None:
    body = {
        "location_id": str(world.krakow),
        "lines": [{"variant_id": str(world.v("TS-S")), "quantity": 1}],
    }
    assert (
        client.post(f"{API}/inventory/receipts", json=body, headers=world.admin).status_code == 200
    )
