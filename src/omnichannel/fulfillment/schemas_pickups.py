"""Click & collect over HTTP: the counter's requests and answers, and the customer's
own pickup."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verified: Literal[True] = Field(
        description="Staff checked the customer's identity document against the order."
    )
    document: str = Field(
        min_length=3,
        max_length=200,
        description="Which document was seen (e.g. 'ID card, last digits 4821'); personal "
        "data, kept sealed with the order's move.",
    )


class CollectIn(BaseModel):
    """How the customer proved it is theirs: the code, or an identity staff checked."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(
        default=None,
        max_length=32,
        description="The pickup code the customer shows (case, spaces and dashes ignored).",
    )
    identity: IdentityIn | None = None

    @model_validator(mode="after")
    def one_way(self) -> CollectIn:
        if (self.code is None) == (self.identity is None):
            raise ValueError("give either code or identity")
        return self


class FulfilmentStepRead(BaseModel):
    """A fulfilment order after a step of its transfer."""

    id: uuid.UUID
    number: str
    order_id: uuid.UUID
    status: str = Field(description="in_transit once sent; allocated at the store once received")
    location_id: uuid.UUID = Field(description="Where the goods left from.")
    destination_id: uuid.UUID | None = Field(description="The pickup store.")
    transfer_id: uuid.UUID | None


class CounterPickupRead(BaseModel):
    """A pickup as the store's staff see it: never its code."""

    model_config = ConfigDict(from_attributes=True)

    order_id: uuid.UUID
    location_id: uuid.UUID
    kind: str = Field(description="click_collect or reserve_collect")
    status: str = Field(description="waiting, ready, collected, expired or cancelled")
    ready_due_at: datetime | None = Field(description="The store's promise: ready by then.")
    ready_at: datetime | None
    collect_by: datetime | None = Field(description="Not collected by then: cancelled.")
    code_attempts: int = Field(description="Wrong codes tried since the last right one.")
    code_locked_until: datetime | None
    collected_at: datetime | None
    verified_by: str | None = Field(description="code or identity, once handed over")


class ListedPickupRead(CounterPickupRead):
    order_number: str | None
    overdue_hours: float | None = Field(
        description="Open hours of the store past ready_due_at (the overdue list only)."
    )


class CollectedRead(BaseModel):
    order_id: uuid.UUID
    number: str
    status: str = Field(description="The order's status: collected.")
    payment_status: str
    pickup: CounterPickupRead


class CustomerPickupRead(BaseModel):
    """A customer's own pickup: where, until when, and the code to show."""

    order_id: uuid.UUID
    location_id: uuid.UUID
    status: str = Field(description="waiting, ready, collected, expired or cancelled")
    ready_due_at: datetime | None
    ready_at: datetime | None
    collect_by: datetime | None
    code: str | None = Field(description="Show it at the counter (only while ready).")
