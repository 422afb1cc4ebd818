"""Payments for integration tests: a channel, and order rows made directly with the
orders model (no checkout) for payments to pay (payments.order_id is a foreign key)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.orders.models import Order
from omnichannel.orders.rules import Fulfilment, OrderKind, OrderStatus
from omnichannel.payments.rules import PaymentStatus

MakeOrder = Callable[..., Order]


@pytest.fixture
def web_channel(session: Session) -> uuid.UUID:
    """The channel `web` (committed); returns its id."""
    ch = create_channel(session, data=ChannelCreate(code="web", name="Web shop", type="web"))
    session.commit()
    return ch.id


def order_doc(channel_id: uuid.UUID, total: int = 10_000, **fields: Any) -> dict[str, Any]:
    """The columns of an order of `total` minor units in PLN, placed on one channel."""
    doc: dict[str, Any] = {
        "number": f"T{uuid.uuid4().hex[:8].upper()}",
        "kind": OrderKind.CHECKOUT.value,
        "status": OrderStatus.PENDING_PAYMENT.value,
        "payment_status": PaymentStatus.PENDING.value,
        "origin_channel_id": channel_id,
        "completing_channel_id": channel_id,
        "journey": ["web"],
        "placed_by": "channel:web",
        "currency": "PLN",
        "subtotal": total,
        "discount": 0,
        "delivery": 0,
        "total": total,
        "vat": 0,
        "fulfilment": Fulfilment.DELIVERY.value,
        "pricing": {},
    }
    return doc | fields


@pytest.fixture
def order_row(session: Session, web_channel: uuid.UUID) -> MakeOrder:
    """Make an order row of `total` minor units, without lines (committed)."""

    def make(total: int = 10_000, **fields: Any) -> Order:
        order = Order(**order_doc(web_channel, total, **fields))
        session.add(order)
        session.commit()
        return order

    return make
