"""A location's fulfilment settings and a channel's routing over HTTP: read with their
defaults, replaced whole, guarded by ETags, told to the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.db import OutboxEvent
from omnichannel.fulfillment.models import LocationFulfilment

API = "/api/v1"

STORE = {
    "shipment_cost": 1500,
    "daily_capacity": 20,
    "cutoff": "15:00",
    "ready_within_hours": 2,
    "collect_within_days": 5,
    "reserve_hold_hours": None,
}
UNSET = dict.fromkeys(STORE)
ROUTING = {
    "max_shipments": 2,
    "stores_ship": False,
    "split_penalty": 1000,
    "cost_per_km": None,
    "cost_per_day": None,
    "reserve_hold_hours": 24,
}


def _events(session: Session, type_: str) -> list[OutboxEvent]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.position)
        )
    )


def _channel(session: Session) -> uuid.UUID:
    ch = create_channel(session, data=ChannelCreate(code="web", name="Sklep", type="web"))
    session.commit()
    return ch.id


def test_a_location_that_set_nothing_reads_every_default(
    client: TestClient, admin: dict[str, str], make_location: Callable[..., uuid.UUID]
) -> None:
    store = make_location("ST-KRK-01")
    r = client.get(f"{API}/locations/{store}/fulfilment-settings", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["shipment_cost"] == 0
    assert body["daily_capacity"] is None
    assert body["ready_within_hours"] == 4
    assert body["collect_within_days"] == 7
    assert body["reserve_hold_hours"] == 48
    assert body["updated_at"] is None
    assert set(body["defaults"]) == set(STORE)
    assert r.headers["etag"].startswith('W/"')


def test_a_put_replaces_the_settings_answers_what_applies_and_tells_the_outbox_once(
    client: TestClient,
    admin: dict[str, str],
    make_location: Callable[..., uuid.UUID],
    session: Session,
) -> None:
    store = make_location("ST-KRK-01")
    url = f"{API}/locations/{store}/fulfilment-settings"
    r = client.put(url, json=STORE, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cutoff"] == "15:00"
    assert body["daily_capacity"] == 20
    assert body["reserve_hold_hours"] == 48
    assert body["defaults"] == ["reserve_hold_hours"]
    row = session.get(LocationFulfilment, store)
    assert row is not None
    assert row.cutoff == time(15, 0)
    assert row.shipment_cost == 1500
    again = client.put(url, json=STORE, headers=admin)
    assert again.json() == body
    assert again.headers["etag"] == r.headers["etag"]
    (event,) = _events(session, "fulfilment.location_settings_changed")
    assert event.aggregate_id == str(store)
    assert event.payload["settings"]["cutoff"] == "15:00"
    assert event.payload["defaults"] == ["reserve_hold_hours"]


def test_nulls_give_the_settings_back_to_their_defaults(
    client: TestClient,
    admin: dict[str, str],
    make_location: Callable[..., uuid.UUID],
    session: Session,
) -> None:
    store = make_location("ST-KRK-01")
    url = f"{API}/locations/{store}/fulfilment-settings"
    client.put(url, json=STORE, headers=admin)
    r = client.put(url, json=UNSET, headers=admin)
    assert r.status_code == 200, r.text
    assert set(r.json()["defaults"]) == set(STORE)
    assert r.json()["shipment_cost"] == 0
    assert len(_events(session, "fulfilment.location_settings_changed")) == 2


def test_a_body_that_leaves_a_setting_out_is_422_naming_it_and_changes_nothing(
    client: TestClient,
    admin: dict[str, str],
    make_location: Callable[..., uuid.UUID],
    session: Session,
) -> None:
    store = make_location("ST-KRK-01")
    r = client.put(
        f"{API}/locations/{store}/fulfilment-settings",
        json={"daily_capacity": 30},
        headers=admin,
    )
    assert r.status_code == 422
    assert "cutoff" in {e["field"] for e in r.json()["errors"]}
    assert session.get(LocationFulfilment, store) is None


def _bad(field: str, value: Any) -> dict[str, Any]:
    return {**STORE, field: value}


def test_bad_values_are_422_naming_their_field(
    client: TestClient,
    admin: dict[str, str],
    make_location: Callable[..., uuid.UUID],
    session: Session,
) -> None:
    store = make_location("ST-KRK-01")
    url = f"{API}/locations/{store}/fulfilment-settings"
    for field, value in [
        ("shipment_cost", -1),
        ("daily_capacity", -5),
        ("cutoff", "25:00"),
        ("cutoff", "3 pm"),
        ("cutoff", "15:00:00"),
        ("ready_within_hours", 0),
        ("ready_within_hours", 721),
        ("collect_within_days", 61),
        ("reserve_hold_hours", 0),
    ]:
        r = client.put(url, json=_bad(field, value), headers=admin)
        assert r.status_code == 422, (field, value, r.text)
        assert r.json()["errors"][0]["field"] == field, (field, value)
    r = client.put(url, json={**STORE, "colour": "red"}, headers=admin)
    assert r.status_code == 422
    assert session.get(LocationFulfilment, store) is None
    assert _events(session, "fulfilment.location_settings_changed") == []


def test_a_put_with_a_stale_etag_is_412_and_changes_nothing(
    client: TestClient, admin: dict[str, str], make_location: Callable[..., uuid.UUID]
) -> None:
    store = make_location("ST-KRK-01")
    url = f"{API}/locations/{store}/fulfilment-settings"
    read = client.get(url, headers=admin).headers["etag"]
    first = client.put(url, json=STORE, headers={**admin, "If-Match": read})
    assert first.status_code == 200, first.text
    late = client.put(url, json=UNSET, headers={**admin, "If-Match": read})
    assert late.status_code == 412
    assert client.get(url, headers=admin).json()["daily_capacity"] == 20


def test_an_unknown_location_or_channel_is_404(client: TestClient, admin: dict[str, str]) -> None:
    nobody = uuid.uuid4()
    assert (
        client.get(f"{API}/locations/{nobody}/fulfilment-settings", headers=admin).status_code
        == 404
    )
    r = client.put(f"{API}/locations/{nobody}/fulfilment-settings", json=STORE, headers=admin)
    assert r.status_code == 404
    assert client.get(f"{API}/channels/{nobody}/routing", headers=admin).status_code == 404
    assert (
        client.put(f"{API}/channels/{nobody}/routing", json=ROUTING, headers=admin).status_code
        == 404
    )


def test_a_store_associate_sets_their_own_store_and_not_another(
    client: TestClient,
    login_as: Callable[..., dict[str, str]],
    make_location: Callable[..., uuid.UUID],
    session: Session,
) -> None:
    mine, other = make_location("ST-WAW-01"), make_location("ST-KRK-01")
    associate = login_as("store_associate", [mine])
    r = client.put(f"{API}/locations/{mine}/fulfilment-settings", json=STORE, headers=associate)
    assert r.status_code == 200, r.text
    r = client.put(f"{API}/locations/{other}/fulfilment-settings", json=STORE, headers=associate)
    assert r.status_code == 403
    assert r.json()["code"] == "outside_your_locations"
    assert session.get(LocationFulfilment, other) is None
    # reading is open to staff, as locations are
    r = client.get(f"{API}/locations/{other}/fulfilment-settings", headers=associate)
    assert r.status_code == 200


def test_a_channel_key_reads_no_location_settings(
    client: TestClient,
    channel_key: Callable[..., dict[str, str]],
    make_location: Callable[..., uuid.UUID],
) -> None:
    store = make_location("ST-KRK-01")
    key = channel_key("shop", scopes=["locations:read"])
    r = client.get(f"{API}/locations/{store}/fulfilment-settings", headers=key)
    assert r.status_code == 403


def test_a_channels_routing_is_replaced_by_a_manager_and_read_back(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    channel = _channel(session)
    url = f"{API}/channels/{channel}/routing"
    before = client.get(url, headers=admin).json()
    assert before["max_shipments"] == 3
    assert before["stores_ship"] is True
    assert before["reserve_hold_hours"] is None
    r = client.put(url, json=ROUTING, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["max_shipments"] == 2
    assert body["stores_ship"] is False
    assert body["split_penalty"] == 1000
    assert body["cost_per_km"] == 2
    assert body["defaults"] == ["cost_per_km", "cost_per_day"]
    assert client.get(url, headers=admin).json() == body
    (event,) = _events(session, "fulfilment.channel_routing_changed")
    assert event.payload["settings"]["max_shipments"] == 2


def test_a_channels_routing_refuses_bad_values_and_non_managers(
    client: TestClient,
    admin: dict[str, str],
    login_as: Callable[..., dict[str, str]],
    session: Session,
) -> None:
    channel = _channel(session)
    url = f"{API}/channels/{channel}/routing"
    for field, value in [("max_shipments", 0), ("max_shipments", 11), ("cost_per_day", -1)]:
        r = client.put(url, json={**ROUTING, field: value}, headers=admin)
        assert r.status_code == 422, (field, value)
        assert r.json()["errors"][0]["field"] == field
    agent = login_as("call_center_agent")
    assert client.put(url, json=ROUTING, headers=agent).status_code == 403
    assert client.get(url, headers=agent).status_code == 200
    assert _events(session, "fulfilment.channel_routing_changed") == []
