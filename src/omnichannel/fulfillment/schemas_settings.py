"""How a location fulfils and how a channel routes, over HTTP.

A PUT names every setting, so a body meant as a patch cannot quietly reset the ones
it leaves out: null gives a setting back to its default. The answer is what applies,
defaults filled in, with the names of those that are the default.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

# Upper bounds keep a typo (a cost in złoty times a thousand) from becoming a policy,
# and every value inside a 32-bit column.
MAX_COST = 1_000_000  # minor units: 10 000 zł
MAX_CAPACITY = 100_000  # fulfilment orders a day
MAX_HOURS = 720  # 30 days
MAX_DAYS = 60
MAX_SHIPMENTS = 10


def _cutoff(value: Any) -> Any:
    if value is not None and not (isinstance(value, str) and _HH_MM.match(value)):
        raise ValueError("a local time as HH:MM, e.g. 15:00")
    return value


class LocationFulfilmentIn(BaseModel):
    """Every setting of a location's fulfilment; null leaves one to its default."""

    model_config = ConfigDict(extra="forbid")

    shipment_cost: int | None = Field(
        ...,
        ge=0,
        le=MAX_COST,
        description="What one fulfilment order costs here, in minor units (default 0).",
    )
    daily_capacity: int | None = Field(
        ...,
        ge=0,
        le=MAX_CAPACITY,
        description="Fulfilment orders it can take a day; 0 takes none; null: no limit.",
    )
    cutoff: time | None = Field(
        ...,
        description="The carrier's last collection, local time `HH:MM`; null: none.",
    )
    ready_within_hours: int | None = Field(
        ...,
        ge=1,
        le=MAX_HOURS,
        description="A pickup is ready within this many opening hours (default 4).",
    )
    collect_within_days: int | None = Field(
        ...,
        ge=1,
        le=MAX_DAYS,
        description="Open days a ready pickup waits for its customer (default 7).",
    )
    reserve_hold_hours: int | None = Field(
        ...,
        ge=1,
        le=MAX_HOURS,
        description="Hours a reserve & collect hold lasts here, unless the channel sets "
        "its own (default 48).",
    )

    _check_cutoff = field_validator("cutoff", mode="before")(_cutoff)


class LocationFulfilmentRead(BaseModel):
    location_id: uuid.UUID
    shipment_cost: int = Field(description="Minor units per fulfilment order.")
    daily_capacity: int | None = Field(description="Fulfilment orders a day; null: no limit.")
    cutoff: time | None = Field(description="The carrier's last collection, local `HH:MM`.")
    ready_within_hours: int
    collect_within_days: int
    reserve_hold_hours: int
    defaults: list[str] = Field(
        description="The settings that are the default: never set, or set to the default's value."
    )
    updated_at: datetime | None = Field(description="Last changed; null: never set.")

    @field_serializer("cutoff")
    def _hh_mm(self, value: time | None) -> str | None:
        return value.strftime("%H:%M") if value is not None else None


class ChannelRoutingIn(BaseModel):
    """Every setting of a channel's routing; null leaves one to its default."""

    model_config = ConfigDict(extra="forbid")

    max_shipments: int | None = Field(
        ...,
        ge=1,
        le=MAX_SHIPMENTS,
        description="The most parcels (or, for a pickup, locations sending goods) an order "
        "is split into (default 3).",
    )
    stores_ship: bool | None = Field(
        ..., description="Stores able to ship from store may send home deliveries (default true)."
    )
    split_penalty: int | None = Field(
        ...,
        ge=0,
        le=MAX_COST,
        description="Minor units added per shipment beyond the first (default 0).",
    )
    cost_per_km: int | None = Field(
        ...,
        ge=0,
        le=MAX_COST,
        description="Minor units a kilometre from the goods to the customer costs (default 2).",
    )
    cost_per_day: int | None = Field(
        ...,
        ge=0,
        le=MAX_COST,
        description="Minor units each day a dispatch waits costs (default 500).",
    )
    reserve_hold_hours: int | None = Field(
        ...,
        ge=1,
        le=MAX_HOURS,
        description="Hours a reserve & collect hold lasts for this channel; null: each "
        "store's own.",
    )


class ChannelRoutingRead(BaseModel):
    channel_id: uuid.UUID
    max_shipments: int
    stores_ship: bool
    split_penalty: int
    cost_per_km: int
    cost_per_day: int
    reserve_hold_hours: int | None = Field(description="Null: each store's own hold.")
    defaults: list[str] = Field(
        description="The settings that are the default: never set, or set to the default's value."
    )
    updated_at: datetime | None = Field(description="Last changed; null: never set.")
