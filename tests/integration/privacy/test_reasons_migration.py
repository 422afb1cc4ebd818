"""Migration d8e2b6a4f1c3 on a database with rows in it: the reasons already stored
in plain text are sealed, the order events that carried one say only that one was
given, the refunds a cancel asked for lose its words, and a downgrade gives the
sealed text back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from omnichannel.db import Database, OutboxEvent, record_event, unit_of_work
from omnichannel.db.migrate import upgrade
from omnichannel.inventory.rules import MovementKind
from omnichannel.inventory.service import adjust
from omnichannel.orders import service as orders
from omnichannel.orders.rules import OrderStatus
from omnichannel.payments.models import PaymentOperation
from omnichannel.security.crypto import keyring
from tests import ordering
from tests.fresh_db import downgrade, fresh_engine
from tests.integration.commerce.conftest import build_store
from tests.integration.commerce.test_checkout import _checkout

BEFORE = "c1a7f3e9d2b4"
SCHEMA = "reasons_migration"
CANCEL = "Pani Kowalska się rozmyśliła"
FOUND = "oddane przez pana Nowaka"


@pytest.fixture
def fresh(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An empty database of the test's backend, migrated to the newest revision."""
    with fresh_engine(engine, tmp_path_factory.mktemp("m"), SCHEMA) as eng:
        yield eng


def _stored(eng: Engine) -> list[str]:
    with eng.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT reason FROM order_transitions WHERE reason IS NOT NULL "
                "UNION ALL SELECT reason FROM stock_movements WHERE reason IS NOT NULL"
            )
        )
        return sorted(r[0] for r in rows)


def test_the_migration_seals_the_reasons_already_stored_and_a_downgrade_opens_them(
    fresh: Engine,
) -> None:
    db = Database(fresh)
    with unit_of_work(db, actor="setup") as s:
        store = build_store(s)
        order = _checkout(s, store, store.cart(s, TS_S=1))
        ordering.move(s, order=order, to=OrderStatus.CANCELLED, actor="staff:x", reason=CANCEL)
        adjust(
            s,
            location_id=store.warehouse,
            variant_id=store.v("TS-S"),
            quantity=1,
            kind=MovementKind.ADJUSTMENT,
            reason=FOUND,
        )
    sealed = _stored(fresh)
    assert len(sealed) == 2
    assert all(v.startswith(f"{keyring().current.id}:") for v in sealed)

    downgrade(fresh, BEFORE)
    assert _stored(fresh) == sorted([CANCEL, FOUND])
    with unit_of_work(db, actor="setup") as s:  # what the old code wrote
        record_event(
            s,
            aggregate_type="order",
            aggregate_id=order.id,
            sequence=99,
            type="order.cancelled",
            payload={"order_id": str(order.id), "reason": CANCEL},
        )
        (payment,) = ordering.payments_of(s, order)
        payment.pending_reason = CANCEL
        s.add(
            PaymentOperation(
                payment_id=payment.id,
                kind="refund",
                amount=1,
                succeeded=True,
                message=f"{CANCEL} | refunded",
            )
        )
        refunded = {"operation": "refund", "reason": CANCEL, "message": f"{CANCEL} | ok"}
        record_event(
            s,
            aggregate_type="payment",
            aggregate_id=payment.id,
            sequence=99,
            type="payment.refunded",
            payload=refunded,
        )

    upgrade(fresh)
    resealed = _stored(fresh)
    assert len(resealed) == 2
    assert all(v.startswith(f"{keyring().current.id}:") for v in resealed)
    with Session(fresh) as s:
        again = orders.load(s, order_id=order.id, access=orders.Access(staff=True))
        history = orders.history(s, order=again)
        assert [t.reason for t in history if t.reason] == [CANCEL]
        old = select(OutboxEvent.aggregate_type, OutboxEvent.payload).where(
            OutboxEvent.sequence == 99
        )
        events: dict[str, Any] = dict(tuple(row) for row in s.execute(old))
        assert events["order"] == {"order_id": str(order.id), "reason_given": True}
        assert events["payment"] == {
            "operation": "refund",
            "reason": "order cancelled",
            "message": "order cancelled",
        }
        (payment,) = ordering.payments_of(s, order)
        assert payment.pending_reason == "order cancelled"
        messages = s.scalars(
            select(PaymentOperation.message).where(PaymentOperation.kind == "refund")
        )
        assert list(messages) == ["order cancelled"]
