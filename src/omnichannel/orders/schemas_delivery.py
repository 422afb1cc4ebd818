"""Public contract of an order's delivery details (contact and shipping address)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field


class OrderDeliveryRead(BaseModel):
    order_id: uuid.UUID
    number: str
    fulfilment: str
    pickup_location_id: uuid.UUID | None
    contact: dict[str, Any] | None = Field(
        description="Whom to tell the order is ready or on its way: e-mail, phone, name."
    )
    shipping_address: dict[str, Any] | None = Field(description="Where to deliver; null: pickup.")
