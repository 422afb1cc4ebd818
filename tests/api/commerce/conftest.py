"""The priced, stocked store of the commerce integration tests, with an API key per
channel."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate
from omnichannel.channels.service import issue_api_key
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
