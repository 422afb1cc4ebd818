"""Public contract of what the Customer 360 shows from other domains: recent orders
and open carts, each described by what its domain lends (`customers.view`).

An order's contact and shipping address are personal data: null for callers who may
not see personal fields, as on the rest of the 360.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field


class OrderSummary(Protocol):
    """What the orders domain tells the 360 of one order (`orders.RecentOrder`)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def number(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def channel(self) -> str | None: ...

    @property
    def journey(self) -> list[str]: ...

    @property
    def status(self) -> str: ...

    @property
    def payment_status(self) -> str: ...

    @property
    def fulfilment(self) -> str: ...

    @property
    def currency(self) -> str: ...

    @property
    def total(self) -> int: ...

    @property
    def placed_at(self) -> datetime: ...

    @property
    def location_ids(self) -> list[uuid.UUID]: ...

    @property
    def contact(self) -> dict[str, Any] | None: ...

    @property
    def shipping_address(self) -> dict[str, Any] | None: ...


class CartSummary(Protocol):
    """What the carts domain tells the 360 of one open cart (`carts.OpenCart`)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def channel(self) -> str | None: ...

    @property
    def currency(self) -> str: ...

    @property
    def lines(self) -> int: ...

    @property
    def units(self) -> int: ...

    @property
    def held_until(self) -> datetime | None: ...

    @property
    def updated_at(self) -> datetime: ...


class RecentOrderRead(BaseModel):
    id: uuid.UUID
    number: str
    kind: str
    channel: str | None = Field(description="The channel that completed the order.")
    journey: list[str] = Field(description="Channels the order passed through, first first.")
    status: str
    payment_status: str
    fulfilment: str
    currency: str
    total: int = Field(description="Minor units.")
    placed_at: datetime
    location_ids: list[uuid.UUID] = Field(
        description="Where its lines are served from, then the pickup store."
    )
    contact: dict[str, Any] | None = Field(description="Null when redacted.")
    shipping_address: dict[str, Any] | None = Field(description="Null when redacted.")

    @classmethod
    def of(cls, order: OrderSummary, *, reveal: bool) -> RecentOrderRead:
        return cls(
            id=order.id,
            number=order.number,
            kind=order.kind,
            channel=order.channel,
            journey=list(order.journey),
            status=order.status,
            payment_status=order.payment_status,
            fulfilment=order.fulfilment,
            currency=order.currency,
            total=order.total,
            placed_at=order.placed_at,
            location_ids=list(order.location_ids),
            contact=order.contact if reveal else None,
            shipping_address=order.shipping_address if reveal else None,
        )


class OpenCartRead(BaseModel):
    id: uuid.UUID
    channel: str | None = Field(description="Where the cart was started.")
    currency: str
    lines: int
    units: int = Field(description="Items in all its lines.")
    held_until: datetime | None = Field(description="Stock is held for the lines until then.")
    updated_at: datetime

    @classmethod
    def of(cls, cart: CartSummary) -> OpenCartRead:
        return cls(
            id=cart.id,
            channel=cart.channel,
            currency=cart.currency,
            lines=cart.lines,
            units=cart.units,
            held_until=cart.held_until,
            updated_at=cart.updated_at,
        )
