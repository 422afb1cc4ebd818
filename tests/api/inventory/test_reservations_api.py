"""Reservations over HTTP: channels hold for their own carts, staff for anyone, and
nobody releases what is not theirs."""

from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from tests.api.inventory.conftest import Shop

API = "/api/v1/reservations"
Login = Callable[..., dict[str, str]]


def _hold(
    shop: Shop, quantity: int = 3, owner_id: str = "cart-1", **extra: object
) -> dict[str, object]:
    return {
        "lines": [
            {
                "variant_id": str(shop.variants[0]),
                "location_id": str(shop.warehouse),
                "quantity": quantity,
            }
        ],
        "owner_type": "cart",
        "owner_id": owner_id,
        **extra,
    }


def _available(client: TestClient, shop: Shop) -> int:
    r = client.get(f"/api/v1/availability/{shop.variants[0]}", headers=shop.web)
    assert r.status_code == 200, r.text
    return int(r.json()["available"])


def _reserve(
    client: TestClient, headers: dict[str, str], body: dict[str, object]
) -> dict[str, object]:
    r = client.post(API, json=body, headers=headers)
    assert r.status_code == 201, r.text
    [res] = r.json()["reservations"]
    return dict(res)


def test_a_channel_hold_lowers_availability_until_it_is_released(
    client: TestClient, stocked: Shop
) -> None:
    assert _available(client, stocked) == 10
    res = _reserve(client, stocked.web, _hold(stocked, 3))
    assert res["status"] == "active"
    assert res["channel_id"] == str(stocked.channel_id)
    assert _available(client, stocked) == 7
    owner = {"owner_type": "cart", "owner_id": "cart-1"}
    r = client.post(f"{API}/{res['id']}/release", json=owner, headers=stocked.web)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "released"
    assert _available(client, stocked) == 10
    again = client.get(f"{API}/{res['id']}", params=owner, headers=stocked.web)
    assert again.json()["status"] == "released"


