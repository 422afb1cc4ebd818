"""Signing in, bearer tokens, and what each role may not do."""

from collections.abc import Callable

from fastapi.testclient import TestClient

Login = Callable[..., dict[str, str]]


def test_a_request_without_credentials_is_401(client: TestClient) -> None:
    r = client.get("/api/v1/locations")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unauthenticated"
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_made_up_token_is_401(client: TestClient) -> None:
    r = client.get("/api/v1/locations", headers={"Authorization": "Bearer omst_not-a-token"})
    assert r.status_code == 401


def test_a_wrong_password_is_401_and_says_nothing_about_which_part_was_wrong(
    client: TestClient, admin: dict[str, str]
) -> None:
    me = client.get("/api/v1/auth/me", headers=admin).json()
    wrong_password = client.post(
        "/api/v1/auth/login", json={"email": me["email"], "password": "nope-nope-nope"}
    )
    unknown_user = client.post(
        "/api/v1/auth/login", json={"email": "ghost@example.com", "password": "nope-nope-nope"}
    )
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json()["detail"] == unknown_user.json()["detail"]


def test_a_login_without_a_password_is_422_naming_the_field(client: TestClient) -> None:
    r = client.post("/api/v1/auth/login", json={"email": "a@example.com"})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["password"]


def test_a_signed_in_user_sees_themself(client: TestClient, admin: dict[str, str]) -> None:
    r = client.get("/api/v1/auth/me", headers=admin)
    assert r.status_code == 200
    assert r.json()["role"] == "admin"
    assert "password_hash" not in r.json()


def test_logging_out_revokes_the_token(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/api/v1/auth/logout", headers=admin).status_code == 204
    assert client.get("/api/v1/auth/me", headers=admin).status_code == 401


def test_deactivating_a_user_ends_their_sessions(
    client: TestClient, admin: dict[str, str], login_as: Login
) -> None:
    agent = login_as("call_center_agent")
    agent_id = client.get("/api/v1/auth/me", headers=agent).json()["id"]
    r = client.patch(f"/api/v1/staff/{agent_id}", json={"active": False}, headers=admin)
    assert r.status_code == 200
    assert client.get("/api/v1/auth/me", headers=agent).status_code == 401


# --- one refused call for each role -------------------------------------------------


def test_an_admin_cannot_call_a_channel_only_endpoint(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.get("/api/v1/channel", headers=admin)
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"


def test_an_admin_cannot_demote_themself(client: TestClient, admin: dict[str, str]) -> None:
    me = client.get("/api/v1/auth/me", headers=admin).json()
    r = client.patch(f"/api/v1/staff/{me['id']}", json={"role": "call_center_agent"}, headers=admin)
    assert r.status_code == 403


def test_a_store_associate_cannot_edit_another_store(
    client: TestClient, login_as: Login, make_location
) -> None:  # type: ignore[no-untyped-def]
    mine, other = make_location("ST-MINE"), make_location("ST-OTHER")
    associate = login_as("store_associate", [mine])
    hours = {"opening_hours": {"weekly": {"sun": [["10:00", "18:00"]]}}}
    assert (
        client.patch(f"/api/v1/locations/{mine}", json=hours, headers=associate).status_code == 200
    )
    r = client.patch(f"/api/v1/locations/{other}", json=hours, headers=associate)
    assert r.status_code == 403
    assert r.json()["code"] == "outside_your_locations"


def test_a_store_associate_cannot_change_what_only_managers_change(
    client: TestClient, login_as: Login, make_location
) -> None:  # type: ignore[no-untyped-def]
    mine = make_location("ST-MINE")
    associate = login_as("store_associate", [mine])
    r = client.patch(f"/api/v1/locations/{mine}", json={"status": "inactive"}, headers=associate)
    assert r.status_code == 403


def test_a_call_center_agent_cannot_create_a_channel(client: TestClient, login_as: Login) -> None:
    r = client.post(
        "/api/v1/channels",
        json={"code": "tiktok", "name": "TikTok", "type": "social"},
        headers=login_as("call_center_agent"),
    )
    assert r.status_code == 403
    assert r.json()["required"] == "channels:manage"


def test_a_warehouse_operator_cannot_edit_a_store(
    client: TestClient, login_as: Login, make_location
) -> None:  # type: ignore[no-untyped-def]
    warehouse, store = make_location("WH-1", "warehouse"), make_location("ST-1")
    operator = login_as("warehouse_operator", [warehouse])
    r = client.patch(f"/api/v1/locations/{store}", json={"phone": "+48 1"}, headers=operator)
    assert r.status_code == 403


def test_a_marketing_analyst_cannot_read_staff_personal_data(
    client: TestClient, login_as: Login
) -> None:
    r = client.get("/api/v1/staff", headers=login_as("marketing_analyst"))
    assert r.status_code == 403
