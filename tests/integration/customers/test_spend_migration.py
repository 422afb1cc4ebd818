"""Migration e4b9c2d7a1f5 on a database with paid orders in it: money taken before
spend followed the payments becomes spend once, on the live profile, and a payment
whose event is still in the outbox is left to the consumer that reads it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from omnichannel.customers.models import TimelineEntry
from omnichannel.db import Database, OutboxEvent, unit_of_work
from omnichannel.db.migrate import upgrade
from omnichannel.orders.rules import OrderStatus
from tests import ordering
from tests.fresh_db import downgrade, fresh_engine
from tests.integration.commerce.conftest import build_store
from tests.integration.commerce.test_checkout import _checkout, _customer

BEFORE = "d8e2b6a4f1c3"
SCHEMA = "spend_migration"
SPEND = ("order_paid", "order_refunded")


@pytest.fixture
def fresh(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An empty database of the test's backend, migrated to the newest revision."""
    with fresh_engine(engine, tmp_path_factory.mktemp("m"), SCHEMA) as eng:
        yield eng


def _spend(eng: Engine) -> list[tuple[str, int, str]]:
    with Session(eng) as s:
        rows = s.execute(
            select(TimelineEntry.type, TimelineEntry.amount_minor, TimelineEntry.reference)
            .where(TimelineEntry.type.in_(SPEND))
            .order_by(TimelineEntry.occurred_at)
        )
        return [(t, int(a or 0), str(r)) for t, a, r in rows]


def test_past_payments_become_spend_once_and_retained_events_are_left_to_the_consumer(
    fresh: Engine,
) -> None:
    db = Database(fresh)
    with unit_of_work(db, actor="setup") as s:
        store = build_store(s)
        anna = _customer(s)
        old = _checkout(s, store, store.cart(s, customer_id=anna, TS_S=1))
        recent = _checkout(s, store, store.cart(s, customer_id=anna, TS_S=2))
        for order in (old, recent):
            for to in ("allocated", "in_fulfilment", "shipped"):
                ordering.move(s, order=order, to=OrderStatus(to), actor="staff:wh")
        cancelled = _checkout(s, store, store.cart(s, customer_id=anna, TS_S=3))
        ordering.cancel(s, order=cancelled, actor="staff:x")
        (paid_long_ago,) = ordering.payments_of(s, old)
        old_total, old_number = old.total, old.number
    downgrade(fresh, BEFORE)
    assert _spend(fresh) == []
    with unit_of_work(db, actor="setup") as s:  # the outbox no longer holds old events
        s.execute(delete(OutboxEvent).where(OutboxEvent.aggregate_id == str(paid_long_ago.id)))

    upgrade(fresh)

    # The recent payment's event is still to be read by the consumer; the cancelled
    # order's authorisation was voided, never taken.
    assert _spend(fresh) == [("order_paid", old_total, old_number)]
    with Session(fresh) as s:
        entry = s.scalars(select(TimelineEntry).where(TimelineEntry.type == "order_paid")).one()
        assert entry.customer_id == anna
        assert entry.data == {"order_id": str(old.id), "payment_id": str(paid_long_ago.id)}
    downgrade(fresh, BEFORE)
    assert _spend(fresh) == []
