"""Staff accounts: created by admins, scoped to the right kind of location."""

from fastapi.testclient import TestClient


def _body(role: str, **kw: object) -> dict[str, object]:
    return {
        "email": f"{role}@domistyl.pl",
        "full_name": "Jan Kowalski",
        "password": "long-enough-pw",
        "role": role,
        **kw,
    }


def test_an_admin_creates_a_scoped_store_associate(
    client: TestClient, admin: dict[str, str], make_location
) -> None:  # type: ignore[no-untyped-def]
    store = make_location("ST-WAW-9")
    r = client.post(
        "/api/v1/staff", json=_body("store_associate", location_ids=[str(store)]), headers=admin
    )
    assert r.status_code == 201, r.text
    assert r.json()["location_ids"] == [str(store)]
    login = client.post(
        "/api/v1/auth/login",
        json={"email": "STORE_ASSOCIATE@domistyl.pl", "password": "long-enough-pw"},
    )
    assert login.status_code == 200


def test_a_store_associate_must_be_scoped_to_a_store_not_a_warehouse(
    client: TestClient, admin: dict[str, str], make_location
) -> None:  # type: ignore[no-untyped-def]
    wh = make_location("WH-9", "warehouse")
    r = client.post(
        "/api/v1/staff", json=_body("store_associate", location_ids=[str(wh)]), headers=admin
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "location_ids.0"


def test_a_scoped_role_without_locations_is_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.post("/api/v1/staff", json=_body("warehouse_operator"), headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "location_ids"


def test_a_duplicate_email_is_409(client: TestClient, admin: dict[str, str]) -> None:
    assert (
        client.post("/api/v1/staff", json=_body("call_center_agent"), headers=admin).status_code
        == 201
    )
    r = client.post("/api/v1/staff", json=_body("call_center_agent"), headers=admin)
    assert r.status_code == 409
    assert r.json()["code"] == "email_taken"


def test_a_short_password_and_an_unknown_role_are_named(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.post("/api/v1/staff", json=_body("cashier", password="short"), headers=admin)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"password", "role"}


def test_an_unknown_staff_id_is_404(client: TestClient, admin: dict[str, str]) -> None:
    r = client.get("/api/v1/staff/01900000-0000-7000-8000-000000000000", headers=admin)
    assert r.status_code == 404


def test_a_malformed_staff_id_is_422(client: TestClient, admin: dict[str, str]) -> None:
    r = client.get("/api/v1/staff/not-a-uuid", headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "staff_id"
