"""Customer profiles over HTTP: who sees personal data, clear answers to bad input,
lookups, checkout resolution, merge and the Customer 360."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.customers.models import AuditEntry
from tests.api.customers.conftest import API, Counts, Headers, Login

Make = Callable[..., dict[str, Any]]


def test_staff_start_a_profile_and_read_it_back_whole_with_an_etag(
    client: TestClient, admin: Headers, make: Make
) -> None:
    body = make()
    assert body["given_name"] == "Anna"
    assert (body["email"], body["phone"]) == ("anna.nowak@example.com", "+48601234567")
    assert body["addresses"][0]["postcode"] == "31-019"
    r = client.get(f"{API}/customers/{body['id']}", headers=admin)
    assert r.status_code == 200
    assert r.headers["etag"] == 'W/"1"'
    assert r.json()["redacted"] is False
    assert r.json()["notes"] == "Woli odbiór w sklepie."


def test_a_channel_key_sees_the_customer_without_personal_data(
    client: TestClient, make: Make, channel_key: Callable[..., Headers]
) -> None:
    body = make()
    till = channel_key("pos-waw", ["customers:read"], "store_pos")
    r = client.get(f"{API}/customers/{body['id']}/360", headers=till)
    assert r.status_code == 200, r.text
    customer = r.json()["customer"]
    assert customer["redacted"] is True
    assert [customer[k] for k in ("given_name", "family_name", "email", "phone", "notes")] == [
        None
    ] * 5
    assert {i["type"] for i in customer["identities"]} == {"email", "phone", "loyalty_card"}
    assert all(i["value"] is None for i in customer["identities"])
    assert customer["addresses"][0]["street"] is None


@pytest.mark.parametrize(
    ("doc", "field", "type_"),
    [
        ({"emails": ["anna@"]}, "emails.0", "invalid_email"),
        ({"phones": ["+48 12"]}, "phones.0", "invalid_phone"),
        (
            {"addresses": [{"street": "ul. A 1", "postcode": "3101", "city": "Kraków"}]},
            "addresses.0.postcode",
            "invalid_postcode",
        ),
        ({"birthday": "2999-01-01"}, "birthday", "invalid_birthday"),
        ({"identities": [{"type": "marketplace_buyer", "value": "1"}]}, "identities.0.value", None),
        ({"given_name": "A", "shoe_size": 42}, "shoe_size", "extra_forbidden"),
        ({"channel": "nope"}, "channel", "unknown_channel"),
    ],
)
def test_bad_profile_input_is_a_422_naming_the_field_and_nothing_is_written(
    client: TestClient,
    admin: Headers,
    channels: list[str],
    counts: Counts,
    doc: dict[str, Any],
    field: str,
    type_: str | None,
) -> None:
    before = counts()
    r = client.post(f"{API}/customers", json=doc, headers=admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    error = r.json()["errors"][0]
    assert error["field"] == field
    if type_:
        assert error["type"] == type_
    assert counts() == before


def test_an_email_owned_by_another_profile_is_a_409_naming_the_field(
    client: TestClient, admin: Headers, make: Make, counts: Counts
) -> None:
    anna = make()
    before = counts()
    r = client.post(f"{API}/customers", json={"emails": ["ANNA.NOWAK@example.com"]}, headers=admin)
    assert r.status_code == 409
    assert r.json()["code"] == "identity_taken"
    assert r.json()["errors"][0]["field"] == "emails.0.value"
    assert r.json()["customer_id"] == anna["id"]
    assert counts() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("patch", "", {"given_name": "X"}),
        ("get", "/360", None),
        ("get", "/timeline", None),
        ("get", "/consents", None),
        ("post", "/consents", {"purpose": "profiling", "granted": True}),
        ("post", "/identities", {"type": "email", "value": "x@example.com"}),
        ("post", "/addresses", {"street": "a", "postcode": "00-001", "city": "Warszawa"}),
        ("post", "/timeline", {"type": "call", "summary": "x"}),
        ("post", "/cases", {"subject": "x", "category": "other"}),
        ("get", "/cases", None),
        ("post", "/merge", {"source_id": str(uuid.uuid4())}),
        ("get", "/export", None),
        ("post", "/erase", None),
        ("get", "/segments", None),
    ],
)
def test_an_unknown_customer_is_a_404_everywhere(
    client: TestClient,
    admin: Headers,
    counts: Counts,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    before = counts()
    r = client.request(method, f"{API}/customers/{uuid.uuid4()}{path}", json=body, headers=admin)
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found"
    assert counts() == before


def test_an_edit_with_a_stale_etag_is_refused_and_changes_nothing(
    client: TestClient, admin: Headers, make: Make
) -> None:
    cid = make()["id"]
    r = client.patch(
        f"{API}/customers/{cid}",
        json={"family_name": "Nowak-Kowalska", "notes": None},
        headers={**admin, "If-Match": 'W/"1"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["family_name"], r.json()["notes"], r.headers["etag"]) == (
        "Nowak-Kowalska",
        None,
        'W/"2"',
    )
    r = client.patch(
        f"{API}/customers/{cid}",
        json={"given_name": "Ania"},
        headers={**admin, "If-Match": 'W/"1"'},
    )
    assert r.status_code == 412
    r = client.patch(f"{API}/customers/{cid}", json={"language": None}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "language"
    assert client.get(f"{API}/customers/{cid}", headers=admin).json()["given_name"] == "Anna"


def test_lookup_by_identity_finds_the_profile_and_every_lookup_is_audited(
    client: TestClient, session: Session, login_as: Login, make: Make
) -> None:
    cid = make()["id"]
    agent = login_as("call_center_agent")
    r = client.post(
        f"{API}/customers/lookup", json={"type": "phone", "value": "+48 601-234-567"}, headers=agent
    )
    assert r.status_code == 200
    assert r.json()["id"] == cid
    r = client.post(
        f"{API}/customers/lookup",
        json={"type": "email", "value": "nobody@example.com"},
        headers=agent,
    )
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post(f"{API}/customers/lookup", json={"type": "phone", "value": "1"}, headers=agent)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "value"
    session.expire_all()
    rows = session.execute(
        select(AuditEntry.action, AuditEntry.customer_id, AuditEntry.purpose).where(
            AuditEntry.action.in_(["read", "lookup"])
        )
    ).all()
    assert sorted(rows, key=str) == sorted(
        [("read", uuid.UUID(cid), "lookup"), ("lookup", None, None)], key=str
    )


def test_a_checkout_channel_resolves_the_buyer_to_one_profile(
    client: TestClient, channels: list[str], channel_key: Callable[..., Headers], counts: Counts
) -> None:
    shop = channel_key("shop", ["customers:identify"], "web")
    first = client.post(
        f"{API}/customers/resolve",
        json={
            "identities": [{"type": "email", "value": "Jan.Kowalski@example.com"}],
            "given_name": "Jan",
        },
        headers=shop,
    )
    assert first.status_code == 200, first.text
    assert first.json()["created"] is True
    again = client.post(
        f"{API}/customers/resolve",
        json={
            "identities": [
                {"type": "email", "value": "jan.kowalski@example.com"},
                {"type": "phone", "value": "+48 602 111 222"},
            ]
        },
        headers=shop,
    )
    assert again.json() == {
        "customer_id": first.json()["customer_id"],
        "created": False,
        "attached": ["phone"],
        "conflicts": [],
    }
    before = counts()
    bad = client.post(
        f"{API}/customers/resolve",
        json={"identities": [{"type": "email", "value": "x"}]},
        headers=shop,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "identities.0.value"
    assert (
        client.post(f"{API}/customers/resolve", json={"identities": []}, headers=shop).status_code
        == 422
    )
    assert counts() == before
    reader = channel_key("reader", ["customers:read"], "store_pos")
    body = {"identities": [{"type": "email", "value": "x@example.com"}]}
    assert client.post(f"{API}/customers/resolve", json=body, headers=reader).status_code == 403


def test_an_agent_merges_duplicates_and_a_profile_is_never_merged_into_itself(
    client: TestClient, login_as: Login, make: Make, counts: Counts
) -> None:
    anna = make()["id"]
    twin = make(given_name="A.", emails=["anna.n@example.com"])["id"]
    agent = login_as("call_center_agent")
    before = counts()
    r = client.post(f"{API}/customers/{anna}/merge", json={"source_id": anna}, headers=agent)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "source_id"
    assert counts() == before
    r = client.post(f"{API}/customers/{anna}/merge", json={"source_id": twin}, headers=agent)
    assert r.status_code == 200, r.text
    assert {i["value"] for i in r.json()["identities"] if i["type"] == "email"} == {
        "anna.nowak@example.com",
        "anna.n@example.com",
    }
    old = client.get(f"{API}/customers/{twin}", headers=agent)
    assert old.json()["id"] == anna
    again = client.post(f"{API}/customers/{anna}/merge", json={"source_id": twin}, headers=agent)
    assert again.status_code == 409
    assert again.json()["code"] == "merge_refused"


def test_a_store_associate_may_not_merge(
    client: TestClient, login_as: Login, make: Make, make_location: Callable[..., uuid.UUID]
) -> None:
    a, b = make()["id"], make(given_name="B")["id"]
    associate = login_as("store_associate", [make_location("ST-1")])
    r = client.post(f"{API}/customers/{a}/merge", json={"source_id": b}, headers=associate)
    assert r.status_code == 403


def test_the_marketing_analyst_sees_no_personal_data(
    client: TestClient, login_as: Login, make: Make
) -> None:
    cid = make()["id"]
    analyst = login_as("marketing_analyst")
    for method, path in [
        ("get", "/customers"),
        ("get", f"/customers/{cid}"),
        ("get", f"/customers/{cid}/360"),
        ("get", f"/customers/{cid}/timeline"),
        ("get", f"/customers/{cid}/consents"),
        ("get", f"/customers/{cid}/cases"),
        ("get", f"/customers/{cid}/export"),
        ("get", f"/customers/{cid}/segments"),
        ("get", "/cases"),
        ("get", "/customer-audit"),
    ]:
        assert client.request(method, f"{API}{path}", headers=analyst).status_code == 403, path
    lookup = client.post(
        f"{API}/customers/lookup",
        json={"type": "email", "value": "anna.nowak@example.com"},
        headers=analyst,
    )
    assert lookup.status_code == 403
    assert client.get(f"{API}/segments", headers=analyst).status_code == 200


def test_identities_and_addresses_are_added_and_removed(
    client: TestClient, admin: Headers, make: Make, counts: Counts
) -> None:
    cid = make()["id"]
    r = client.post(
        f"{API}/customers/{cid}/identities",
        json={"type": "marketplace_buyer", "namespace": "allegro", "value": "48151623"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["namespace"], r.json()["value"]) == ("allegro", "48151623")
    identity = r.json()["id"]
    before = counts()
    bad = client.post(
        f"{API}/customers/{cid}/addresses",
        json={"street": "ul. Długa 1", "postcode": "80827x", "city": "Gdańsk"},
        headers=admin,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "postcode"
    assert counts() == before
    added = client.post(
        f"{API}/customers/{cid}/addresses",
        json={"street": "ul. Długa 1", "postcode": "80827", "city": "Gdańsk", "default": True},
        headers=admin,
    )
    assert added.status_code == 201
    assert (added.json()["postcode"], added.json()["default"]) == ("80-827", True)
    gone = client.delete(f"{API}/customers/{cid}/addresses/{added.json()['id']}", headers=admin)
    assert gone.status_code == 204
    before = counts()
    again = client.delete(f"{API}/customers/{cid}/addresses/{added.json()['id']}", headers=admin)
    assert again.status_code == 404
    taken = client.post(
        f"{API}/customers/{cid}/identities",
        json={"type": "phone", "value": "601 234 567"},
        headers=admin,
    )
    assert taken.status_code == 409
    assert counts() == before
    assert (
        client.delete(f"{API}/customers/{cid}/identities/{identity}", headers=admin).status_code
        == 204
    )
    assert (
        client.delete(f"{API}/customers/{cid}/identities/{identity}", headers=admin).status_code
        == 404
    )


def test_consents_are_off_until_given_and_the_history_shows_each_answer(
    client: TestClient, admin: Headers, make: Make, counts: Counts
) -> None:
    cid = make()["id"]
    before = counts()
    bad = client.post(
        f"{API}/customers/{cid}/consents",
        json={"purpose": "telepathy", "granted": True},
        headers=admin,
    )
    assert bad.status_code == 422
    assert counts() == before
    r = client.post(
        f"{API}/customers/{cid}/consents",
        json={
            "purpose": "marketing_email",
            "granted": True,
            "channel": "web",
            "evidence": "checkbox",
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    view = client.get(f"{API}/customers/{cid}/consents", headers=admin).json()
    assert {c["purpose"]: c["granted"] for c in view["current"]} == {
        "marketing_email": True,
        "marketing_sms": False,
        "profiling": False,
    }
    assert [(h["purpose"], h["channel"], h["evidence"]) for h in view["history"]] == [
        ("marketing_email", "web", "checkbox")
    ]


def test_the_360_holds_profile_consents_open_cases_latest_timeline_and_segments(
    client: TestClient, admin: Headers, make: Make
) -> None:
    cid = make()["id"]
    client.post(
        f"{API}/customers/{cid}/cases",
        json={"subject": "Gdzie paczka?", "category": "delivery"},
        headers=admin,
    )
    client.post(
        f"{API}/segments", json={"code": "friends", "name": "F", "kind": "manual"}, headers=admin
    )
    client.put(f"{API}/segments/friends/members/{cid}", headers=admin)
    r = client.get(f"{API}/customers/{cid}/360", params={"timeline_limit": 1}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["customer"]["given_name"] == "Anna"
    assert [c["subject"] for c in body["open_cases"]] == ["Gdzie paczka?"]
    assert [e["type"] for e in body["timeline"]] == ["case_opened"]
    assert body["segments"] == ["friends"]
    assert len(body["consents"]) == 3


def test_staff_list_customers_page_by_page(client: TestClient, admin: Headers, make: Make) -> None:
    ids = [make(given_name=f"K{i}")["id"] for i in range(3)]
    first = client.get(f"{API}/customers", params={"limit": 2}, headers=admin).json()
    second = client.get(
        f"{API}/customers", params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin
    ).json()
    assert [c["id"] for c in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    assert (
        client.get(f"{API}/customers", params={"cursor": "%%%"}, headers=admin).status_code == 422
    )
