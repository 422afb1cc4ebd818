"""Spend counts only what was paid and kept: an order counts once money is taken for
it (captured), and stops counting when it is given back; placing an order, or
cancelling it, moves no money and so no spend."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.customers import segments, timeline
from omnichannel.customers.rules import TimelineType
from omnichannel.customers.schemas_segments import SegmentCreate
from omnichannel.db import Database
from tests.api.commerce.conftest import API
from tests.api.customer_data.conftest import Shopper, feed_customers, marketplace_order

SHIRT = 4999
DELIVERY = 1499


def _segment(session: Session, code: str, **spend: int) -> None:
    segments.create_segment(
        session,
        data=SegmentCreate.model_validate(
            {"code": code, "name": code, "kind": "rule", "rules": {"spend": spend}}
        ),
    )
    session.commit()


def _members(session: Session, db: Database, code: str) -> set[uuid.UUID]:
    feed_customers(db)
    segments.recompute(session, code=code)
    session.commit()
    return set(segments.members(session, code=code, limit=100))


def _move(client: TestClient, admin: dict[str, str], order: dict[str, Any], *to: str) -> None:
    for status in to:
        r = client.post(
            f"{API}/orders/{order['id']}/transitions", json={"to": status}, headers=admin
        )
        assert r.status_code == 200, r.text


def test_a_cancelled_big_order_does_not_make_a_vip(
    client: TestClient, shopper: Shopper, session: Session, db: Database
) -> None:
    _segment(session, "vip", min_minor=10_000)
    big = shopper.checkout(shopper.cart(TS_S=5), "big")
    assert (big.status_code, big.json()["total"]) == (201, 5 * SHIRT + DELIVERY), big.text
    cancelled = client.post(
        f"{API}/orders/{big.json()['id']}/cancel", json={}, headers=shopper.headers
    )
    assert cancelled.json()["payment_status"] == "voided"
    assert _members(session, db, "vip") == set()
    placed = timeline.entries(
        session, customer_id=uuid.UUID(shopper.id), types=[TimelineType.ORDER_PLACED]
    )
    assert [e.amount_minor for e in placed] == [5 * SHIRT + DELIVERY]  # on record, not spend


def test_an_unpaid_order_does_not_count_towards_spend(
    client: TestClient, shopper: Shopper, admin: dict[str, str], session: Session, db: Database
) -> None:
    _segment(session, "buyers", min_minor=1)
    transfer = shopper.order("transfer", payment={"method": "bank_transfer"})
    assert transfer["payment_status"] == "pending"  # the money never arrives
    cod = shopper.order("cod", payment={"method": "cash_on_delivery"})
    _move(client, admin, cod, "allocated", "in_fulfilment", "shipped")
    authorised = shopper.order("card")  # held on the card, not taken
    assert (authorised["payment_status"], cod["payment_status"]) == ("authorised", "due")
    assert _members(session, db, "buyers") == set()


def test_a_paid_order_counts_once_paid(
    client: TestClient, shopper: Shopper, admin: dict[str, str], session: Session, db: Database
) -> None:
    total = SHIRT + DELIVERY
    _segment(session, "exactly", min_minor=total, max_minor=total)
    order = shopper.order("cod", payment={"method": "cash_on_delivery"})
    _move(client, admin, order, "allocated", "in_fulfilment", "shipped")
    assert _members(session, db, "exactly") == set()  # the cash is not taken yet
    _move(client, admin, order, "delivered")  # the courier takes the cash
    me = uuid.UUID(shopper.id)
    assert _members(session, db, "exactly") == {me}
    assert _members(session, db, "exactly") == {me}  # fed again: counted once
    paid = timeline.entries(session, customer_id=me, types=[TimelineType.ORDER_PAID])
    assert [(e.amount_minor, e.reference) for e in paid] == [(total, order["number"])]


def test_an_order_refunded_stops_counting(
    client: TestClient, shopper: Shopper, admin: dict[str, str], session: Session, db: Database
) -> None:
    _segment(session, "buyers", min_minor=1)
    doc = marketplace_order("anna.kowalska@example.pl")
    imported = client.post(f"{API}/orders/marketplace", json=doc, headers=shopper.keys["allegro"])
    assert (imported.status_code, imported.json()["customer_id"]) == (201, shopper.id)
    assert _members(session, db, "buyers") == {uuid.UUID(shopper.id)}  # settled by the market
    order_id = imported.json()["id"]
    refunded = client.post(f"{API}/orders/{order_id}/cancel", json={}, headers=admin)
    assert refunded.json()["payment_status"] == "refunded", refunded.text
    assert _members(session, db, "buyers") == set()
