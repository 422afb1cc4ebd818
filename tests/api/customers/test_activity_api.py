"""The timeline, the events endpoint web and app call, and service cases over HTTP."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.customers.models import AuditEntry
from omnichannel.kernel import utcnow
from tests.api.customers.conftest import API, Counts, Headers, Login

Make = Callable[..., dict[str, Any]]


def test_an_agent_records_a_call_and_anyone_allowed_reads_it_on_the_timeline(
    client: TestClient, session: Session, login_as: Login, make: Make
) -> None:
    cid = make()["id"]
    agent = login_as("call_center_agent")
    r = client.post(
        f"{API}/customers/{cid}/timeline",
        json={"type": "call", "summary": "Pyta o termin dostawy.", "channel": "call-center"},
        headers=agent,
    )
    assert r.status_code == 201, r.text
    assert r.json()["staff_id"] is not None
    page = client.get(f"{API}/customers/{cid}/timeline", headers=agent).json()
    assert [(e["type"], e["summary"]) for e in page["items"]] == [
        ("call", "Pyta o termin dostawy."),
        ("profile_created", None),
    ]
    calls = client.get(
        f"{API}/customers/{cid}/timeline",
        params={"type": "call", "channel": "call-center"},
        headers=agent,
    ).json()
    assert len(calls["items"]) == 1
    session.expire_all()
    reads = session.scalars(select(AuditEntry.purpose).where(AuditEntry.action == "read")).all()
    assert "timeline" in reads  # a GET that shows notes leaves its audit row


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "product_viewed", "summary": "x"}, "type"),
        ({"type": "call", "summary": ""}, "summary"),
        ({"type": "call", "summary": "x", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"type": "call", "summary": "x", "occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),
        ({"type": "call", "summary": "x", "reference": "a b@c"}, "reference"),
        ({"type": "call", "summary": "x", "channel": "nope"}, "channel"),
    ],
)
def test_a_bad_timeline_entry_is_refused_and_nothing_is_written(
    client: TestClient, admin: Headers, make: Make, counts: Counts, body: dict[str, Any], field: str
) -> None:
    cid = make()["id"]
    before = counts()
    r = client.post(f"{API}/customers/{cid}/timeline", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert counts() == before


def test_the_timeline_refuses_a_bad_cursor_or_kind(
    client: TestClient, admin: Headers, make: Make
) -> None:
    cid = make()["id"]
    for params in ({"cursor": "bm90LWEtY3Vyc29y"}, {"type": "nonsense"}, {"limit": 0}):
        r = client.get(f"{API}/customers/{cid}/timeline", params=params, headers=admin)
        assert r.status_code == 422, params


@pytest.fixture
def web(channel_key: Callable[..., Headers]) -> Headers:
    return channel_key("web-shop", ["customers:events"], "web")


def test_the_web_shop_sends_events_by_customer_id_or_identity(
    client: TestClient, admin: Headers, make: Make, web: Headers
) -> None:
    cid = make()["id"]
    r = client.post(
        f"{API}/customer-events",
        json={
            "events": [
                {"customer_id": cid, "type": "product_viewed", "reference": "TS-1001-M"},
                {
                    "identity": {"type": "email", "value": "Anna.Nowak@example.com"},
                    "type": "cart_abandoned",
                    "data": {"items": 2, "value": 199.9, "coupon": "JESIEN"},
                    "occurred_at": (utcnow() - timedelta(hours=1)).isoformat(),
                },
            ]
        },
        headers=web,
    )
    assert r.status_code == 201, r.text
    assert len(r.json()["ids"]) == 2
    items = client.get(
        f"{API}/customers/{cid}/timeline", params={"channel": "web-shop"}, headers=admin
    )
    assert [(e["type"], e["channel"]) for e in items.json()["items"]] == [
        ("product_viewed", "web-shop"),
        ("cart_abandoned", "web-shop"),
    ]
    assert items.json()["items"][1]["data"] == {"items": 2.0, "value": 199.9, "coupon": "JESIEN"}


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([{"customer_id": "UNKNOWN", "type": "product_viewed"}], "events.0.customer_id"),
        (
            [
                {
                    "identity": {"type": "email", "value": "nikt@example.com"},
                    "type": "product_viewed",
                }
            ],
            "events.0.identity",
        ),
        ([{"type": "product_viewed"}], "events.0"),
        ([{"customer_id": "KNOWN", "type": "order_placed"}], "events.0.type"),
        (
            [{"customer_id": "KNOWN", "type": "product_viewed", "data": {"x": [1]}}],
            "events.0.data.x",
        ),
        ([], "events"),
    ],
)
def test_bad_events_are_refused_all_together_and_nothing_is_written(
    client: TestClient,
    make: Make,
    web: Headers,
    counts: Counts,
    events: list[dict[str, Any]],
    field: str,
) -> None:
    cid = make()["id"]
    good = {"customer_id": cid, "type": "product_viewed"}
    for e in events:
        if e.get("customer_id") == "UNKNOWN":
            e["customer_id"] = str(uuid.uuid4())
        elif e.get("customer_id") == "KNOWN":
            e["customer_id"] = cid
    before = counts()
    r = client.post(
        f"{API}/customer-events", json={"events": [*events, good] if events else []}, headers=web
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"].startswith(field)
    assert counts() == before


def test_only_a_channel_with_the_events_scope_may_send_events(
    client: TestClient, admin: Headers, make: Make, channel_key: Callable[..., Headers]
) -> None:
    body = {"events": [{"customer_id": make()["id"], "type": "product_viewed"}]}
    assert client.post(f"{API}/customer-events", json=body, headers=admin).status_code == 403
    reader = channel_key("other", ["customers:read"], "store_pos")
    assert client.post(f"{API}/customer-events", json=body, headers=reader).status_code == 403


def test_a_case_is_opened_worked_and_closed_and_each_step_is_on_the_timeline(
    client: TestClient, login_as: Login, make: Make, counts: Counts
) -> None:
    cid = make()["id"]
    agent = login_as("call_center_agent")
    r = client.post(
        f"{API}/customers/{cid}/cases",
        json={
            "subject": "Reklamacja: pęknięty kubek",
            "category": "complaint",
            "message": "Pękł przy pierwszym myciu.",
            "channel": "call-center",
            "department": "returns",
        },
        headers=agent,
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert r.headers["location"] == f"/api/v1/cases/{case['id']}"
    assert case["status"] == "open"
    assert [m["body"] for m in case["messages"]] == ["Pękł przy pierwszym myciu."]
    url = f"{API}/cases/{case['id']}"
    moved = client.patch(
        url, json={"status": "in_progress"}, headers={**agent, "If-Match": 'W/"1"'}
    )
    assert moved.status_code == 200, moved.text
    assert moved.headers["etag"] == 'W/"2"'
    before = counts()
    assert client.patch(url, json={"status": "closed"}, headers=agent).status_code == 409
    assert (
        client.patch(
            url, json={"status": "resolved"}, headers={**agent, "If-Match": 'W/"1"'}
        ).status_code
        == 412
    )
    assert client.patch(url, json={"status": "lost"}, headers=agent).status_code == 422
    assert (
        client.patch(url, json={"assigned_staff_id": str(uuid.uuid4())}, headers=agent).status_code
        == 422
    )
    assert (
        client.patch(url, json={"sla_due_at": "2001-01-01T00:00:00Z"}, headers=agent).status_code
        == 422
    )
    assert counts() == before
    assert client.post(f"{url}/messages", json={"body": ""}, headers=agent).status_code == 422
    assert counts() == before
    reply = client.post(
        f"{url}/messages", json={"body": "Wyślemy nowy.", "direction": "to_customer"}, headers=agent
    )
    assert reply.status_code == 201
    assert reply.json()["author"].startswith("staff:")
    for status in ("resolved", "closed"):
        assert client.patch(url, json={"status": status}, headers=agent).status_code == 200
    assert client.post(f"{url}/messages", json={"body": "x"}, headers=agent).status_code == 409
    full = client.get(url, headers=agent).json()
    assert (full["status"], len(full["messages"])) == ("closed", 2)
    kinds = [
        e["type"]
        for e in client.get(f"{API}/customers/{cid}/timeline", headers=agent).json()["items"]
    ]
    assert kinds.count("case_updated") == 3
    assert "case_opened" in kinds
    assert "case_message" in kinds


def test_agents_find_cases_by_queue_and_customer(
    client: TestClient, admin: Headers, make: Make
) -> None:
    cid = make()["id"]
    for subject, category, department in (
        ("Paczka", "delivery", "logistics"),
        ("Zwrot", "return", "returns"),
    ):
        client.post(
            f"{API}/customers/{cid}/cases",
            json={"subject": subject, "category": category, "department": department},
            headers=admin,
        )
    queue = client.get(
        f"{API}/cases", params={"open": True, "department": "returns"}, headers=admin
    )
    assert [c["subject"] for c in queue.json()["items"]] == ["Zwrot"]
    mine = client.get(f"{API}/customers/{cid}/cases", params={"status": ["open"]}, headers=admin)
    assert len(mine.json()["items"]) == 2
    assert client.get(f"{API}/cases/{uuid.uuid4()}", headers=admin).status_code == 404
    assert (
        client.get(f"{API}/cases", params={"department": "space"}, headers=admin).status_code == 422
    )
