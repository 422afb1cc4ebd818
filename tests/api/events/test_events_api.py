"""The events admin endpoints: consumers' backlog, parked events, replay."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel import schedule
from omnichannel.db import record_event
from omnichannel.events.cursors import EVENT_COLUMNS, event_of, outbox, park
from omnichannel.events.models import ParkedEvent
from omnichannel.kernel import utcnow

CONSUMERS = "/api/v1/events/consumers"
PARKED = "/api/v1/events/parked"


@pytest.fixture(autouse=True)
def _registered() -> None:
    schedule.install()  # what the app's start-up does


@pytest.fixture
def parked_id(session: Session) -> int:
    """One `inventory.level_changed` event, parked for the availability consumer."""
    record_event(
        session,
        aggregate_type="stock_level",
        aggregate_id="v:l",
        sequence=1,
        type="inventory.level_changed",
        payload={"variant_id": "v"},
    )
    row = session.execute(select(*EVENT_COLUMNS).order_by(outbox.c.position.desc()).limit(1)).one()
    park(session, "inventory.availability", event_of(row), attempts=8, error="boom", now=utcnow())
    session.commit()
    return session.scalars(select(ParkedEvent.id)).one()


def test_admins_see_each_consumers_backlog_and_parked_count(
    client: TestClient, admin: dict[str, str], parked_id: int
) -> None:
    r = client.get(CONSUMERS, headers=admin)
    assert r.status_code == 200, r.text
    [availability] = [c for c in r.json() if c["name"] == "inventory.availability"]
    assert availability["types"] == ["inventory.level_changed"]
    assert availability["parked"] == 1
    assert availability["shards"] == []  # it never ran: no cursors yet
    r = client.get(CONSUMERS, params={"consumer": "nope"}, headers=admin)
    assert r.status_code == 404


def test_consumers_are_for_admins_only(
    client: TestClient, login_as: Callable[..., dict[str, str]]
) -> None:
    assert client.get(CONSUMERS).status_code == 401
    assert client.get(CONSUMERS, headers=login_as("marketing_analyst")).status_code == 403


def test_parked_events_page_and_refuse_a_bad_cursor(
    client: TestClient, admin: dict[str, str], parked_id: int
) -> None:
    r = client.get(PARKED, headers=admin)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert (item["id"], item["consumer"], item["last_error"]) == (
        parked_id,
        "inventory.availability",
        "boom",
    )
    assert client.get(PARKED, params={"limit": 0}, headers=admin).status_code == 422
    r = client.get(PARKED, params={"cursor": "not-ours"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cursor"
    assert client.get(PARKED).status_code == 401


def test_replay_asks_the_consumer_to_deliver_again_once(
    client: TestClient, admin: dict[str, str], parked_id: int
) -> None:
    r = client.post(f"{PARKED}/{parked_id}/replay", headers=admin)
    assert r.status_code == 202, r.text
    assert r.json()["replay_requested_at"] is not None
    assert client.post(f"{PARKED}/999999/replay", headers=admin).status_code == 404
    assert client.post(f"{PARKED}/zero/replay", headers=admin).status_code == 422
    assert client.post(f"{PARKED}/{parked_id}/replay").status_code == 401


def test_an_event_replayed_already_is_a_conflict(
    client: TestClient, admin: dict[str, str], parked_id: int, session: Session
) -> None:
    session.get_one(ParkedEvent, parked_id).replayed_at = utcnow()
    session.commit()
    r = client.post(f"{PARKED}/{parked_id}/replay", headers=admin)
    assert r.status_code == 409
    assert r.json()["code"] == "event_already_replayed"
