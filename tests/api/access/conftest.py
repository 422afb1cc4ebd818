"""The demo retailer, loaded once per backend for the access table: its staff signed
in, a key of each channel type, a customer of its own, and one object of every kind a
path can name, each belonging to somebody else than most callers.

The objects sit where a scoped caller's rights end: the order waits for pickup in
Kraków, the cart is Kraków's till's, the reservation and transfer touch Kraków, while
the demo's store associate works in Warsaw and its warehouse operator in Stryków.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import Database, unit_of_work
from omnichannel.demo import data
from omnichannel.demo.load import load_demo
from omnichannel.fulfillment.models import FulfilmentOrder, Shipment
from omnichannel.orders.models import Order
from omnichannel.orders.rules import Fulfilment, OrderStatus
from tests.conftest import _empty

API = "/api/v1"

# Who calls, in the order of the table's columns.
CALLERS = [
    "anonymous",
    "admin",
    "store_associate",
    "call_center_agent",
    "warehouse_operator",
    "marketing_analyst",
    "key:web",
    "key:mobile_app",
    "key:store_pos",
    "key:call_center",
    "key:marketplace",
    "key:social",
    "customer",
]
# The demo channel whose key stands for each channel type: the till is Warsaw's.
KEY_OF_TYPE = {
    "key:web": "web",
    "key:mobile_app": "app",
    "key:store_pos": "pos-waw",
    "key:call_center": "call-center",
    "key:marketplace": "allegro",
    "key:social": "instagram",
}


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    ids: dict[str, str]
    codes: dict[str, str] = field(default_factory=dict)

    def path(self, template: str) -> str:
        """The template with every parameter filled by the object it names."""
        values = dict(self.ids)
        if "{code}" in template:
            values["code"] = self.codes[template.split("/")[3]]
        return template.format(**values)


def _ok(r: Any) -> Any:
    assert r.status_code < 300, r.text
    return r.json()


def _items(r: Any) -> list[dict[str, Any]]:
    found = _ok(r)
    return list(found["items"] if isinstance(found, dict) else found)


def _pickup_order_in_krakow(db: Database, krakow: str) -> Order:
    with unit_of_work(db, read_only=True) as s:
        order = s.scalar(
            select(Order).where(
                Order.fulfilment == Fulfilment.PICKUP,
                Order.status == OrderStatus.READY_FOR_PICKUP,
                Order.pickup_location_id == uuid.UUID(krakow),
            )
        )
        assert order is not None, "the demo has a click & collect order waiting in Kraków"
        return order


def _fulfilment_ids(db: Database) -> dict[str, str]:
    """A demo order's fulfilment order waiting to ship, and a parcel that has left."""
    with unit_of_work(db, read_only=True) as s:
        waiting = s.scalar(
            select(FulfilmentOrder.id).where(FulfilmentOrder.status == "allocated").limit(1)
        )
        parcel = s.scalar(select(Shipment.id).where(Shipment.status == "shipped").limit(1))
    assert waiting is not None, "the demo has an order waiting to ship"
    assert parcel is not None, "the demo has a parcel on its way"
    return {"fulfilment_order_id": str(waiting), "shipment_id": str(parcel), "line_no": "1"}


