"""Customer sign-in over HTTP: the storefront registers and signs customers in with
its API key; the customer then calls with their own bearer token, which opens
nothing but their own things."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnichannel.customers.models import CustomerAccount, CustomerToken
from omnichannel.kernel import utcnow
from tests.api.customers.conftest import API, Counts, Headers

AUTH = f"{API}/customers/auth"
EMAIL = "ewa.kowalska@example.com"
PASSWORD = "lato w Sopocie 2026"
SIGN_UP: dict[str, Any] = {
    "email": EMAIL,
    "password": PASSWORD,
    "given_name": "Ewa",
    "family_name": "Kowalska",
}
Make = Callable[..., dict[str, Any]]


@pytest.fixture
def shop(channel_key: Callable[..., Headers]) -> Headers:
    """The web shop's API key: it may identify customers."""
    return channel_key("shop", scopes=["customers:identify", "catalog:read"])


@pytest.fixture
def ewa(client: TestClient, shop: Headers) -> dict[str, Any]:
    """Ewa, signed up through the web shop: the register answer."""
    r = client.post(f"{AUTH}/register", json=SIGN_UP, headers=shop)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def _failed_logins(session: Session, customer_id: str) -> int | None:
    """Wrong passwords in a row, as committed."""
    session.expire_all()
    found = session.scalar(
        select(CustomerAccount.failed_logins).where(
            CustomerAccount.customer_id == uuid.UUID(customer_id)
        )
    )
    session.commit()
    return found


def _login(client: TestClient, shop: Headers, password: str = PASSWORD) -> Any:
    return client.post(f"{AUTH}/login", json={"email": EMAIL, "password": password}, headers=shop)


