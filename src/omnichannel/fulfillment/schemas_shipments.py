"""Parcels over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from omnichannel.fulfillment.carriers.rules import TrackingStatus


class ShipmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: str = Field(
        "sandbox", max_length=32, description="A registered carrier's name (`sandbox` built in)."
    )


class TrackingIn(BaseModel):
    """Where the carrier says the parcel is (pushed by the carrier, or typed by staff);
    an empty body asks the carrier instead."""

    model_config = ConfigDict(extra="forbid")

    status: TrackingStatus | None = None
    at: datetime | None = None


class ShipmentLineRead(BaseModel):
    line_no: int
    quantity: int


class ShipmentRead(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    fulfilment_order_id: uuid.UUID
    status: str = Field(
        description="requested, labelled, shipped, in_transit, delivered, returned or cancelled"
    )
    carrier: str
    service: str = Field(description="courier or locker")
    point_id: str | None
    parcel_size: str | None = Field(description="A locker compartment: A, B or C.")
    weight_g: int | None
    tracking_number: str | None
    lines: list[ShipmentLineRead]
    shipped_at: datetime | None
    delivered_at: datetime | None
