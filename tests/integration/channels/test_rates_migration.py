"""Migration 0a6d3e8f4b21 on a database with channels in it: each flat delivery fee
becomes its channel's courier rate (no fee, which meant free, a free courier), and
downgrading puts the courier rate back as the flat fee."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, inspect, select

from omnichannel.db.migrate import upgrade
from omnichannel.db.types import UTCDateTime
from tests.fresh_db import downgrade, fresh_engine

BEFORE = "f5c1d9e2a7b3"
SCHEMA = "rates_migration"
WEB, POS = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def fresh(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An empty database of the test's backend, migrated to the newest revision."""
    with fresh_engine(engine, tmp_path_factory.mktemp("m"), SCHEMA) as eng:
        yield eng


_CHANNELS = sa.table(
    "channels",
    *(sa.column(c, sa.String()) for c in ("code", "name", "type", "currency", "status")),
    sa.column("id", sa.Uuid()),
    sa.column("delivery_price", sa.Integer()),
    sa.column("version", sa.Integer()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
_RATES = sa.table(
    "channel_delivery_rates",
    sa.column("channel_id", sa.Uuid()),
    *(sa.column(c, sa.Integer()) for c in ("courier", "locker", "pickup", "cash_on_delivery")),
)
_STATE = sa.table("channels_state", sa.column("token", sa.Uuid()))


def _token(eng: Engine) -> uuid.UUID:
    with eng.connect() as conn:
        token: uuid.UUID = conn.execute(select(_STATE.c.token)).scalar_one()
        return token


def test_flat_fees_become_courier_rates_and_come_back_on_downgrade(fresh: Engine) -> None:
    downgrade(fresh, BEFORE)
    channels = _CHANNELS
    now = datetime.now(UTC)
    rows = [
        (WEB, "web", "web", 1499),
        (POS, "pos-krk", "store_pos", None),
    ]
    with fresh.begin() as conn:
        conn.execute(
            channels.insert(),
            [
                {
                    "id": id_,
                    "code": code,
                    "name": code,
                    "type": type_,
                    "currency": "PLN",
                    "status": "active",
                    "delivery_price": fee,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for id_, code, type_, fee in rows
            ],
        )
    token = _token(fresh)

    upgrade(fresh)

    assert "delivery_price" not in {c["name"] for c in inspect(fresh).get_columns("channels")}
    rates = _RATES
    with fresh.connect() as conn:
        found = {
            r.channel_id: (r.courier, r.locker, r.pickup, r.cash_on_delivery)
            for r in conn.execute(select(rates))
        }
    assert found == {WEB: (1499, None, 0, 0), POS: (0, None, 0, 0)}
    assert _token(fresh) != token  # no worker keeps the fees it cached
    variants = {c["name"] for c in inspect(fresh).get_columns("variants")}
    assert {"length_mm", "width_mm", "height_mm"} <= variants

    with fresh.begin() as conn:  # a locker rate has nowhere to go on the way down
        conn.execute(rates.update().where(rates.c.channel_id == WEB).values(locker=1299))
    downgrade(fresh, BEFORE)

    assert "channel_delivery_rates" not in inspect(fresh).get_table_names()
    with fresh.connect() as conn:
        fees = {r.id: r.delivery_price for r in conn.execute(select(channels))}
    assert fees == {WEB: 1499, POS: None}
    assert "length_mm" not in {c["name"] for c in inspect(fresh).get_columns("variants")}
    upgrade(fresh)  # and up again, as a rollback of the rollback would
