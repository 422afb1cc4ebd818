"""Gift cards and store credit over HTTP: staff issue them (the code shown once),
read and block them; a channel or a signed-in customer checks a balance by code in
a POST body; every bad request is a 4xx that changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from omnichannel.customers.profiles import create_customer
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.kernel import utcnow
from omnichannel.payments import codes
from omnichannel.payments.models_stored_value import StoredValueAccount

API = "/api/v1"
Headers = dict[str, str]


def _issue(client: TestClient, headers: Headers, **body: Any) -> Any:
    return client.post(
        f"{API}/gift-cards", json={"amount": 10_000, "currency": "PLN", **body}, headers=headers
    )


def _accounts(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(StoredValueAccount)) or 0


def test_staff_issue_a_gift_card_and_see_its_code_only_once(
    client: TestClient, admin: Headers, session: Session
) -> None:
    r = _issue(client, {**admin, "Idempotency-Key": "gc-1"})
    assert r.status_code == 201, r.text
    card = r.json()
    assert r.headers["Location"] == f"/api/v1/gift-cards/{card['id']}"
    assert r.headers["Cache-Control"] == "no-store"
    plain = codes.normalise(card["code"])
    assert plain is not None
    assert (card["balance"], card["held"], card["available"]) == (10_000, 0, 10_000)
    assert (card["kind"], card["status"], card["last4"]) == ("gift_card", "active", plain[-4:])
    assert [e["kind"] for e in card["entries"]] == ["issue"]
    again = _issue(client, {**admin, "Idempotency-Key": "gc-1"})
    assert (again.status_code, again.json()["id"]) == (201, card["id"])  # a replay, not a card
    assert _accounts(session) == 1
    read = client.get(f"{API}/gift-cards/{card['id']}", headers=admin)
    assert read.status_code == 200
    assert "code" not in read.json()
    assert read.json()["last4"] == plain[-4:]
    row = session.execute(text("SELECT * FROM stored_value_accounts")).one()
    assert plain not in " ".join(str(v) for v in row).upper()


def test_issuing_a_gift_card_refuses_bad_requests(
    client: TestClient, admin: Headers, login_as: Callable[..., Headers], session: Session
) -> None:
    assert _issue(client, {}).status_code == 401
    assert _issue(client, login_as("marketing_analyst")).status_code == 403
    for bad in (
        {"amount": 0},
        {"amount": -5},
        {"currency": "zł"},
        {"currency": "pln"},
        {"expires_at": (utcnow() - timedelta(days=1)).isoformat()},
        {"code": "ABCD-EFGH-JKLM-NPQR-STUV"},  # unknown field: a code is never chosen
    ):
        r = _issue(client, admin, **bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["errors"][0]["field"] in {"amount", "currency", "expires_at", "code"}
    assert _accounts(session) == 0


def test_a_store_associate_sells_a_gift_card_at_the_till(
    client: TestClient,
    login_as: Callable[..., Headers],
    make_location: Callable[..., uuid.UUID],
) -> None:
    store = make_location("WAW-01")
    assert _issue(client, login_as("store_associate", [store])).status_code == 201


def test_staff_give_a_customer_store_credit(
    client: TestClient, admin: Headers, login_as: Callable[..., Headers], session: Session
) -> None:
    anna = create_customer(session, data=CustomerCreate(given_name="Anna")).customer.id
    session.commit()
    url = f"{API}/customers/{anna}/store-credit"
    body = {"amount": 2_500, "currency": "PLN", "reason": "goodwill"}
    r = client.post(url, json=body, headers=login_as("call_center_agent"))
    assert r.status_code == 201, r.text
    credit = r.json()
    assert (credit["kind"], credit["customer_id"], credit["balance"]) == (
        "store_credit",
        str(anna),
        2_500,
    )
    assert credit["last4"] is None
    assert "code" not in credit
    assert credit["entries"][0]["reason"] == "goodwill"
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=login_as("marketing_analyst")).status_code == 403
    nobody = f"{API}/customers/{uuid.uuid4()}/store-credit"
    assert client.post(nobody, json=body, headers=admin).status_code == 404
    free_text = {**body, "reason": "customer was rude to me, 555-123"}
    assert client.post(url, json=free_text, headers=admin).status_code == 422
    assert _accounts(session) == 1


def test_a_channel_or_a_customer_checks_a_balance_by_code_in_the_body(
    client: TestClient,
    admin: Headers,
    channel_key: Callable[..., Headers],
    session: Session,
) -> None:
    card = _issue(client, admin, amount=7_500).json()
    shop = channel_key("shop", scopes=["payments:read"])
    url = f"{API}/gift-cards/balance"
    r = client.post(url, json={"code": card["code"].lower().replace("-", " ")}, headers=shop)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "kind": "gift_card",
        "currency": "PLN",
        "balance": 7_500,
        "held": 0,
        "available": 7_500,
        "status": "active",
        "expires_at": None,
        "last4": card["last4"],
    }
    assert client.post(url, json={"code": card["code"]}).status_code == 401
    other = channel_key("other", scopes=["catalog:read"])
    assert client.post(url, json={"code": card["code"]}, headers=other).status_code == 403
    unknown = client.post(url, json={"code": codes.new_code()}, headers=shop)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "stored_value_not_found")
    assert client.post(url, json={"code": "x"}, headers=shop).status_code == 404
    assert client.post(url, json={}, headers=shop).status_code == 422
    assert client.post(url, json={"code": ""}, headers=shop).status_code == 422


def test_a_signed_in_customer_checks_a_gift_card_balance(
    client: TestClient, admin: Headers, channel_key: Callable[..., Headers]
) -> None:
    card = _issue(client, admin).json()
    shop = channel_key("shop", scopes=["customers:identify"])
    signed_up = client.post(
        f"{API}/customers/auth/register",
        json={"email": "ewa@example.com", "password": "lato w Sopocie 2026", "given_name": "Ewa"},
        headers=shop,
    )
    assert signed_up.status_code == 201, signed_up.text
    customer = {"Authorization": f"Bearer {signed_up.json()['access_token']}"}
    r = client.post(f"{API}/gift-cards/balance", json={"code": card["code"]}, headers=customer)
    assert (r.status_code, r.json()["available"]) == (200, 10_000)
    assert client.get(f"{API}/gift-cards/{card['id']}", headers=customer).status_code == 403


def test_staff_read_and_block_a_card(
    client: TestClient, admin: Headers, login_as: Callable[..., Headers]
) -> None:
    card = _issue(client, admin).json()
    url = f"{API}/gift-cards/{card['id']}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=login_as("marketing_analyst")).status_code == 403
    assert client.get(f"{API}/gift-cards/{uuid.uuid4()}", headers=admin).status_code == 404
    assert client.get(f"{API}/gift-cards/not-an-id", headers=admin).status_code == 422
    blocked = client.post(f"{url}/block", headers=admin)
    assert (blocked.status_code, blocked.json()["status"]) == (200, "blocked")
    again = client.post(f"{url}/block", headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "stored_value_blocked")
    assert client.post(f"{url}/block").status_code == 401
    assert client.post(f"{url}/block", headers=login_as("marketing_analyst")).status_code == 403
    missing = client.post(f"{API}/gift-cards/{uuid.uuid4()}/block", headers=admin)
    assert missing.status_code == 404
    assert client.get(url, headers=admin).json()["status"] == "blocked"