def _build(c: TestClient, db: Database, keys: dict[str, str]) -> World:
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role, email, _name, password, _scope in data.STAFF:
        r = c.post(f"{API}/auth/login", json={"email": email, "password": password})
        headers[role] = {"Authorization": f"Bearer {_ok(r)['access_token']}"}
    for caller, code in KEY_OF_TYPE.items():
        headers[caller] = {"X-Api-Key": keys[code]}
    r = c.post(
        f"{API}/customers/auth/register",
        json={"email": "ktos.inny@example.pl", "password": "długie hasło 123"},
        headers=headers["key:web"],
    )
    headers["customer"] = {"Authorization": f"Bearer {_ok(r)['access_token']}"}
    admin = headers["admin"]

    def first(path: str, key: str = "id", **params: Any) -> str:
        return str(_items(c.get(f"{API}{path}", headers=admin, params=params))[0][key])

    locations = {loc["code"]: loc["id"] for loc in _items(c.get(f"{API}/locations", headers=admin))}
    channels = {ch["code"]: ch["id"] for ch in _items(c.get(f"{API}/channels", headers=admin))}
    krakow, warehouse = locations["ST-KRK-01"], locations["WH-STRYKOW"]
    order = _pickup_order_in_krakow(db, krakow)
    owner = str(order.customer_id)
    variant = first("/variants")
    ids = {
        "staff_id": next(
            s["id"]
            for s in _items(c.get(f"{API}/staff", headers=admin))
            if s["role"] == "warehouse_operator"
        ),
        "brand_id": first("/brands"),
        "category_id": first("/categories"),
        "product_id": first("/products"),
        "variant_id": variant,
        "location_id": krakow,
        "warehouse_id": warehouse,
        "channel_id": channels["pos-krk"],
        "price_list_id": first("/pricing/price-lists"),
        "promotion_id": first("/pricing/promotions"),
        "customer_id": owner,
        "order_id": str(order.id),
        "parked_id": "1",  # none is parked: the admin's answer is a 404
    }
    ids |= _fulfilment_ids(db)
    ids["key_id"] = first(f"/channels/{ids['channel_id']}/api-keys")
    profile = _ok(c.get(f"{API}/customers/{owner}", headers=admin))
    ids["identity_id"] = str(profile["identities"][0]["id"])
    address = {"street": "ul. Floriańska 12/4", "postcode": "31-019", "city": "Kraków"}
    r = c.post(f"{API}/customers/{owner}/addresses", json=address, headers=admin)
    ids["address_id"] = str(_ok(r)["id"])
    case = {"subject": "Zamówienie do odbioru", "category": "question", "order_id": ids["order_id"]}
    ids["case_id"] = str(
        _ok(c.post(f"{API}/customers/{owner}/cases", json=case, headers=admin))["id"]
    )
    credit = {"amount": 5000, "currency": "PLN", "reason": "goodwill"}
    r = c.post(f"{API}/customers/{owner}/store-credit", json=credit, headers=admin)
    ids["account_id"] = str(_ok(r)["id"])
    cart = _ok(
        c.post(f"{API}/carts", json={"channel": "pos-krk", "customer_id": owner}, headers=admin)
    )
    ids["cart_id"] = str(cart["id"])
    line = {"variant_id": variant, "quantity": 1}
    _ok(c.post(f"{API}/carts/{cart['id']}/lines?channel=pos-krk", json=line, headers=admin))
    handed = _ok(
        c.post(f"{API}/carts", json={"channel": "web", "customer_id": owner}, headers=admin)
    )
    _ok(c.post(f"{API}/carts/{handed['id']}/lines?channel=web", json=line, headers=admin))
    handoff = _ok(c.post(f"{API}/carts/{handed['id']}/handoff", json={}, headers=admin))
    hold = {
        "lines": [{"variant_id": variant, "location_id": krakow, "quantity": 1}],
        "owner_type": "hold",
        "owner_id": "access-table",
        "channel": "pos-krk",
    }
    r = c.post(f"{API}/reservations", json=hold, headers={**admin, "Idempotency-Key": "hold"})
    ids["reservation_id"] = str(_ok(r)["reservations"][0]["id"])
    move = {
        "from_location_id": warehouse,
        "to_location_id": krakow,
        "lines": [{"variant_id": variant, "quantity": 1}],
    }
    r = c.post(f"{API}/inventory/transfers", json=move, headers=admin)
    ids["transfer_id"] = str(_ok(r)["id"])
    coupons: list[dict[str, Any]] = []
    for promotion in _items(c.get(f"{API}/pricing/promotions", headers=admin)):
        coupons = _items(
            c.get(f"{API}/pricing/promotions/{promotion['id']}/coupons", headers=admin)
        )
        if coupons:
            ids["promotion_id"] = str(promotion["id"])
            break
    segments = _items(c.get(f"{API}/segments", headers=admin))
    codes = {
        "pricing": coupons[0]["code"],
        "segments": segments[0]["code"],
        "carts": handoff["code"],
    }
    return World(headers=headers, ids=ids, codes=codes)


def unthrottled(engine: Engine) -> Settings:
    """Settings without sign-in and code rate limits: the table asks who may call,
    many times from one address, not how often."""
    return Settings(
        env="test",
        database_url=engine.url.render_as_string(hide_password=False),
        sign_in_limit_per_client="",
        sign_in_limit_per_account="",
        code_limit_per_client="",
        code_limit_per_account="",
    )


@pytest.fixture(scope="module")
def world(engine: Engine) -> Iterator[World]:
    """The demo, committed once for the module, emptied afterwards."""
    db = Database(engine)
    report = load_demo(db, seed=2026)
    settings = unthrottled(engine)
    try:
        app = create_app(settings, database=db)
        with TestClient(app, raise_server_exceptions=False) as c:
            yield _build(c, db, report.api_keys)
    finally:
        _empty(engine)
