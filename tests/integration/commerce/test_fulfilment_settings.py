"""Fulfilment settings written by many at once, committed for real on SQLite and
PostgreSQL: writers holding the same ETag, one wins and the others are told; writers
without one all land, one after another, each change its own event. And what is
written is what a pickup's clock then runs by."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from omnichannel.db import Database, OutboxEvent, unit_of_work
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment import settings
from omnichannel.fulfillment.models import Pickup
from omnichannel.fulfillment.schemas_settings import LocationFulfilmentIn
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import PreconditionFailed
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments.service import PaymentMethod
from tests import ordering
from tests.conftest import location_doc
from tests.integration.commerce.conftest import Store

WRITERS = 8
CHANGED = "fulfilment.location_settings_changed"


def _store(db: Database) -> uuid.UUID:
    with unit_of_work(db, actor="setup") as s:
        doc = LocationCreate.model_validate(location_doc("ST-KRK-01"))
        return create_location(s, data=doc).id


def _capacity(n: int) -> LocationFulfilmentIn:
    return LocationFulfilmentIn.model_validate(
        dict.fromkeys(LocationFulfilmentIn.model_fields) | {"daily_capacity": n}
    )


def _together(work: Callable[[int], None]) -> list[BaseException]:
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a writer never finished"
    return errors


def _events(db: Database, store: uuid.UUID) -> list[OutboxEvent]:
    with unit_of_work(db, read_only=True) as s:
        return list(
            s.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == CHANGED, OutboxEvent.aggregate_id == str(store))
                .order_by(OutboxEvent.sequence)
            )
        )


def test_writers_holding_the_same_etag_one_wins_and_the_others_are_412(
    committing_db: Database,
) -> None:
    store = _store(committing_db)
    with unit_of_work(committing_db, read_only=True) as s:
        read = settings.location_settings(s, location_id=store).etag

    def put(i: int) -> None:
        with unit_of_work(committing_db, actor=f"writer-{i}") as s:
            settings.set_location_settings(
                s, location_id=store, data=_capacity(10 + i), if_match=read
            )

    errors = _together(put)
    assert len(errors) == WRITERS - 1
    assert all(isinstance(e, PreconditionFailed) for e in errors), errors
    (event,) = _events(committing_db, store)
    with unit_of_work(committing_db, read_only=True) as s:
        now = settings.location_settings(s, location_id=store).values
    assert event.payload["settings"]["daily_capacity"] == now["daily_capacity"]


def test_writers_without_an_etag_all_land_one_after_another(committing_db: Database) -> None:
    store = _store(committing_db)

    def put(i: int) -> None:
        with unit_of_work(committing_db, actor=f"writer-{i}") as s:
            settings.set_location_settings(s, location_id=store, data=_capacity(10 + i))

    assert _together(put) == []
    events = _events(committing_db, store)
    numbers = [e.sequence for e in events]
    assert len(numbers) == WRITERS
    assert numbers == sorted(set(numbers))  # each its own, rising in commit order
    assert [e.position for e in events] == sorted(e.position for e in events)
    last = events[-1].payload["settings"]["daily_capacity"]
    with unit_of_work(committing_db, read_only=True) as s:
        assert settings.location_settings(s, location_id=store).values["daily_capacity"] == last


def test_a_change_after_the_outbox_pruned_the_last_ones_still_numbers_above_them(
    committing_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(committing_db)
    for n in (10, 20):
        with unit_of_work(committing_db, actor="test") as s:
            settings.set_location_settings(s, location_id=store, data=_capacity(n))
    seen = max(e.sequence for e in _events(committing_db, store))
    # the outbox keeps events for hours before it prunes them
    later = utcnow() + timedelta(hours=1)
    monkeypatch.setattr("omnichannel.fulfillment.settings.utcnow", lambda: later)
    with unit_of_work(committing_db, actor="test") as s:
        s.execute(delete(OutboxEvent).where(OutboxEvent.type == CHANGED))
        settings.set_location_settings(s, location_id=store, data=_capacity(30))
    (after,) = _events(committing_db, store)
    assert after.sequence > seen


def test_a_stores_pickup_clock_follows_the_settings_written_for_it(
    session: Session, store: Store
) -> None:
    settings.set_location_settings(
        session,
        location_id=store.krakow,
        data=LocationFulfilmentIn.model_validate(
            dict.fromkeys(LocationFulfilmentIn.model_fields) | {"ready_within_hours": 2}
        ),
    )
    order = ordering.checkout(
        session,
        cart=store.cart(session, "web", TS_M=1),
        seller=store.seller("web"),
        actor="channel:web",
        request=orders.CheckoutRequest(
            currency="PLN",
            fulfilment=Fulfilment.PICKUP,
            pickup_location_id=store.krakow,
            payment_method=PaymentMethod.PAY_AT_PICKUP,
            contact=orders.Contact(email="anna.nowak@example.pl"),
        ),
    )
    saturday = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)  # the store opens Monday at 10:00
    fulfilment.allocate(session, order_id=order.id, actor="test", now=saturday)
    pickup = session.get(Pickup, order.id)
    assert pickup is not None
    assert pickup.ready_due_at is not None
    # Monday 12:00 in Kraków: two opening hours, not the default four
    assert pickup.ready_due_at.replace(tzinfo=UTC) == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
