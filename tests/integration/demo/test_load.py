"""`omni demo` loads the whole retailer through the services, once."""

from datetime import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.api.app import create_app
from omnichannel.catalog.models import Variant
from omnichannel.channels import service as channels
from omnichannel.config import Settings
from omnichannel.db import Database, OutboxEvent, unit_of_work
from omnichannel.demo import data
from omnichannel.demo.load import load_demo
from omnichannel.fulfillment import settings as fulfilment_settings
from omnichannel.inventory import service as inventory
from omnichannel.inventory.models import StockLevel
from omnichannel.locations import service as locations
from omnichannel.orders.models import Order


def test_the_demo_loads_once_and_every_role_can_sign_in(
    committing_db: Database, settings: Settings
) -> None:
    first = load_demo(committing_db, seed=2026)
    assert first.loaded
    assert set(first.api_keys) == {c[0] for c in data.CHANNELS}
    assert first.variants == data.variant_count(2026)

    again = load_demo(committing_db, seed=2026)
    assert not again.loaded
    with unit_of_work(committing_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Variant)) == first.variants
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) > 0
        assert (s.scalar(select(func.sum(StockLevel.on_hand))) or 0) > 10_000
        assert inventory.check_ledger(s) == []
        statuses = set(s.scalars(select(Order.status)))
        assert {"completed", "ready_for_pickup", "confirmed"} <= statuses
        assert first.orders.handoff_code is not None
        _assert_fulfilment_settings(s)

    with TestClient(create_app(settings, database=committing_db)) as client:
        for role, email, _name, password, _scope in data.STAFF:
            r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
            assert r.status_code == 200, role
        web = client.get("/api/v1/channel", headers={"X-Api-Key": first.api_keys["web"]})
        assert web.json()["channel"]["code"] == "web"
        products = client.get(
            "/api/v1/products",
            params={"q": "koszulka"},
            headers={"X-Api-Key": first.api_keys["web"]},
        )
        assert products.status_code == 200
        assert products.json()["items"]
        opened = client.post(
            f"/api/v1/carts/handoff/{first.orders.handoff_code}",
            headers={"X-Api-Key": first.api_keys["pos-krk"]},
        )
        assert opened.status_code == 200, opened.text
        code, amount = first.gift_cards.codes[0]
        balance = client.post(
            "/api/v1/gift-cards/balance",
            json={"code": code},
            headers={"X-Api-Key": first.api_keys["web"]},
        )
        assert (balance.status_code, balance.json()["available"]) == (200, amount)
        assert first.gift_cards.store_credit is not None


def _assert_fulfilment_settings(s: Session) -> None:
    """The warehouse's cut-off and capacity, a store's pickup clock, the channels' splits."""

    def at(code: str) -> dict[str, object]:
        loc = locations.find_location(s, code=code)
        assert loc is not None
        return fulfilment_settings.location_settings(s, location_id=loc.id).values

    def routing(code: str) -> dict[str, object]:
        ch = channels.get_channel_by_code(s, code=code)
        return fulfilment_settings.channel_routing(s, channel_id=ch.id).values

    warehouse, store = at("WH-STRYKOW"), at("ST-KRK-01")
    assert (warehouse["cutoff"], warehouse["daily_capacity"]) == (time(15, 0), 400)
    assert warehouse["shipment_cost"] == 900
    assert (store["shipment_cost"], store["daily_capacity"]) == (1500, 20)
    assert (store["ready_within_hours"], store["collect_within_days"]) == (2, 5)
    assert store["reserve_hold_hours"] == 48
    assert (routing("web")["max_shipments"], routing("web")["split_penalty"]) == (2, 1000)
    assert routing("allegro")["max_shipments"] == 1
