"""Public contract of carts and handoff."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from omnichannel.carts.rules import HANDOFF_LENGTH, MAX_COUPONS, MAX_QUANTITY
from omnichannel.contract import InputModel
from omnichannel.pricing.schemas_quote import QuoteRead

ChannelField = Field(
    None,
    max_length=32,
    pattern=r"^[a-z0-9][a-z0-9_-]*$",
    description="Staff only: the channel they act in (a till, the call center). A channel's "
    "API key and a signed-in customer act in their own channel.",
)


class CartCreate(InputModel):
    currency: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", description="Default: the channel's currency."
    )
    customer_id: uuid.UUID | None = Field(
        None, description="Staff only: start the cart for this customer."
    )
    channel: str | None = ChannelField


class LineAdd(InputModel):
    variant_id: uuid.UUID
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY, description="Added to the line's units.")


class LineSet(InputModel):
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="0 removes the line.")


class CouponsSet(InputModel):
    codes: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        max_length=MAX_COUPONS,
        description="Every coupon code the cart should carry (any case); [] removes them.",
    )


class CartLineRead(BaseModel):
    variant_id: uuid.UUID
    quantity: int
    added_at: datetime


class TouchRead(BaseModel):
    channel_id: uuid.UUID
    first_at: datetime
    last_at: datetime


class CartRead(BaseModel):
    id: uuid.UUID
    status: str
    customer_id: uuid.UUID | None
    currency: str
    origin_channel_id: uuid.UUID
    lines: list[CartLineRead]
    coupons: list[str]
    held_until: datetime | None = Field(description="Stock is held for the lines until then.")
    channels: list[TouchRead] = Field(description="Every channel that worked on the cart.")
    order_id: uuid.UUID | None
    merged_into_id: uuid.UUID | None
    quote: QuoteRead | None = Field(description="The cart priced now; null when empty.")
    token: str | None = Field(
        None,
        description="Send it as X-Cart-Token to reach this cart without signing in; given "
        "when the cart is created anonymously and when it is opened by a handoff code.",
    )
    version: int
    created_at: datetime
    updated_at: datetime


class HandoffRead(BaseModel):
    code: str = Field(min_length=HANDOFF_LENGTH, max_length=HANDOFF_LENGTH)
    expires_at: datetime
    qr_payload: str = Field(description="Encode this in the QR code shown to the customer.")