def test_a_channel_hold_lasts_fifteen_minutes_unless_asked_and_a_staff_hold_until_released(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    res = _reserve(client, stocked.web, _hold(stocked, 1))
    created, expires = (datetime.fromisoformat(str(res[k])) for k in ("created_at", "expires_at"))
    assert expires - created == timedelta(seconds=900)
    assert _reserve(client, stocked.web, _hold(stocked, 1, ttl_seconds=None))["expires_at"] is None
    staff = _reserve(client, admin, _hold(stocked, 1, channel="web"))
    assert (staff["expires_at"], staff["channel_id"]) == (None, str(stocked.channel_id))


def test_a_hold_beyond_the_stock_is_refused_and_takes_nothing(
    client: TestClient, stocked: Shop
) -> None:
    body = _hold(stocked, 4)
    body["lines"] = [
        *body["lines"],
        {
            "variant_id": str(stocked.variants[1]),
            "location_id": str(stocked.warehouse),
            "quantity": 11,
        },
    ]  # type: ignore[list-item]
    r = client.post(API, json=body, headers=stocked.web)
    assert r.status_code == 409
    assert r.json()["code"] == "insufficient_stock"
    assert r.json()["available"] == 10
    assert _available(client, stocked) == 10


def test_a_hold_of_nothing_or_of_an_unknown_variant_is_refused(
    client: TestClient, stocked: Shop
) -> None:
    r = client.post(API, json=_hold(stocked, 0), headers=stocked.web)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lines.0.quantity"
    body = _hold(stocked)
    body["lines"] = [
        {"variant_id": str(stocked.store), "location_id": str(stocked.warehouse), "quantity": 1}
    ]
    r = client.post(API, json=body, headers=stocked.web)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lines.0.variant_id"


def test_staff_name_the_channel_and_a_channel_cannot_name_another(
    client: TestClient, admin: dict[str, str], stocked: Shop, channel_key
) -> None:  # type: ignore[no-untyped-def]
    r = client.post(API, json=_hold(stocked), headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "channel"
    assert client.post(API, json=_hold(stocked, channel="nope"), headers=admin).status_code == 404
    channel_key("app", ["inventory:reserve"], "mobile_app")
    r = client.post(API, json=_hold(stocked, channel="app"), headers=stocked.web)
    assert r.status_code == 403
    assert _reserve(client, stocked.web, _hold(stocked, channel="web"))["status"] == "active"


def test_releasing_someone_elses_reservation_is_forbidden(
    client: TestClient, stocked: Shop
) -> None:
    res = _reserve(client, stocked.web, _hold(stocked, owner_id="cart-1"))
    r = client.post(
        f"{API}/{res['id']}/release",
        json={"owner_type": "cart", "owner_id": "cart-2"},
        headers=stocked.web,
    )
    assert r.status_code == 403
    assert r.json()["code"] == "not_reservation_owner"
    r = client.post(f"{API}/{res['id']}/release", headers=stocked.web)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"owner_type", "owner_id"}
    assert _available(client, stocked) == 7


def test_a_channel_cannot_touch_another_channels_reservation(
    client: TestClient, stocked: Shop, channel_key
) -> None:  # type: ignore[no-untyped-def]
    res = _reserve(client, stocked.web, _hold(stocked))
    app = channel_key("app", ["inventory:reserve"], "mobile_app")
    owner = {"owner_type": "cart", "owner_id": "cart-1"}
    for action, body in (
        ("release", owner),
        ("extend", {**owner, "ttl_seconds": 60}),
        ("commit", owner),
    ):
        r = client.post(f"{API}/{res['id']}/{action}", json=body, headers=app)
        assert r.status_code == 403, action
        assert r.json()["code"] == "not_reservation_owner"
    assert client.get(f"{API}/{res['id']}", params=owner, headers=app).status_code == 403
    r = client.post(f"{API}/release-owner", json=owner, headers=app)
    assert r.json() == {"released": 0}
    assert _available(client, stocked) == 7


def test_a_hold_is_extended_then_committed_once_as_a_sale(
    client: TestClient, admin: dict[str, str], stocked: Shop
) -> None:
    res = _reserve(client, stocked.web, _hold(stocked, 2))
    owner = {"owner_type": "cart", "owner_id": "cart-1"}
    r = client.post(
        f"{API}/{res['id']}/extend", json={**owner, "ttl_seconds": 3600}, headers=stocked.web
    )
    assert r.status_code == 200
    assert datetime.fromisoformat(r.json()["expires_at"]) > datetime.fromisoformat(
        str(res["expires_at"])
    )
    r = client.post(
        f"{API}/{res['id']}/commit", json={**owner, "reference": "ORD-9"}, headers=stocked.web
    )
    assert r.status_code == 200
    assert r.json()["status"] == "committed"
    again = client.post(f"{API}/{res['id']}/commit", json=owner, headers=stocked.web)
    assert again.status_code == 409
    assert again.json()["code"] == "reservation_not_active"
    moves = client.get(
        "/api/v1/inventory/movements",
        params={"variant_id": str(stocked.variants[0])},
        headers=admin,
    ).json()["items"]
    assert [(m["kind"], m["quantity"], m["reference_id"], m["actor"]) for m in moves][-1] == (
        "sale",
        -2,
        "ORD-9",
        "channel:web",
    )


def test_extending_by_nothing_or_an_unknown_reservation_is_refused(
    client: TestClient, stocked: Shop
) -> None:
    res = _reserve(client, stocked.web, _hold(stocked))
    owner = {"owner_type": "cart", "owner_id": "cart-1"}
    r = client.post(
        f"{API}/{res['id']}/extend", json={**owner, "ttl_seconds": 0}, headers=stocked.web
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "ttl_seconds"
    missing = stocked.variants[0]
    for action in ("release", "commit"):
        assert (
            client.post(f"{API}/{missing}/{action}", json=owner, headers=stocked.web).status_code
            == 404
        )
    assert client.get(f"{API}/{missing}", params=owner, headers=stocked.web).status_code == 404


def test_an_abandoned_cart_releases_every_hold_at_once(client: TestClient, stocked: Shop) -> None:
    for v in stocked.variants[:2]:
        body = _hold(stocked, 2)
        body["lines"] = [
            {"variant_id": str(v), "location_id": str(stocked.warehouse), "quantity": 2}
        ]
        _reserve(client, stocked.web, body)
    r = client.post(
        f"{API}/release-owner",
        json={"owner_type": "cart", "owner_id": "cart-1"},
        headers=stocked.web,
    )
    assert r.status_code == 200
    assert r.json() == {"released": 2}
    assert _available(client, stocked) == 10
    bad = client.post(
        f"{API}/release-owner", json={"owner_type": "basket", "owner_id": "x"}, headers=stocked.web
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "owner_type"


def test_store_staff_hold_and_release_only_at_their_own_stores(
    client: TestClient, login_as: Login, stocked: Shop, session
) -> None:  # type: ignore[no-untyped-def]
    stocked.stock(session, stocked.store, 5)
    associate = login_as("store_associate", [stocked.store])
    at_store = _hold(stocked, 1, owner_id="walk-in", channel="web")
    at_store["lines"][0]["location_id"] = str(stocked.store)  # type: ignore[index]
    mine = _reserve(client, associate, at_store)
    assert client.post(f"{API}/{mine['id']}/release", headers=associate).status_code == 200
    assert (
        client.post(API, json=_hold(stocked, channel="web"), headers=associate).status_code == 403
    )
    theirs = _reserve(client, stocked.web, _hold(stocked))
    r = client.post(f"{API}/{theirs['id']}/release", headers=associate)
    assert r.status_code == 403
    r = client.post(
        f"{API}/release-owner", json={"owner_type": "cart", "owner_id": "cart-1"}, headers=associate
    )
    assert r.status_code == 403
    agent = login_as("call_center_agent")
    assert (
        client.post(f"{API}/{theirs['id']}/release", headers=agent).json()["status"] == "released"
    )


def test_callers_without_the_reserve_permission_are_refused(
    client: TestClient, login_as: Login, stocked: Shop, channel_key
) -> None:  # type: ignore[no-untyped-def]
    reader = channel_key("feed", ["inventory:read"], "marketplace")
    assert client.post(API, json=_hold(stocked), headers=reader).status_code == 403
    analyst = login_as("marketing_analyst")
    assert client.post(API, json=_hold(stocked, channel="web"), headers=analyst).status_code == 403


def test_a_channel_cannot_hold_stock_at_a_location_it_neither_sells_from_nor_hands_over_at(
    client: TestClient,
    session,
    stocked: Shop,  # type: ignore[no-untyped-def]
) -> None:
    from tests.api.inventory.conftest import _location

    elsewhere = _location(session, "ST-GDN")
    stocked.stock(session, elsewhere, 5, stocked.variants[0])
    body = _hold(stocked, 1)
    body["lines"] = [
        {"variant_id": str(stocked.variants[0]), "location_id": str(elsewhere), "quantity": 1}
    ]
    r = client.post(API, json=body, headers=stocked.web)
    assert r.status_code == 422
    assert r.json()["errors"][0]["type"] == "location_not_in_channel"
    assert r.json()["errors"][0]["field"] == "lines.0.location_id"
