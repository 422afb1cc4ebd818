"""Segments: definitions and sizes take `customers:segments`; who is in a segment is
people, so seeing members takes the segment right and `customers:read`, and changing
them the segment right and `customers:write`. Nobody sees the members of a segment
they may not see."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient

API = "/api/v1"
Headers = dict[str, str]


def _setup(client: TestClient, admin: Headers) -> str:
    cid = client.post(f"{API}/customers", json={"given_name": "Anna"}, headers=admin).json()["id"]
    r = client.post(
        f"{API}/segments",
        json={"code": "friends", "name": "Friends", "kind": "manual"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert client.put(f"{API}/segments/friends/members/{cid}", headers=admin).status_code == 204
    return str(cid)


def test_segment_members_take_the_segment_right_and_customer_rights(
    client: TestClient,
    admin: Headers,
    login_as: Callable[..., Headers],
    make_location: Callable[..., uuid.UUID],
) -> None:
    cid = _setup(client, admin)
    associate = login_as("store_associate", [make_location("ST-WAW")])
    analyst = login_as("marketing_analyst")
    agent = login_as("call_center_agent")
    for who in (associate, agent):  # they read customers, not segments
        for path in ("/segments", "/segments/friends", "/segments/friends/members"):
            assert client.get(f"{API}{path}", headers=who).status_code == 403, path
        put = client.put(f"{API}/segments/friends/members/{cid}", headers=who)
        assert put.status_code == 403
        assert client.get(f"{API}/customers/{cid}/segments", headers=who).json()["segments"] == [
            "friends"
        ]
    # Marketing sees definitions and sizes, never who is in them.
    assert client.get(f"{API}/segments", headers=analyst).json()[0]["members"] == 1
    assert client.get(f"{API}/segments/friends", headers=analyst).status_code == 200
    assert client.get(f"{API}/segments/friends/members", headers=analyst).status_code == 403
    r = client.delete(f"{API}/segments/friends/members/{cid}", headers=analyst)
    assert r.status_code == 403
    assert client.get(f"{API}/segments/friends/members", headers=admin).json()["items"] == [cid]


def test_a_cashier_cannot_put_a_friend_in_a_priced_segment(
    client: TestClient,
    admin: Headers,
    login_as: Callable[..., Headers],
    make_location: Callable[..., uuid.UUID],
) -> None:
    cid = _setup(client, admin)
    client.post(
        f"{API}/segments",
        json={"code": "employees", "name": "Staff", "kind": "manual"},
        headers=admin,
    )
    associate = login_as("store_associate", [make_location("ST-WAW")])
    r = client.put(f"{API}/segments/employees/members/{cid}", headers=associate)
    assert (r.status_code, r.json()["required"]) == (403, "customers:segments")
    members = client.get(f"{API}/segments/employees/members", headers=admin).json()["items"]
    assert members == []


def test_members_of_an_unknown_segment_are_404(client: TestClient, admin: Headers) -> None:
    assert client.get(f"{API}/segments/nope/members", headers=admin).status_code == 404
    assert client.get(f"{API}/segments/Bad%20Code/members", headers=admin).status_code in (404, 422)
