"""The priced, stocked store of the commerce integration tests, with an API key per
channel."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update
from sqlalchemy.orm import Session

from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate
from omnichannel.channels.service import issue_api_key
from omnichannel.fulfillment import service as fulfilment
from omnichannel.locations.models import Location
from tests.integration.commerce.conftest import Store, build_store

API = "/api/v1"
SCOPES = {
    "web": ["carts:write", "orders:write", "pricing:read", "customers:identify"],
    "app": ["carts:write", "orders:write", "pricing:read"],
    "pos-krk": ["carts:write", "orders:write", "pricing:read"],
    "allegro": ["orders:import"],
}


@dataclass
class Keys:
    store: Store
    headers: dict[str, dict[str, str]]

    def __getitem__(self, code: str) -> dict[str, str]:
        return self.headers[code]


@pytest.fixture
def keys(session: Session) -> Keys:
    store = build_store(session)
    headers = {}
    for code, scopes in SCOPES.items():
        _, secret = issue_api_key(
            session,
            channel_id=store.seller(code).id,
            data=ApiKeyCreate(name="test", scopes=[Scope(s) for s in scopes]),
        )
        headers[code] = {"X-Api-Key": secret}
    session.commit()
    return Keys(store, headers)


ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk", "country": "PL"}
DELIVERY_CHECKOUT: dict[str, Any] = {
    "currency": "PLN",
    "fulfilment": "delivery",
    "shipping_address": ADDRESS,
    "contact": {"email": "anna.nowak@example.pl", "given_name": "Anna", "family_name": "Nowak"},
    "payment": {"method": "card", "token": "sandbox_ok"},
}


def checkout(
    client: TestClient, keys: Keys, lines: dict[str, int], channel: str = "web", **body: Any
) -> Response:
    """A new cart of these lines (by SKU) checked out through the channel's key: a
    card-paid home delivery unless `body` says otherwise; the answer as it came."""
    cart = client.post(f"{API}/carts", json={}, headers=keys[channel]).json()
    headers = {**keys[channel], "X-Cart-Token": cart["token"]}
    for sku, qty in lines.items():
        r = client.post(
            f"{API}/carts/{cart['id']}/lines",
            json={"variant_id": str(keys.store.v(sku)), "quantity": qty},
            headers=headers,
        )
        assert r.status_code == 200, r.text
    return client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json=DELIVERY_CHECKOUT | body,
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )


def allocated(
    client: TestClient, keys: Keys, session: Session, lines: dict[str, int], **body: Any
) -> dict[str, Any]:
    """An order checked out (201) and handed to its locations, as the worker's consumer
    would once it is confirmed."""
    r = checkout(client, keys, lines, **body)
    assert r.status_code == 201, r.text
    order = dict(r.json())
    fulfilment.allocate(session, order_id=uuid.UUID(order["id"]), actor="test")
    session.commit()
    return order


def krakow_ships(session: Session, keys: Keys) -> None:
    """The Kraków store ships web orders too (it only hands them over otherwise)."""
    session.execute(
        update(Location)
        .where(Location.id == keys.store.krakow)
        .values(capabilities=["pickup", "ship_from_store", "accepts_returns"])
    )
    session.commit()
