"""The commerce store (a warehouse, Kraków and Gdańsk, the web shop and Kraków's till)
with a Warsaw store and its till added, a hotline that sells from no location, and
staff: an associate of each store, an agent and an admin."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.inventory import service as inventory
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location
from tests.api.commerce.conftest import API, Keys
from tests.api.commerce.conftest import keys as keys  # the fixture, for this folder too
from tests.conftest import location_doc

WARSAW_STOCK = 3
Headers = dict[str, str]
PICKUP: dict[str, Any] = {
    "currency": "PLN",
    "fulfilment": "pickup",
    "contact": {"email": "anna.nowak@example.pl", "given_name": "Anna"},
    "payment": {"method": "card", "token": "sandbox_ok"},
}
SALE: dict[str, Any] = {"currency": "PLN", "fulfilment": "carry_out", "payment": {"method": "cash"}}


@dataclass
class World:
    keys: Keys
    warsaw: uuid.UUID
    waw: Headers  # a Warsaw store associate
    krk: Headers  # a Kraków store associate
    agent: Headers  # a call-center agent: no location scope
    admin: Headers

    @property
    def krakow(self) -> uuid.UUID:
        return self.keys.store.krakow

    def v(self, sku: str) -> uuid.UUID:
        return self.keys.store.v(sku)


@pytest.fixture
def world(keys: Keys, session: Session, login_as: Callable[..., Headers], admin: Headers) -> World:
    waw = create_location(
        session, data=LocationCreate.model_validate(location_doc("ST-WAW", "store"))
    ).id
    create_channel(
        session,
        data=ChannelCreate(
            code="pos-waw",
            name="Kasa Warszawa",
            type="store_pos",
            sell_from=[waw],
            pickup_at=[waw],
            cart_hold_minutes=15,
        ),
    )
    create_channel(
        session, data=ChannelCreate(code="hotline", name="Infolinia", type="call_center")
    )
    session.flush()
    inventory.receive(
        session,
        location_id=waw,
        lines=[inventory.Change(v, WARSAW_STOCK) for v in keys.store.shop.v.values()],
    )
    session.commit()
    return World(
        keys,
        waw,
        waw=login_as("store_associate", [waw]),
        krk=login_as("store_associate", [keys.store.krakow]),
        agent=login_as("call_center_agent"),
        admin=admin,
    )


def staff_cart(
    client: TestClient, world: World, staff: Headers, channel: str, **lines: int
) -> dict[str, Any]:
    """A cart a staff member opens in a channel, with lines added there (SKU=units)."""
    r = client.post(f"{API}/carts", json={"channel": channel}, headers=staff)
    assert r.status_code == 201, r.text
    cart: dict[str, Any] = r.json()
    for sku, qty in lines.items():
        r = client.post(
            f"{API}/carts/{cart['id']}/lines",
            params={"channel": channel},
            json={"variant_id": str(world.v(sku.replace("_", "-"))), "quantity": qty},
            headers=staff,
        )
        assert r.status_code == 200, r.text
        cart = r.json()
    return cart


def krakow_pickup(client: TestClient, world: World, *, to: str = "ready_for_pickup") -> str:
    """A web order to collect in Kraków, moved on by the admin up to `to`; its id."""
    keys = world.keys
    r = client.post(f"{API}/carts", json={}, headers=keys["web"])
    assert r.status_code == 201, r.text
    cart = r.json()
    token = {"X-Cart-Token": cart["token"]}
    r = client.post(
        f"{API}/carts/{cart['id']}/lines",
        json={"variant_id": str(world.v("TS-S")), "quantity": 1},
        headers={**keys["web"], **token},
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={**PICKUP, "pickup_location_id": str(world.krakow)},
        headers={**keys["web"], **token, "Idempotency-Key": f"pickup-{cart['id']}"},
    )
    assert r.status_code == 201, r.text
    order_id: str = r.json()["id"]
    steps = ["confirmed", "allocated", "in_fulfilment", "ready_for_pickup"]
    for step in steps[1 : steps.index(to) + 1]:
        moved = client.post(
            f"{API}/orders/{order_id}/transitions", json={"to": step}, headers=world.admin
        )
        assert moved.status_code == 200, moved.text
    return order_id
