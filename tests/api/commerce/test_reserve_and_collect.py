"""Reserve & collect over HTTP: goods held at a chosen store from its own shelf without
paying, for the channel's hold time; not collected by then, the order is cancelled
(not only the hold), its stock back on sale and the customer told by an event."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.db import Database, OutboxEvent
from omnichannel.db.session import units
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment.models import Pickup
from tests.api.commerce.conftest import API, Keys, checkout
from tests.integration.commerce.conftest import KRAKOW_STOCK, WAREHOUSE_STOCK

HOLD = timedelta(hours=48)  # the default hold


def _reserve(client: TestClient, keys: Keys, qty: int = 1, **body: Any) -> Any:
    reservation: dict[str, Any] = {
        "fulfilment": "pickup",
        "pickup_location_id": str(keys.store.krakow),
        "shipping_address": None,
        "reserve": True,
        "payment": {"method": "pay_at_pickup"},
    }
    return checkout(client, keys, {"TS-M": qty}, **(reservation | body))


def test_a_reservation_is_held_at_the_store_and_cancelled_when_nobody_comes(
    client: TestClient, keys: Keys, session: Session, db: Database, admin: dict[str, str]
) -> None:
    r = _reserve(client, keys)
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["kind"], order["status"], order["payment_status"]) == (
        "reserve_collect",
        "confirmed",
        "due",
    )
    assert order["lines"][0]["allocations"][0]["location_id"] == str(keys.store.krakow)
    fulfilment.allocate(session, order_id=uuid.UUID(order["id"]), actor="test")
    session.commit()
    pickup = session.get(Pickup, uuid.UUID(order["id"]))
    assert pickup is not None
    assert pickup.kind == "reserve_collect"
    assert pickup.collect_by is not None
    assert pickup.collect_by - pickup.created_at <= HOLD
    assert keys.store.level(session, "TS-M", keys.store.krakow) == (KRAKOW_STOCK, 1)

    early = fulfilment.expire_pickups(units(db), now=pickup.collect_by - timedelta(minutes=1))
    assert early.expired == 0
    done = fulfilment.expire_pickups(units(db), now=pickup.collect_by + timedelta(minutes=1))
    assert done.expired == 1
    session.expire_all()
    body = client.get(f"{API}/orders/{order['id']}", headers=admin).json()
    assert (body["status"], body["payment_status"]) == ("cancelled", "voided")
    assert keys.store.level(session, "TS-M", keys.store.krakow) == (KRAKOW_STOCK, 0)
    told = session.scalars(
        select(OutboxEvent.type).where(OutboxEvent.type.in_(["pickup.expired", "order.cancelled"]))
    ).all()
    assert sorted(told) == ["order.cancelled", "pickup.expired"]


def test_a_reservation_takes_only_what_the_stores_own_shelf_has(
    client: TestClient, keys: Keys, session: Session
) -> None:
    r = _reserve(client, keys, qty=KRAKOW_STOCK + 1)
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")
    assert keys.store.level(session, "TS-M", keys.store.warehouse) == (WAREHOUSE_STOCK, 0)
    assert keys.store.level(session, "TS-M", keys.store.krakow) == (KRAKOW_STOCK, 0)


def test_a_reservation_is_a_pickup_paid_at_the_store_or_nothing(
    client: TestClient, keys: Keys, session: Session
) -> None:
    before = keys.store.orders(session)
    paid = _reserve(client, keys, payment={"method": "card", "token": "sandbox_ok"})
    assert (paid.status_code, paid.json()["errors"][0]["field"]) == (422, "reserve")
    shipped = _reserve(
        client,
        keys,
        fulfilment="delivery",
        pickup_location_id=None,
        shipping_address={"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk"},
    )
    assert shipped.status_code == 422
    assert keys.store.orders(session) == before