def test_a_customer_signs_up_through_the_shop_and_sees_themself(
    client: TestClient, ewa: dict[str, Any], admin: Headers
) -> None:
    assert ewa["access_token"].startswith("omct_")
    assert ewa["token_type"] == "bearer"
    me = client.get(f"{AUTH}/me", headers=_bearer(ewa["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "id": ewa["customer_id"],
        "given_name": "Ewa",
        "family_name": "Kowalska",
        "emails": [EMAIL],
    }
    log = client.get(
        f"{API}/customer-audit",
        params={"customer_id": ewa["customer_id"], "action": "read"},
        headers=admin,
    ).json()["items"]
    assert [(e["actor"], e["purpose"]) for e in log] == [(f"customer:{ewa['customer_id']}", "self")]


def test_a_customer_signs_in_with_email_and_password(
    client: TestClient, shop: Headers, ewa: dict[str, Any]
) -> None:
    r = _login(client, shop)
    assert r.status_code == 200, r.text
    assert r.json()["customer_id"] == ewa["customer_id"]
    assert r.json()["access_token"] != ewa["access_token"]
    assert client.get(f"{AUTH}/me", headers=_bearer(r.json()["access_token"])).status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_one_answer(
    client: TestClient, shop: Headers, ewa: dict[str, Any]
) -> None:
    wrong = _login(client, shop, password="to nie moje hasło")
    unknown = client.post(
        f"{AUTH}/login", json={"email": "nikt@example.com", "password": PASSWORD}, headers=shop
    )
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "invalid_credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_five_wrong_passwords_lock_the_account_and_the_count_is_kept(
    client: TestClient, shop: Headers, ewa: dict[str, Any], session: Session
) -> None:
    answers = [_login(client, shop, password=f"zgaduję {i}").status_code for i in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    locked = _login(client, shop)  # even the right password waits
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert locked.json()["retry_after"] == int(locked.headers["Retry-After"])
    assert _failed_logins(session, ewa["customer_id"]) == 5
    # The lock is over: the right password signs in and starts the count afresh.
    session.execute(update(CustomerAccount).values(locked_until=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert _login(client, shop).status_code == 200
    assert _failed_logins(session, ewa["customer_id"]) == 0


def test_signing_out_ends_the_token(client: TestClient, ewa: dict[str, Any]) -> None:
    token = _bearer(ewa["access_token"])
    assert client.post(f"{AUTH}/logout", headers=token).status_code == 204
    r = client.get(f"{AUTH}/me", headers=token)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"


def test_an_expired_token_is_refused(
    client: TestClient, ewa: dict[str, Any], session: Session
) -> None:
    session.execute(update(CustomerToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert client.get(f"{AUTH}/me", headers=_bearer(ewa["access_token"])).status_code == 401


def test_an_email_with_an_account_cannot_sign_up_again(
    client: TestClient, shop: Headers, ewa: dict[str, Any], counts: Counts
) -> None:
    before = counts()
    r = client.post(
        f"{AUTH}/register",
        json={**SIGN_UP, "email": EMAIL.upper(), "given_name": "Ktoś"},
        headers=shop,
    )
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "account_exists"
    assert counts() == before


def test_an_email_of_a_store_profile_is_not_taken_over(
    client: TestClient, shop: Headers, make: Make, counts: Counts
) -> None:
    store = make(given_name="Ewa", emails=[EMAIL])
    before = counts()
    r = client.post(f"{AUTH}/register", json=SIGN_UP, headers=shop)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "email_needs_verification"
    assert store["id"] not in r.text
    assert counts() == before
    assert _login(client, shop).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {**SIGN_UP, "password": "krótkie"},
        {**SIGN_UP, "password": "x" * 129},
        {**SIGN_UP, "email": "ewa@"},
        {**SIGN_UP, "email": "ewa.example.com"},
        {**SIGN_UP, "given_name": "E" * 101},
        {**SIGN_UP, "role": "admin"},
        {"email": EMAIL},
    ],
)
def test_bad_sign_up_input_is_a_422_and_writes_nothing(
    client: TestClient, shop: Headers, counts: Counts, body: dict[str, Any]
) -> None:
    before = counts()
    r = client.post(f"{AUTH}/register", json=body, headers=shop)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert counts() == before


def test_a_password_keeps_its_spaces(client: TestClient, shop: Headers) -> None:
    r = client.post(f"{AUTH}/register", json={**SIGN_UP, "password": f" {PASSWORD} "}, headers=shop)
    assert r.status_code == 201, r.text
    assert _login(client, shop, password=PASSWORD).status_code == 401
    assert _login(client, shop, password=f" {PASSWORD} ").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/customers"),
        ("get", "/staff"),
        ("get", "/auth/me"),
        ("post", "/auth/logout"),
        ("get", "/customer-audit"),
        ("post", "/customers/auth/register"),
    ],
)
def test_a_customer_token_opens_no_staff_or_channel_endpoint(
    client: TestClient, ewa: dict[str, Any], method: str, path: str
) -> None:
    r = client.request(method, f"{API}{path}", headers=_bearer(ewa["access_token"]), json=SIGN_UP)
    assert r.status_code == 403, r.text


def test_only_a_channel_allowed_to_identify_customers_signs_them_in(
    client: TestClient, channel_key: Callable[..., Headers], admin: Headers
) -> None:
    feed = channel_key("feed", scopes=["catalog:read"], type_="marketplace")
    assert client.post(f"{AUTH}/register", json=SIGN_UP, headers=feed).status_code == 403
    assert client.post(f"{AUTH}/register", json=SIGN_UP, headers=admin).status_code == 403
    assert client.post(f"{AUTH}/register", json=SIGN_UP).status_code == 401
    login = {"email": EMAIL, "password": PASSWORD}
    assert client.post(f"{AUTH}/login", json=login, headers=feed).status_code == 403
    assert client.post(f"{AUTH}/login", json=login).status_code == 401


def test_me_is_for_signed_in_customers_only(
    client: TestClient, shop: Headers, admin: Headers
) -> None:
    assert client.get(f"{AUTH}/me").status_code == 401
    assert client.get(f"{AUTH}/me", headers=shop).status_code == 401
    assert client.get(f"{AUTH}/me", headers=admin).status_code == 403
    assert client.post(f"{AUTH}/logout", headers=shop).status_code == 403


def test_an_erased_customer_cannot_sign_in(
    client: TestClient, shop: Headers, ewa: dict[str, Any], admin: Headers
) -> None:
    r = client.post(f"{API}/customers/{ewa['customer_id']}/erase", headers=admin)
    assert r.status_code == 200, r.text
    assert _login(client, shop).status_code == 401
    assert client.get(f"{AUTH}/me", headers=_bearer(ewa["access_token"])).status_code == 401
