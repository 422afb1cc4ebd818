"""Customers for integration tests: channels to name, and a quick way to start a
profile through the service."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.customers import profiles
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.migrations.models import metadata

MakeCustomer = Callable[..., uuid.UUID]


@pytest.fixture
def channels(session: Session) -> list[str]:
    """Channels web, app, pos-krk and call-center."""
    made = [("web", "web"), ("app", "mobile_app"), ("pos-krk", "store_pos")]
    made.append(("call-center", "call_center"))
    for code, type_ in made:
        create_channel(session, data=ChannelCreate(code=code, name=code, type=type_))
    session.commit()
    return [c for c, _ in made]


@pytest.fixture
def make_customer(session: Session, channels: list[str]) -> MakeCustomer:
    """Start a profile from a CustomerCreate document (committed); returns its id."""

    def make(channel: str | None = None, **doc: Any) -> uuid.UUID:
        p = profiles.create_customer(
            session, data=CustomerCreate.model_validate(doc), channel=channel
        )
        session.commit()
        return p.customer.id

    return make


def customer_tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name.startswith("customer")]


def row_counts(session: Session) -> dict[str, int]:
    """Rows per customer table and in the outbox: to show a refusal wrote nothing."""
    tables = [*customer_tables(), metadata.tables["outbox"]]
    return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in tables}


def raw_dump(session: Session) -> str:
    """Every row of every table as the database stores it (sealed values stay sealed)."""
    out = []
    for t in metadata.sorted_tables:
        for row in session.execute(text(f"SELECT * FROM {t.name}")):  # noqa: S608 - our tables
            out.append(repr(tuple(row)))
    return "\n".join(out)


def opened_dump(session: Session) -> str:
    """Every row of every table with sealed values opened: what the key holder sees."""
    out = []
    for t in metadata.sorted_tables:
        for row in session.execute(select(t)):
            out.append(repr(tuple(row)))
    return "\n".join(out)
