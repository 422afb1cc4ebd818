"""Helpers for the customer API tests: channels, a customer made over HTTP, and the
row counts that show a refused request changed nothing."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from tests.integration.customers.conftest import row_counts

API = "/api/v1"
Headers = dict[str, str]
Login = Callable[..., Headers]
Counts = Callable[[], dict[str, int]]

ANNA: dict[str, Any] = {
    "given_name": "Anna",
    "family_name": "Nowak",
    "emails": ["anna.nowak@example.com"],
    "phones": ["601 234 567"],
    "identities": [{"type": "loyalty_card", "value": "DIS-0001-2345"}],
    "addresses": [{"street": "ul. Floriańska 12/4", "postcode": "31-019", "city": "Kraków"}],
    "notes": "Woli odbiór w sklepie.",
}


@pytest.fixture
def channels(session: Session) -> list[str]:
    for code, type_ in (("web", "web"), ("call-center", "call_center"), ("pos-krk", "store_pos")):
        create_channel(session, data=ChannelCreate(code=code, name=code, type=type_))
    session.commit()
    return ["web", "call-center", "pos-krk"]


@pytest.fixture
def counts(session: Session) -> Counts:
    """Rows in every customer table and the outbox, read afresh."""

    def read() -> dict[str, int]:
        found = row_counts(session)
        session.commit()  # end the read, so the next one sees the requests in between
        return found

    return read


@pytest.fixture
def make(client: TestClient, admin: Headers, channels: list[str]) -> Callable[..., dict[str, Any]]:
    """Create a customer over HTTP as the admin; returns the response body."""

    def create(**doc: Any) -> dict[str, Any]:
        r = client.post(f"{API}/customers", json=doc or ANNA, headers=admin)
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    return create
