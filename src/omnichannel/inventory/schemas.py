"""Public contract of inventory: stock operations, levels and the ledger,
reservations and availability. Service dataclasses are mapped to these in the
routers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from omnichannel.contract import InputModel
from omnichannel.inventory.rules import OwnerType

# Bounds that keep every sum the database computes inside a 32-bit integer.
MAX_UNITS = 1_000_000  # one line of a receipt, transfer, adjustment or reservation
MAX_LEVEL = 100_000_000  # an absolute level: a count, a sync, safety stock, a backorder limit
MAX_OPERATION_LINES = 500
MAX_SYNC_ROWS = 10_000
MAX_TTL_SECONDS = 30 * 24 * 3600
CHANNEL_DEFAULT_TTL_SECONDS = 900

Quantity = Annotated[int, Field(gt=0, le=MAX_UNITS, description="Units, more than 0.")]
Reference = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=64,
        description="Your document number (delivery note, PO, count sheet), kept in the ledger.",
    ),
]
OwnerId = Annotated[
    str,
    Field(min_length=1, max_length=64, description="Id of the cart, order or hold in your system."),
]


class ManualKind(StrEnum):
    """Kinds of movement a person may record by hand."""

    ADJUSTMENT = "adjustment"
    DAMAGE = "damage"
    RETURN = "return"
    RECEIPT = "receipt"


# --- stock operations ---------------------------------------------------------------


class StockLine(InputModel):
    variant_id: uuid.UUID
    quantity: Quantity


class ReceiptCreate(InputModel):
    location_id: uuid.UUID = Field(description="Where the goods arrived.")
    lines: list[StockLine] = Field(min_length=1, max_length=MAX_OPERATION_LINES)
    reference: Reference = None


class AdjustmentCreate(InputModel):
    location_id: uuid.UUID
    variant_id: uuid.UUID
    quantity: int = Field(
        ge=-MAX_UNITS,
        le=MAX_UNITS,
        description="Signed change of on-hand, not 0 (a damage always removes its units).",
    )
    kind: ManualKind = Field(ManualKind.ADJUSTMENT, description="Why on-hand changes.")
    reason: str = Field(min_length=1, max_length=200, description="Kept in the ledger.")
    reference: Reference = None

    @field_validator("quantity")
    @classmethod
    def _not_zero(cls, v: int) -> int:
        if v == 0:
            raise ValueError("must not be 0")
        return v


class CountLine(InputModel):
    variant_id: uuid.UUID
    counted: int = Field(ge=0, le=MAX_LEVEL, description="Units found on the shelf.")


class CountCreate(InputModel):
    location_id: uuid.UUID
    lines: list[CountLine] = Field(min_length=1, max_length=MAX_OPERATION_LINES)
    reference: Reference = None


class CountDifference(BaseModel):
    variant_id: uuid.UUID
    difference: int = Field(description="Counted minus what the system had (0 = it was right).")


class CountResult(BaseModel):
    location_id: uuid.UUID
    differences: list[CountDifference]


class TransferCreate(InputModel):
    from_location_id: uuid.UUID = Field(description="The goods leave here now.")
    to_location_id: uuid.UUID = Field(description="They count here once received.")
    lines: list[StockLine] = Field(min_length=1, max_length=MAX_OPERATION_LINES)
    reference: Reference = None


class TransferLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    variant_id: uuid.UUID
    quantity: int


class TransferRead(BaseModel):
    id: uuid.UUID
    from_location_id: uuid.UUID
    to_location_id: uuid.UUID
    status: str = Field(description="`in_transit` or `received`.")
    reference: str | None
    created_at: datetime
    received_at: datetime | None
    lines: list[TransferLineRead]


# --- levels and the ledger --------------------------------------------------------------


class StockLevelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    variant_id: uuid.UUID
    location_id: uuid.UUID
    on_hand: int = Field(description="Units physically at the location (the ledger's sum).")
    reserved: int = Field(description="Units held for carts, orders and customers.")
    allowance: int = Field(description="Units that may be promised beyond on-hand (backorder).")
    safety_stock: int | None = Field(
        description="This variant's safety stock here; null = the location's default."
    )
    version: int
    updated_at: datetime


class StockLevelPage(BaseModel):
    items: list[StockLevelRead]
    next_cursor: str | None = None


class MovementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    variant_id: uuid.UUID
    location_id: uuid.UUID
    kind: str
    quantity: int = Field(description="Signed change of on-hand.")
    reason: str | None
    actor: str | None = Field(description="Who: `staff:<id>`, `channel:<code>`, `cli:import`...")
    reference_type: str | None
    reference_id: str | None
    occurred_at: datetime


class MovementPage(BaseModel):
    items: list[MovementRead]
    next_cursor: str | None = None


class DriftRead(BaseModel):
    variant_id: uuid.UUID
    location_id: uuid.UUID
    on_hand: int
    ledger: int = Field(description="The sum of the level's movements; should equal on_hand.")


# --- policies, safety stock, sync -------------------------------------------------------


class PolicyUpdate(InputModel):
    backorder: bool = Field(description="Sell beyond on-hand.")
    backorder_limit: int | None = Field(
        None, ge=0, le=MAX_LEVEL, description="Units beyond on-hand per location; null = no limit."
    )
    preorder_until: date | None = Field(
        None, description="Expected arrival of a preorder item (needs backorder)."
    )


class PolicyRead(BaseModel):
    variant_id: uuid.UUID
    backorder: bool
    backorder_limit: int | None
    preorder_until: date | None


class SafetyStockUpdate(InputModel):
    location_id: uuid.UUID
    units: int = Field(ge=0, le=MAX_LEVEL, description="Units kept back from what channels see.")
    variant_id: uuid.UUID | None = Field(
        None, description="Only this variant at the location; absent = the location's default."
    )


class SafetyStockRead(BaseModel):
    location_id: uuid.UUID
    variant_id: uuid.UUID | None
    units: int


class SyncLevel(InputModel):
    sku: str = Field(min_length=1, max_length=64)
    location_code: str = Field(min_length=1, max_length=32)
    on_hand: int = Field(ge=0, le=MAX_LEVEL, description="The absolute level the ERP counts.")


class StockSync(InputModel):
    levels: list[SyncLevel] = Field(min_length=1, max_length=MAX_SYNC_ROWS)
    reference: Reference = None


class SyncResult(BaseModel):
    levels: int = Field(description="Rows received.")
    changed: int = Field(description="Levels whose on-hand moved (each one a `sync` movement).")


# --- reservations ------------------------------------------------------------------------


class ReservationLine(InputModel):
    variant_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Quantity


class ReservationCreate(InputModel):
    lines: list[ReservationLine] = Field(
        min_length=1, max_length=200, description="All are held or none."
    )
    owner_type: OwnerType
    owner_id: OwnerId
    ttl_seconds: int | None = Field(
        None,
        gt=0,
        le=MAX_TTL_SECONDS,
        description=(
            "How long the hold lasts; null = until released or committed. "
            f"Absent: {CHANNEL_DEFAULT_TTL_SECONDS} s for a channel, until released for staff."
        ),
    )
    channel: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        description="Code of the channel the hold is for: staff must give it; a channel's "
        "API key always holds for its own channel.",
    )


class _OwnerRef(InputModel):
    owner_type: OwnerType | None = Field(
        None, description="With `owner_id`: act only if the reservation is this owner's."
    )
    owner_id: str | None = Field(None, min_length=1, max_length=64, validate_default=True)

    @field_validator("owner_id")
    @classmethod
    def _both_or_neither(cls, v: str | None, info: ValidationInfo) -> str | None:
        if (info.data.get("owner_type") is None) != (v is None):
            raise ValueError("give owner_type and owner_id together")
        return v


class ReservationRelease(_OwnerRef):
    """Channels must name the owner; staff may."""


class ReservationExtend(_OwnerRef):
    ttl_seconds: int = Field(gt=0, le=MAX_TTL_SECONDS, description="New expiry: now + this.")


class ReservationCommit(_OwnerRef):
    reference: Reference = None


class OwnerRelease(InputModel):
    owner_type: OwnerType
    owner_id: OwnerId


class ReservationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    variant_id: uuid.UUID
    location_id: uuid.UUID
    quantity: int
    owner_type: str
    owner_id: str
    channel_id: uuid.UUID | None
    status: str = Field(
        description="`active`, `released`, `expired` or `committed`; an active hold past "
        "`expires_at` is already free even before the sweeper marks it expired."
    )
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ReservationHolds(BaseModel):
    reservations: list[ReservationRead]


class ReleasedCount(BaseModel):
    released: int = Field(description="Active holds given back.")


# --- availability ------------------------------------------------------------------------


class LocationAvailability(BaseModel):
    location_id: uuid.UUID
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


class AvailabilityRead(BaseModel):
    variant_id: uuid.UUID
    channel: str = Field(description="Code of the channel the numbers are for.")
    available: int = Field(description="Units the channel can promise now.")
    orderable: int | None = Field(description="Including backorder headroom; null = no limit.")
    status: str = Field(description="`in_stock`, `backorder`, `preorder` or `out_of_stock`.")
    preorder_until: date | None
    locations: list[LocationAvailability] | None = Field(
        None, description="Per location, for staff asking `detail=true`."
    )


class AvailabilityQuery(InputModel):
    variant_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    channel: str | None = Field(
        None, min_length=1, max_length=32, description="Staff: the channel's code."
    )


class AvailabilityList(BaseModel):
    channel: str
    items: list[AvailabilityRead]


class PickupOptionRead(BaseModel):
    location_id: uuid.UUID
    code: str
    name: str
    city: str
    distance_km: float | None = Field(description="From the given point; null without one.")
    available: int
    in_transit: int = Field(description="Units on their way to this store.")
    can_hand_over: bool = Field(description="At least `quantity` units can be collected now.")
    open_now: bool


class PickupOptions(BaseModel):
    variant_id: uuid.UUID
    channel: str
    distance_approximate: bool = Field(
        description="True when the point came from a postcode (its district's centre)."
    )
    options: list[PickupOptionRead]
