"""A location's fulfilment work over HTTP."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class RejectIn(BaseModel):
    """Units of a line the location cannot find."""

    model_config = ConfigDict(extra="forbid")

    missing: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="How many are not on the shelf (all it holds if left out).",
    )


class RejectedRead(BaseModel):
    order_id: uuid.UUID
    moved_to: list[uuid.UUID] = Field(description="The locations now holding the line's units.")
    cancelled_lines: list[int] = Field(
        description="Lines no location could serve any more: cancelled, their money given back."
    )
    explanation: list[str]
