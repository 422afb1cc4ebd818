"""Channels, the locations they sell from, and channel API keys."""

from collections.abc import Callable

from fastapi.testclient import TestClient


def test_a_channel_sells_from_ordered_locations_and_serves_pickups(
    client: TestClient, admin: dict[str, str], make_location
) -> None:  # type: ignore[no-untyped-def]
    wh, waw, krk = (
        make_location("WH-1", "warehouse"),
        make_location("ST-WAW"),
        make_location("ST-KRK"),
    )
    body = {
        "code": "web",
        "name": "Sklep www",
        "type": "web",
        "currency": "PLN",
        "sell_from": [str(wh), str(krk), str(waw)],
        "pickup_at": [str(waw), str(krk)],
    }
    r = client.post("/api/v1/channels", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["sell_from"] == [str(wh), str(krk), str(waw)]
    assert r.json()["pickup_at"] == [str(waw), str(krk)]
    upd = client.patch(
        f"/api/v1/channels/{r.json()['id']}", json={"sell_from": [str(waw), str(wh)]}, headers=admin
    )
    assert upd.status_code == 200
    assert upd.json()["sell_from"] == [str(waw), str(wh)]
    assert upd.json()["pickup_at"] == [str(waw), str(krk)]


def test_a_pickup_location_must_offer_pickup(
    client: TestClient, admin: dict[str, str], make_location
) -> None:  # type: ignore[no-untyped-def]
    wh = make_location("WH-1", "warehouse")
    r = client.post(
        "/api/v1/channels",
        json={"code": "web", "name": "W", "type": "web", "pickup_at": [str(wh)]},
        headers=admin,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "pickup_at.0"


def test_an_unknown_type_currency_or_location_is_named(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.post(
        "/api/v1/channels",
        json={"code": "tt", "name": "T", "type": "tv", "currency": "PNL"},
        headers=admin,
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"type", "currency"}
    r = client.post(
        "/api/v1/channels",
        json={
            "code": "tt",
            "name": "T",
            "type": "social",
            "sell_from": ["01900000-0000-7000-8000-000000000000"],
        },
        headers=admin,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "sell_from.0"


def test_a_duplicate_channel_code_is_409(client: TestClient, admin: dict[str, str]) -> None:
    body = {"code": "allegro", "name": "Allegro", "type": "marketplace"}
    assert client.post("/api/v1/channels", json=body, headers=admin).status_code == 201
    assert client.post("/api/v1/channels", json=body, headers=admin).status_code == 409


def test_an_api_key_is_shown_once_stored_hashed_and_attributes_requests_to_its_channel(
    client: TestClient, admin: dict[str, str], session
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from omnichannel.channels.models import ChannelApiKey

    ch = client.post(
        "/api/v1/channels", json={"code": "app", "name": "App", "type": "mobile_app"}, headers=admin
    ).json()
    issued = client.post(
        f"/api/v1/channels/{ch['id']}/api-keys",
        json={"name": "ios", "scopes": ["catalog:read"]},
        headers=admin,
    )
    assert issued.status_code == 201
    secret = issued.json()["key"]
    assert secret.startswith("omck_")
    stored = session.scalars(select(ChannelApiKey)).one()
    assert secret not in (stored.key_hash, stored.prefix)
    listed = client.get(f"/api/v1/channels/{ch['id']}/api-keys", headers=admin).json()
    assert "key" not in listed[0]
    me = client.get("/api/v1/channel", headers={"X-Api-Key": secret})
    assert me.status_code == 200
    assert me.json()["channel"]["code"] == "app"
    assert me.json()["scopes"] == ["catalog:read"]


def test_a_key_may_do_only_what_its_scopes_allow(
    client: TestClient, channel_key: Callable[..., dict[str, str]]
) -> None:
    key = channel_key("web", ["catalog:read"])
    assert client.get("/api/v1/products", headers=key).status_code == 200
    r = client.get("/api/v1/locations", headers=key)
    assert r.status_code == 403
    assert r.json()["required"] == "locations:read"
    assert client.get("/api/v1/channels", headers=key).status_code == 403


def test_a_revoked_key_is_401_at_once(client: TestClient, admin: dict[str, str]) -> None:
    ch = client.post(
        "/api/v1/channels",
        json={"code": "ig", "name": "Instagram", "type": "social"},
        headers=admin,
    ).json()
    issued = client.post(
        f"/api/v1/channels/{ch['id']}/api-keys",
        json={"name": "k", "scopes": ["catalog:read"]},
        headers=admin,
    ).json()
    headers = {"X-Api-Key": issued["key"]}
    assert client.get("/api/v1/channel", headers=headers).status_code == 200
    assert (
        client.delete(
            f"/api/v1/channels/{ch['id']}/api-keys/{issued['id']}", headers=admin
        ).status_code
        == 204
    )
    assert client.get("/api/v1/channel", headers=headers).status_code == 401


def test_a_key_of_a_deactivated_channel_is_401(client: TestClient, admin: dict[str, str]) -> None:
    ch = client.post(
        "/api/v1/channels", json={"code": "pos", "name": "POS", "type": "store_pos"}, headers=admin
    ).json()
    key = client.post(
        f"/api/v1/channels/{ch['id']}/api-keys",
        json={"name": "k", "scopes": ["catalog:read"]},
        headers=admin,
    ).json()["key"]
    client.patch(f"/api/v1/channels/{ch['id']}", json={"status": "inactive"}, headers=admin)
    assert client.get("/api/v1/channel", headers={"X-Api-Key": key}).status_code == 401


def test_a_key_with_an_unknown_scope_or_naive_expiry_is_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    ch = client.post(
        "/api/v1/channels", json={"code": "cc", "name": "BOK", "type": "call_center"}, headers=admin
    ).json()
    r = client.post(
        f"/api/v1/channels/{ch['id']}/api-keys",
        json={"name": "k", "scopes": ["orders:delete"], "expires_at": "2027-01-01T00:00:00"},
        headers=admin,
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"scopes.0", "expires_at"}


def test_an_expired_key_is_401(client: TestClient, admin: dict[str, str]) -> None:
    ch = client.post(
        "/api/v1/channels", json={"code": "old", "name": "Old", "type": "web"}, headers=admin
    ).json()
    key = client.post(
        f"/api/v1/channels/{ch['id']}/api-keys",
        json={"name": "k", "scopes": ["catalog:read"], "expires_at": "2020-01-01T00:00:00Z"},
        headers=admin,
    ).json()["key"]
    assert client.get("/api/v1/channel", headers={"X-Api-Key": key}).status_code == 401


def test_sending_both_a_token_and_a_key_is_401(
    client: TestClient, admin: dict[str, str], channel_key: Callable[..., dict[str, str]]
) -> None:
    r = client.get("/api/v1/channel", headers={**admin, **channel_key()})
    assert r.status_code == 401


def test_a_buffer_beyond_what_a_column_holds_is_422_not_500(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {"code": "allegro", "name": "Allegro", "type": "marketplace", "buffer_units": 2**31}
    r = client.post("/api/v1/channels", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "buffer_units"
    assert client.get("/api/v1/channels", headers=admin).json() == []


def test_delivery_rates_are_read_and_changed_with_the_channel(
    client: TestClient, admin: dict[str, str]
) -> None:
    rates = {"courier": 1499, "locker": 1299, "pickup": 0, "cash_on_delivery": 500}
    body = {"code": "web", "name": "Sklep", "type": "web", "delivery_rates": rates}
    r = client.post("/api/v1/channels", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["delivery_rates"] == rates
    assert r.json()["delivery_price"] == 1499  # the courier rate, for older clients
    url = f"/api/v1/channels/{r.json()['id']}"
    upd = client.patch(url, json={"delivery_rates": {"locker": None}}, headers=admin)
    assert upd.status_code == 200, upd.text
    assert upd.json()["delivery_rates"] == {**rates, "locker": None}
    assert client.get(url, headers=admin).json()["delivery_rates"]["locker"] is None


def test_a_negative_delivery_rate_is_422_and_changes_nothing(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.post(
        "/api/v1/channels", json={"code": "web", "name": "Sklep", "type": "web"}, headers=admin
    )
    url = f"/api/v1/channels/{r.json()['id']}"
    before = client.get(url, headers=admin).json()
    bad = client.patch(url, json={"name": "Inny", "delivery_rates": {"courier": -1}}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "delivery_rates.courier"
    assert client.get(url, headers=admin).json() == before


def test_the_courier_rate_given_twice_is_422(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/channels",
        json={
            "code": "web",
            "name": "Sklep",
            "type": "web",
            "delivery_price": 1499,
            "delivery_rates": {"courier": 999},
        },
        headers=admin,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "delivery_price"
