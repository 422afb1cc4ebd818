"""Availability over HTTP: per channel, in batches, and at pickup stores nearby."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.inventory.conftest import KRAKOW, Shop

API = "/api/v1/availability"


def test_staff_may_see_the_per_location_breakdown_and_channels_may_not(
    client: TestClient, admin: dict[str, str], stocked: Shop, session: Session
) -> None:
    stocked.stock(session, stocked.store, 2)
    v = stocked.variants[0]
    r = client.get(f"{API}/{v}", params={"channel": "web", "detail": "true"}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["channel"], body["available"], body["status"]) == ("web", 12, "in_stock")
    assert [(x["location_id"], x["available"]) for x in body["locations"]] == [
        (str(stocked.warehouse), 10),
        (str(stocked.store), 2),
    ]
    plain = client.get(f"{API}/{v}", headers=stocked.web).json()
    assert (plain["available"], plain["locations"]) == (12, None)
    r = client.get(f"{API}/{v}", params={"detail": "true"}, headers=stocked.web)
    assert r.status_code == 403


def test_availability_needs_a_known_variant_and_for_staff_a_channel(
    client: TestClient, admin: dict[str, str], stocked: Shop, channel_key
) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"{API}/{stocked.warehouse}", headers=stocked.web).status_code == 404
    v = stocked.variants[0]
    r = client.get(f"{API}/{v}", headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "channel"
    assert client.get(f"{API}/{v}", params={"channel": "tv"}, headers=admin).status_code == 404
    other = channel_key("app", ["inventory:read"], "mobile_app")
    assert client.get(f"{API}/{v}", params={"channel": "web"}, headers=other).status_code == 403
    assert client.get(f"{API}/{v}", headers=other).json()["available"] == 0  # sells from nowhere
    no_scope = channel_key("shop2", ["catalog:read"])
    assert client.get(f"{API}/{v}", headers=no_scope).status_code == 403


def test_a_batch_answers_in_the_order_asked(client: TestClient, stocked: Shop) -> None:
    ids = [str(v) for v in reversed(stocked.variants)]
    r = client.post(f"{API}/batch", json={"variant_ids": ids}, headers=stocked.web)
    assert r.status_code == 200, r.text
    assert r.json()["channel"] == "web"
    assert [(x["variant_id"], x["available"]) for x in r.json()["items"]] == [(v, 10) for v in ids]


def test_a_batch_of_too_many_or_unknown_variants_is_refused(
    client: TestClient, stocked: Shop
) -> None:
    ids = [str(stocked.variants[0])] * 501
    r = client.post(f"{API}/batch", json={"variant_ids": ids}, headers=stocked.web)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "variant_ids"
    body = {"variant_ids": [str(stocked.variants[0]), str(stocked.store)]}
    r = client.post(f"{API}/batch", json=body, headers=stocked.web)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["variant_ids.1"]
    assert (
        client.post(f"{API}/batch", json={"variant_ids": []}, headers=stocked.web).status_code
        == 422
    )


def test_pickup_lists_the_stores_that_can_hand_over_nearest_first(
    client: TestClient, shop: Shop, session: Session
) -> None:
    shop.stock(session, shop.store, 3)
    shop.stock(session, shop.other_store, 1)
    v = shop.variants[0]
    near_krakow = {"lat": KRAKOW["latitude"] + 0.01, "lon": KRAKOW["longitude"]}
    r = client.get(f"{API}/{v}/pickup", params=near_krakow, headers=shop.web)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["distance_approximate"] is False
    assert [(o["code"], o["can_hand_over"]) for o in body["options"]] == [
        ("ST-KRK", True),
        ("ST-WAW", True),
    ]
    first, second = (o["distance_km"] for o in body["options"])
    assert first < 2 < 240 < second < 270
    two = client.get(f"{API}/{v}/pickup", params={**near_krakow, "quantity": 2}, headers=shop.web)
    assert [o["code"] for o in two.json()["options"] if o["can_hand_over"]] == ["ST-WAW"]
    assert [o["code"] for o in two.json()["options"]] == ["ST-WAW", "ST-KRK"]


def test_pickup_from_a_postcode_says_the_distance_is_approximate(
    client: TestClient, shop: Shop
) -> None:
    r = client.get(
        f"{API}/{shop.variants[0]}/pickup", params={"postcode": "00-017"}, headers=shop.web
    )
    assert r.status_code == 200, r.text
    assert r.json()["distance_approximate"] is True
    assert r.json()["options"][0]["code"] == "ST-WAW"
    assert r.json()["options"][0]["distance_km"] < 5


def test_pickup_needs_exactly_one_known_place_and_a_known_variant(
    client: TestClient, shop: Shop
) -> None:
    url = f"{API}/{shop.variants[0]}/pickup"
    for params, fields in (
        ({}, {"lat", "lon"}),
        ({"lat": 52.0}, {"lon"}),
        ({"lat": 52.0, "lon": 21.0, "postcode": "00-017"}, {"postcode"}),
        ({"postcode": "ABCDE"}, {"postcode"}),
        ({"lat": 91, "lon": 0}, {"lat"}),
        ({"lat": "nan", "lon": 0}, {"lat"}),
        ({"postcode": "00-017", "quantity": 0}, {"quantity"}),
    ):
        r = client.get(url, params=params, headers=shop.web)
        assert r.status_code == 422, params
        assert {e["field"] for e in r.json()["errors"]} == fields, params
    r = client.get(f"{API}/{shop.store}/pickup", params={"postcode": "00-017"}, headers=shop.web)
    assert r.status_code == 404
