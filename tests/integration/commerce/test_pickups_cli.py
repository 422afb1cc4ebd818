"""`omni fulfilment ...` with real commits: a store's overdue pickups listed by how
many open hours they are late, and pickups past their collect-by day expired."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from omnichannel.cli.main import app
from omnichannel.db import Database, unit_of_work
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment.models import Pickup
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments.service import PaymentMethod
from tests import ordering
from tests.integration.commerce.conftest import build_store


@pytest.fixture
def cli_db(committing_db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr("omnichannel.cli.common.get_database", lambda: committing_db)
    return committing_db


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def _pickup_in_krakow(db: Database) -> orders.Order:
    with unit_of_work(db, actor="test") as s:
        store = build_store(s)
        order = ordering.checkout(
            s,
            cart=store.cart(s, "web", TS_M=1),
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
        saturday = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)  # due Monday 14:00 in Kraków
        fulfilment.allocate(s, order_id=order.id, actor="test", now=saturday)
    return order


def test_the_overdue_list_of_a_store_names_its_late_pickups(cli_db: Database) -> None:
    order = _pickup_in_krakow(cli_db)
    code, out = _run("fulfilment", "pickups", "ST-KRK", "--state", "overdue")
    assert code == 0, out
    assert order.number in out
    assert " h" in out  # overdue by so many open hours
    code, out = _run("fulfilment", "pickups", "ST-NOWHERE")
    assert code == 1
    assert "No location" in out


def test_expire_pickups_cancels_the_orders_nobody_collected(cli_db: Database) -> None:
    order = _pickup_in_krakow(cli_db)
    with unit_of_work(cli_db, actor="test") as s:
        fulfilment.ready(s, order_id=order.id, by=None, actor="test")
        s.execute(
            update(Pickup)
            .where(Pickup.order_id == order.id)
            .values(collect_by=datetime(2026, 1, 1, tzinfo=UTC))
        )
    code, out = _run("fulfilment", "expire-pickups")
    assert code == 0, out
    assert "expired 1 pickup" in out
    with unit_of_work(cli_db, read_only=True) as s:
        pickup = s.get(Pickup, order.id)
        assert pickup is not None
        assert pickup.status == "expired"
        assert orders.load(s, order_id=order.id, access=orders.Access(staff=True)).status == (
            "cancelled"
        )
