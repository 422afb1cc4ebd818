"""Fulfilment over HTTP: what staff read of an order's fulfilment."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from omnichannel.fulfillment.models import FulfilmentOrder


class FulfilmentLineRead(BaseModel):
    line_no: int
    allocation_id: uuid.UUID
    quantity: int


class FulfilmentOrderRead(BaseModel):
    id: uuid.UUID
    number: str = Field(description="The order's number, then -1, -2, ... per location.")
    kind: str = Field(description="ship, pickup or carry_out")
    status: str = Field(
        description="allocated, in_transit, ready, shipped, delivered, collected or cancelled"
    )
    location_id: uuid.UUID = Field(description="Where the goods leave from.")
    destination_id: uuid.UUID | None = Field(
        description="A pickup's store (a transfer carries the goods there when it differs)."
    )
    dispatch_by: date | None
    lines: list[FulfilmentLineRead]
    created_at: datetime

    @classmethod
    def of(cls, fo: FulfilmentOrder) -> FulfilmentOrderRead:
        return cls(
            id=fo.id,
            number=fo.number,
            kind=fo.kind,
            status=fo.status,
            location_id=fo.location_id,
            destination_id=fo.destination_id,
            dispatch_by=fo.dispatch_by,
            lines=[
                FulfilmentLineRead(
                    line_no=ln.line_no, allocation_id=ln.allocation_id, quantity=ln.quantity
                )
                for ln in fo.lines
            ],
            created_at=fo.created_at,
        )


class PickupRead(BaseModel):
    location_id: uuid.UUID
    kind: str = Field(description="click_collect or reserve_collect")
    status: str = Field(description="waiting, ready, collected, expired or cancelled")
    ready_due_at: datetime | None = Field(
        description="The store's promise: ready by then (counted in its opening hours)."
    )
    ready_at: datetime | None
    collect_by: datetime | None
    collected_at: datetime | None


class OrderFulfilmentRead(BaseModel):
    order_id: uuid.UUID
    number: str
    status: str = Field(description="The order's status, which follows its fulfilments.")
    fulfilments: list[FulfilmentOrderRead]
    pickup: PickupRead | None
