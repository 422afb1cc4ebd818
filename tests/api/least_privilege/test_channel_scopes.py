"""Channel keys by channel type: one table says what each type's key may hold; a key
asking for more is refused when issued, and a key issued before loses the excess
when it signs in. Marketplaces and social shops never see customers, cases or
timelines; web shops and apps find the buyer at checkout but list nobody."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from omnichannel.channels.models import ChannelApiKey
from omnichannel.channels.rules import SCOPES_BY_TYPE, ChannelType, Scope, allowed_scopes

API = "/api/v1"
Headers = dict[str, str]
README = Path(__file__).parents[3] / "README.md"
ANNA = {"given_name": "Anna", "emails": ["anna.nowak@example.com"]}


def _customer(client: TestClient, admin: Headers) -> str:
    r = client.post(f"{API}/customers", json=ANNA, headers=admin)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _full_key(channel_key: Callable[..., Headers], type_: ChannelType) -> Headers:
    """A key of a channel of this type holding every scope the type may."""
    return channel_key(type_.value.replace("_", "-"), sorted(allowed_scopes(type_)), type_.value)


def test_every_channel_type_has_its_scopes_in_one_table() -> None:
    assert set(SCOPES_BY_TYPE) == set(ChannelType)
    assert allowed_scopes("tv") == frozenset()


def test_only_tills_and_the_call_center_may_read_customers() -> None:
    readers = {t for t, scopes in SCOPES_BY_TYPE.items() if Scope.CUSTOMERS_READ in scopes}
    assert readers == {ChannelType.STORE_POS, ChannelType.CALL_CENTER}


def test_the_readme_lists_the_scopes_of_each_channel_type() -> None:
    text = README.read_text(encoding="utf-8")
    header = next(ln for ln in text.splitlines() if ln.startswith("| scope | web |"))
    types = [c.strip() for c in header.strip("|").split("|")][1:]
    rows = re.findall(r"^\| `([a-z:]+)` \|(.*)\|$", text, flags=re.MULTILINE)
    table: dict[str, set[str]] = {t: set() for t in types}
    for scope, cells in rows:
        for t, cell in zip(types, cells.split("|"), strict=True):
            if cell.strip():
                table[t].add(scope)
    assert table == {t.value: {s.value for s in SCOPES_BY_TYPE[t]} for t in ChannelType}


def test_a_key_may_hold_only_the_scopes_its_channel_type_allows(
    client: TestClient, admin: Headers
) -> None:
    ch = client.post(
        f"{API}/channels",
        json={"code": "allegro", "name": "Allegro", "type": "marketplace"},
        headers=admin,
    ).json()
    keys = f"{API}/channels/{ch['id']}/api-keys"
    r = client.post(
        keys,
        json={"name": "k", "scopes": ["catalog:read", "customers:read", "orders:write"]},
        headers=admin,
    )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "scope_not_allowed"
    assert [e["field"] for e in problem["errors"]] == ["scopes.1", "scopes.2"]
    assert problem["errors"][0]["message"].startswith("customers:read is not for a marketplace")
    assert "orders:write" in problem["detail"]
    assert client.get(keys, headers=admin).json() == []
    ok = client.post(
        keys, json={"name": "k", "scopes": ["catalog:read", "orders:import"]}, headers=admin
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("type_", [ChannelType.MARKETPLACE, ChannelType.SOCIAL])
def test_a_marketplace_or_social_key_does_not_list_customers_read_cases_or_timelines(
    client: TestClient,
    admin: Headers,
    channel_key: Callable[..., Headers],
    type_: ChannelType,
) -> None:
    cid = _customer(client, admin)
    key = _full_key(channel_key, type_)
    for path in ("/customers", "/cases", f"/customers/{cid}", f"/customers/{cid}/timeline"):
        r = client.get(f"{API}{path}", headers=key)
        assert r.status_code == 403, (path, r.text)
    lookup = {"type": "email", "value": "anna.nowak@example.com"}
    assert client.post(f"{API}/customers/lookup", json=lookup, headers=key).status_code == 403


@pytest.mark.parametrize("type_", [ChannelType.WEB, ChannelType.MOBILE_APP])
def test_a_web_shop_or_app_identifies_the_buyer_but_lists_no_customer(
    client: TestClient,
    admin: Headers,
    channel_key: Callable[..., Headers],
    type_: ChannelType,
) -> None:
    cid = _customer(client, admin)
    key = _full_key(channel_key, type_)
    assert client.get(f"{API}/customers", headers=key).status_code == 403
    assert client.get(f"{API}/customers/{cid}/timeline", headers=key).status_code == 403
    body = {"identities": [{"type": "email", "value": "anna.nowak@example.com"}]}
    r = client.post(f"{API}/customers/resolve", json=body, headers=key)
    assert r.status_code in (200, 201), r.text
    assert r.json()["customer_id"] == cid


def test_a_till_looks_the_customer_at_the_counter_up(
    client: TestClient, admin: Headers, channel_key: Callable[..., Headers]
) -> None:
    cid = _customer(client, admin)
    till = _full_key(channel_key, ChannelType.STORE_POS)
    lookup = {"type": "email", "value": "anna.nowak@example.com"}
    r = client.post(f"{API}/customers/lookup", json=lookup, headers=till)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == cid
    assert r.json()["given_name"] is None  # a key never sees personal fields


def test_a_key_issued_before_its_type_lost_a_scope_loses_it_when_it_signs_in(
    client: TestClient, admin: Headers, channel_key: Callable[..., Headers], session: Session
) -> None:
    key = channel_key("instagram", ["catalog:read"], "social")
    # As a database from before the table holds it: a social key that may read customers.
    session.execute(update(ChannelApiKey).values(scopes=["catalog:read", "customers:read"]))
    session.commit()
    assert client.get(f"{API}/customers", headers=key).status_code == 403
    me = client.get(f"{API}/channel", headers=key)
    assert me.json()["scopes"] == ["catalog:read"]
    assert client.get(f"{API}/products", headers=key).status_code == 200
    channel = me.json()["channel"]["id"]
    (listed,) = client.get(f"{API}/channels/{channel}/api-keys", headers=admin).json()
    assert (listed["scopes"], listed["ignored_scopes"]) == (["catalog:read"], ["customers:read"])


def test_issuing_a_key_to_an_unknown_channel_is_404(client: TestClient, admin: Headers) -> None:
    r = client.post(
        f"{API}/channels/{uuid.uuid4()}/api-keys",
        json={"name": "k", "scopes": ["catalog:read"]},
        headers=admin,
    )
    assert r.status_code == 404


@pytest.mark.parametrize("type_", list(ChannelType))
def test_a_channel_key_reads_no_stock_ledger_price_list_or_price_history(
    client: TestClient,
    admin: Headers,
    channel_key: Callable[..., Headers],
    type_: ChannelType,
) -> None:
    key = _full_key(channel_key, type_)
    variant = uuid.uuid4()
    back_office = (
        "/inventory/levels",
        "/inventory/movements",
        "/inventory/check",
        f"/inventory/transfers/{variant}",
        "/pricing/price-lists",
        f"/pricing/price-lists/{variant}/prices",
        "/pricing/promotions",
        f"/pricing/variants/{variant}/history",
        "/pricing/parity",
    )
    for path in back_office:
        r = client.get(f"{API}{path}", headers=key)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (path, r.text)
        assert client.get(f"{API}{path}", headers=admin).status_code != 403, path
