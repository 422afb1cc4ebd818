"""Segments, GDPR export and erasure, and the audit log over HTTP."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.customers.conftest import API, Counts, Headers, Login

Make = Callable[..., dict[str, Any]]


def test_marketing_defines_a_segment_and_sees_its_size_but_not_its_members(
    client: TestClient, admin: Headers, login_as: Login, make: Make
) -> None:
    cid = make()["id"]
    analyst = login_as("marketing_analyst")
    r = client.post(
        f"{API}/segments",
        json={"code": "krakow", "name": "Kraków", "kind": "rule", "rules": {"cities": ["krakow"]}},
        headers=analyst,
    )
    assert r.status_code == 201, r.text
    assert r.json()["members"] == 0
    done = client.post(f"{API}/segments/krakow/recompute", headers=analyst)
    assert done.json() == {"code": "krakow", "members": 1, "added": 1, "removed": 0}
    assert client.get(f"{API}/segments/krakow", headers=analyst).json()["members"] == 1
    assert client.get(f"{API}/segments/krakow/members", headers=analyst).status_code == 403
    assert client.get(f"{API}/segments/krakow/members", headers=admin).json()["items"] == [cid]
    assert client.get(f"{API}/customers/{cid}/segments", headers=admin).json()["segments"] == [
        "krakow"
    ]
    everything = client.post(f"{API}/segments/recompute", headers=analyst)
    assert [s["code"] for s in everything.json()] == ["krakow"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"code": "Bad Code", "name": "x", "kind": "manual"}, 422),
        ({"code": "empty", "name": "x", "kind": "rule", "rules": {}}, 422),
        ({"code": "mixed", "name": "x", "kind": "manual", "rules": {"cities": ["Kraków"]}}, 422),
        ({"code": "norules", "name": "x", "kind": "rule"}, 422),
        (
            {"code": "big", "name": "x", "kind": "rule", "rules": {"spend": {"min_minor": 10**14}}},
            422,
        ),
        ({"code": "lp", "name": "x", "kind": "rule", "rules": {"last_purchase": {}}}, 422),
        ({"code": "taken", "name": "x", "kind": "manual"}, 409),
    ],
)
def test_a_bad_segment_is_refused_and_nothing_is_created(
    client: TestClient, admin: Headers, counts: Counts, body: dict[str, Any], status: int
) -> None:
    client.post(
        f"{API}/segments", json={"code": "taken", "name": "t", "kind": "manual"}, headers=admin
    )
    before = counts()
    r = client.post(f"{API}/segments", json=body, headers=admin)
    assert r.status_code == status, r.text
    assert counts() == before


def test_manual_segments_take_members_by_hand_and_rule_segments_refuse_them(
    client: TestClient, admin: Headers, make: Make, counts: Counts
) -> None:
    cid = make()["id"]
    client.post(
        f"{API}/segments", json={"code": "friends", "name": "F", "kind": "manual"}, headers=admin
    )
    client.post(
        f"{API}/segments",
        json={"code": "vip", "name": "V", "kind": "rule", "rules": {"spend": {"min_minor": 1}}},
        headers=admin,
    )
    assert client.put(f"{API}/segments/friends/members/{cid}", headers=admin).status_code == 204
    before = counts()
    assert client.put(f"{API}/segments/vip/members/{cid}", headers=admin).status_code == 409
    assert (
        client.put(f"{API}/segments/friends/members/{uuid.uuid4()}", headers=admin).status_code
        == 404
    )
    assert client.put(f"{API}/segments/nope/members/{cid}", headers=admin).status_code == 404
    assert client.post(f"{API}/segments/friends/recompute", headers=admin).status_code == 409
    rules = {"rules": {"cities": ["Kraków"]}}
    assert client.patch(f"{API}/segments/friends", json=rules, headers=admin).status_code == 409
    assert client.patch(f"{API}/segments/vip", json={"name": ""}, headers=admin).status_code == 422
    assert client.delete(f"{API}/segments/nope", headers=admin).status_code == 404
    outsider = make(given_name="X", emails=["x@example.com"], phones=[])["id"]
    before = counts()
    assert (
        client.delete(f"{API}/segments/friends/members/{outsider}", headers=admin).status_code
        == 404
    )
    assert counts() == before
    renamed = client.patch(
        f"{API}/segments/friends",
        json={"name": "Przyjaciele"},
        headers={**admin, "If-Match": 'W/"1"'},
    )
    assert renamed.status_code == 200
    assert renamed.json()["members"] == 1
    assert client.delete(f"{API}/segments/friends/members/{cid}", headers=admin).status_code == 204
    assert client.delete(f"{API}/segments/friends", headers=admin).status_code == 204
    assert client.get(f"{API}/segments/friends", headers=admin).status_code == 404


def test_an_export_holds_everything_and_only_privacy_staff_may_take_it(
    client: TestClient, admin: Headers, login_as: Login, make: Make
) -> None:
    cid = make()["id"]
    client.post(
        f"{API}/customers/{cid}/timeline",
        json={"type": "call", "summary": "Rozmowa"},
        headers=admin,
    )
    agent = login_as("call_center_agent")
    client.get(f"{API}/customers/{cid}", headers=agent)
    assert client.get(f"{API}/customers/{cid}/export", headers=agent).status_code == 403
    r = client.get(f"{API}/customers/{cid}/export", headers=admin)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["format"] == "omnichannel.customer-export/1"
    assert doc["customer"]["email"] == "anna.nowak@example.com"
    assert [e["summary"] for e in doc["timeline"]] == [None, "Rozmowa"]
    assert {"create", "read"} <= {a["action"] for a in doc["access_log"]}


def test_erasure_removes_personal_data_and_later_writes_are_refused(
    client: TestClient, admin: Headers, make: Make, counts: Counts
) -> None:
    cid = make()["id"]
    r = client.post(f"{API}/customers/{cid}/erase", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "erased"
    assert (body["given_name"], body["email"], body["identities"], body["addresses"]) == (
        None,
        None,
        [],
        [],
    )
    before = counts()
    late = client.post(
        f"{API}/customers/{cid}/timeline", json={"type": "call", "summary": "x"}, headers=admin
    )
    assert late.status_code == 409
    assert late.json()["code"] == "customer_erased"
    assert counts() == before
    assert client.post(f"{API}/customers/{cid}/erase", headers=admin).status_code == 200
    found = client.post(
        f"{API}/customers/lookup",
        json={"type": "email", "value": "anna.nowak@example.com"},
        headers=admin,
    )
    assert found.status_code == 404


def test_the_audit_log_shows_who_read_what_to_admins_only(
    client: TestClient, admin: Headers, login_as: Login, make: Make
) -> None:
    cid = make()["id"]
    agent = login_as("call_center_agent")
    client.get(f"{API}/customers/{cid}/360", headers=agent)
    assert client.get(f"{API}/customer-audit", headers=agent).status_code == 403
    r = client.get(f"{API}/customer-audit", params={"customer_id": cid}, headers=admin)
    assert r.status_code == 200
    entries = r.json()["items"]
    read = next(e for e in entries if e["action"] == "read")
    assert read["purpose"] == "customer360"
    assert read["actor"].startswith("staff:")
    assert {"given_name", "timeline"} <= set(read["fields"])
    assert all("Anna" not in str(e) for e in entries)
    page = client.get(f"{API}/customer-audit", params={"limit": 1}, headers=admin).json()
    assert page["next_cursor"]
    assert (
        client.get(f"{API}/customer-audit", params={"action": "peek"}, headers=admin).status_code
        == 422
    )
