"""Warehouses and stores over HTTP."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnichannel.db import OutboxEvent
from tests.conftest import location_doc


def test_an_admin_opens_a_store_and_reads_it_back(
    client: TestClient, admin: dict[str, str]
) -> None:
    doc = location_doc(
        "ST-KRK-02",
        address={
            "street": "ul. Floriańska 20",
            "city": "Kraków",
            "postcode": "31021",
            "country": "PL",
        },
    )
    r = client.post("/api/v1/locations", json=doc, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["address"]["postcode"] == "31-021"
    assert r.headers["etag"] == 'W/"1"'
    got = client.get(f"/api/v1/locations/{created['id']}", headers=admin)
    assert got.json() == created


def test_a_bad_postcode_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, admin: dict[str, str], session
) -> None:  # type: ignore[no-untyped-def]
    doc = location_doc(
        "ST-BAD", address={"street": "x", "city": "Kraków", "postcode": "3-1021", "country": "PL"}
    )
    r = client.post("/api/v1/locations", json=doc, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "address"
    assert "postcode" in r.json()["errors"][0]["message"]
    assert (
        session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.type == "location.created")
        )
        == 0
    )


def test_bad_hours_timezone_and_coordinates_are_named(
    client: TestClient, admin: dict[str, str]
) -> None:
    doc = location_doc(
        "ST-BAD",
        timezone="Europe/Warszawa",
        coordinates={"latitude": 95, "longitude": 18},
        opening_hours={"weekly": {"mon": [["21:00", "10:00"]]}},
    )
    r = client.post("/api/v1/locations", json=doc, headers=admin)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"timezone", "coordinates.latitude", "opening_hours.weekly"}


def test_a_warehouse_cannot_ship_from_store(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/locations",
        json=location_doc("WH-X", "warehouse", capabilities=["ship_from_store"]),
        headers=admin,
    )
    assert r.status_code == 422


def test_a_duplicate_code_is_409(client: TestClient, admin: dict[str, str]) -> None:
    assert (
        client.post("/api/v1/locations", json=location_doc("ST-DUP"), headers=admin).status_code
        == 201
    )
    r = client.post("/api/v1/locations", json=location_doc("ST-DUP"), headers=admin)
    assert r.status_code == 409
    assert r.json()["code"] == "location_code_taken"


def test_an_unknown_location_is_404(client: TestClient, admin: dict[str, str]) -> None:
    r = client.get("/api/v1/locations/01900000-0000-7000-8000-000000000000", headers=admin)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_listing_filters_by_type_and_capability_and_pages_with_a_cursor(
    client: TestClient, admin: dict[str, str], make_location
) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        make_location(f"ST-{i}")
    make_location("WH-0", "warehouse")
    first = client.get(
        "/api/v1/locations", params={"type": "store", "limit": 3}, headers=admin
    ).json()
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    rest = client.get(
        "/api/v1/locations",
        params={"type": "store", "limit": 3, "cursor": first["next_cursor"]},
        headers=admin,
    ).json()
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
    codes = [x["code"] for x in first["items"] + rest["items"]]
    assert sorted(codes) == [f"ST-{i}" for i in range(5)]
    ships = client.get("/api/v1/locations", params={"capability": "ships"}, headers=admin).json()
    assert [x["code"] for x in ships["items"]] == ["WH-0"]


def test_a_garbled_cursor_is_422(client: TestClient, admin: dict[str, str]) -> None:
    r = client.get("/api/v1/locations", params={"cursor": "!!!"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cursor"


def test_an_edit_with_a_stale_etag_is_412_and_a_fresh_one_succeeds(
    client: TestClient, admin: dict[str, str], make_location
) -> None:  # type: ignore[no-untyped-def]
    loc = make_location("ST-E")
    assert (
        client.patch(
            f"/api/v1/locations/{loc}", json={"name": "Renamed"}, headers=admin
        ).status_code
        == 200
    )
    stale = client.patch(
        f"/api/v1/locations/{loc}", json={"name": "Again"}, headers={**admin, "If-Match": 'W/"1"'}
    )
    assert stale.status_code == 412
    fresh = client.patch(
        f"/api/v1/locations/{loc}", json={"name": "Again"}, headers={**admin, "If-Match": 'W/"2"'}
    )
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == 'W/"3"'


def test_an_unused_location_can_be_deleted_but_one_a_channel_sells_from_cannot(
    client: TestClient, admin: dict[str, str], make_location
) -> None:  # type: ignore[no-untyped-def]
    unused, used = make_location("ST-U"), make_location("ST-USED")
    assert client.delete(f"/api/v1/locations/{unused}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/locations/{unused}", headers=admin).status_code == 404
    r = client.post(
        "/api/v1/channels",
        json={"code": "web", "name": "Web", "type": "web", "sell_from": [str(used)]},
        headers=admin,
    )
    assert r.status_code == 201
    r = client.delete(f"/api/v1/locations/{used}", headers=admin)
    assert r.status_code == 409
    assert r.json()["code"] == "location_in_use"
    assert client.get(f"/api/v1/locations/{used}", headers=admin).status_code == 200
