"""Public contract of pricing administration: price lists, prices, the bulk import,
promotions and coupons. Money is always an integer of minor units (grosze) with its
ISO 4217 currency; files for the import write prices as decimals instead."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from omnichannel.channels.rules import CURRENCIES
from omnichannel.contract import InputModel
from omnichannel.pricing.rules import (
    CODE_PATTERN,
    MAX_AMOUNT,
    MAX_BUDGET,
    MAX_PRIORITY,
    MAX_SEGMENTS,
    MAX_USES,
    SEGMENT_PATTERN,
    CouponStatus,
    ListKind,
    ListStatus,
    PromotionKind,
    PromotionStatus,
    Stacking,
)

MAX_PRICE_ROWS = 1000
MAX_IMPORT_ROWS = 10_000
MAX_TARGETS = 1000
MAX_COUPON_CODES = 1000
MAX_GENERATED = 10_000


def check_currency(v: str) -> str:
    if v not in CURRENCIES:
        raise ValueError(f"unsupported currency {v!r}; one of {', '.join(sorted(CURRENCIES))}")
    return v


Currency = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.", examples=["PLN"]),
]
Amount = Annotated[
    int,
    Field(
        strict=True,
        ge=0,
        le=MAX_AMOUNT,
        description="Minor units of the currency: 12999 is 129.99 PLN.",
        examples=[12999],
    ),
]
Code = Annotated[
    str, Field(pattern=CODE_PATTERN, description="Letters, digits, - and _.", examples=["ZIMA26"])
]
Segment = Annotated[
    str, Field(pattern=SEGMENT_PATTERN, description="A customer segment code.", examples=["vip"])
]
ChannelCode = Annotated[
    str,
    Field(min_length=2, max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]*$", examples=["allegro"]),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Priority = Annotated[
    int, Field(ge=0, le=MAX_PRIORITY, description="Higher wins (lists) or applies first.")
]


def money(description: str, *, default: Any = None) -> Any:
    """An optional amount of minor units (a bound on the field itself, where the contract
    test looks for it)."""
    return Field(default, strict=True, ge=0, le=MAX_AMOUNT, description=description)


def bounded(description: str | None = None, *, ge: int = 1, le: int, default: Any = None) -> Any:
    """An optional integer between ge and le."""
    return Field(default, ge=ge, le=le, description=description)


class _In(InputModel):
    pass


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- price lists ----------------------------------------------------------------------


class PriceListCreate(_In):
    code: Code = Field(description="Unique code, e.g. `base-pln`.")
    name: Name
    currency: Currency = "PLN"
    kind: ListKind = Field(
        ListKind.BASE,
        description="`base`: everybody's price (one per currency); `segment`: a customer "
        "segment's; `channel`: an explicit override for one channel.",
    )
    segment: Segment | None = Field(None, description="The segment of a `segment` list.")
    channel: ChannelCode | None = Field(None, description="The channel of a `channel` list.")
    priority: Priority = 0

    _cur = field_validator("currency")(check_currency)

    @model_validator(mode="after")
    def _audience(self) -> Self:
        if (self.kind is ListKind.SEGMENT) != (self.segment is not None):
            raise ValueError("a segment list names its segment, and only a segment list does")
        if (self.kind is ListKind.CHANNEL) != (self.channel is not None):
            raise ValueError("a channel list names its channel, and only a channel list does")
        return self


class PriceListUpdate(_In):
    name: Name | None = None
    priority: int | None = bounded("Higher wins.", ge=0, le=MAX_PRIORITY)
    status: ListStatus | None = None


class PriceListRead(_Out):
    id: uuid.UUID
    code: str
    name: str
    currency: str
    kind: ListKind
    segment: str | None
    channel: str | None
    priority: int
    status: ListStatus
    version: int
    created_at: datetime
    updated_at: datetime


# --- prices ---------------------------------------------------------------------------


class PriceSet(_In):
    variant_id: uuid.UUID
    amount: int | None = money(
        "Gross price in minor units (12999 is 129.99); null stops selling it in this list.",
        default=...,
    )
    valid_from: AwareDatetime | None = Field(
        None, description="When the price takes effect (default now); schedule changes ahead."
    )


class PricesSet(_In):
    prices: list[PriceSet] = Field(min_length=1, max_length=MAX_PRICE_ROWS)


class PriceRead(_Out):
    variant_id: uuid.UUID
    amount: int | None
    valid_from: datetime
    valid_to: datetime | None


class PricePage(BaseModel):
    items: list[PriceRead]
    next_cursor: str | None = None


class PricesResult(BaseModel):
    price_list: str
    changed: int = Field(description="Prices written (new or changed).")


class PriceImportRow(_In):
    sku: str = Field(min_length=1, max_length=64)
    price_list: Code = Field(description="Code of the price list.")
    price: str | None = Field(
        max_length=32,
        description="Decimal in the list's currency, e.g. `129.99`; empty stops selling.",
    )
    valid_from: AwareDatetime | None = None


class PriceImport(_In):
    rows: list[PriceImportRow] = Field(min_length=1, max_length=MAX_IMPORT_ROWS)


class PriceImportResult(BaseModel):
    rows: int
    changed: int
    price_lists: list[str]


# --- promotions -----------------------------------------------------------------------


class TargetsIn(_In):
    variant_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_TARGETS)
    product_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_TARGETS)
    category_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_TARGETS,
        description="Includes every category below each.",
    )
    brand_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_TARGETS)


class TargetsRead(BaseModel):
    variant_ids: list[uuid.UUID] = Field(default_factory=list)
    product_ids: list[uuid.UUID] = Field(default_factory=list)
    category_ids: list[uuid.UUID] = Field(default_factory=list)
    brand_ids: list[uuid.UUID] = Field(default_factory=list)


Percent = Annotated[
    Decimal,
    Field(gt=0, le=100, max_digits=5, decimal_places=2, description="e.g. 20 or 12.5."),
]


class _PromotionFields(_In):
    name: Name | None = None
    description: str | None = Field(None, max_length=2000)
    percent: Percent | None = Field(
        None, description="percent_off, cart_percent_off; buy_x_get_y: the Y units' reduction."
    )
    amount: int | None = money("amount_off (per unit), cart_amount_off: minor units.")
    threshold: int | None = money(
        "cart kinds and free_delivery: minimum subtotal of the matching lines, minor units."
    )
    buy_quantity: int | None = bounded("buy_x_get_y: X.", le=100)
    get_quantity: int | None = bounded("buy_x_get_y: Y.", le=100)
    bundle_size: int | None = bounded("bundle_price: how many units.", ge=2, le=100)
    bundle_price: int | None = money("bundle_price: the price of the bundle, minor units.")
    targets: TargetsIn | None = Field(None, description="Empty: everything.")
    segments: list[Segment] | None = Field(
        None, max_length=MAX_SEGMENTS, description="Only these segments; empty: everybody."
    )
    channels: list[ChannelCode] | None = Field(
        None,
        max_length=MAX_SEGMENTS,
        description="Only these channels: an explicit override the parity report lists.",
    )
    stacking: Stacking | None = None
    priority: int | None = bounded("Higher applies first.", ge=0, le=MAX_PRIORITY)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    max_uses: int | None = bounded("Redemptions in total.", le=MAX_USES)
    max_uses_per_customer: int | None = bounded("Redemptions per customer.", le=MAX_USES)
    budget: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=MAX_BUDGET,
        description="Minor units it may give away; the last order may overshoot it.",
    )


class PromotionCreate(_PromotionFields):
    code: Code
    name: Name
    kind: PromotionKind
    currency: Currency | None = Field(None, description="Needed when amounts are given.")
    requires_coupon: bool = Field(False, description="Applies only with one of its coupons.")

    _cur = field_validator("currency")(lambda v: v if v is None else check_currency(v))


class PromotionUpdate(_PromotionFields):
    status: PromotionStatus | None = Field(None, description="Pause, resume or archive.")


class PromotionRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    description: str | None
    kind: PromotionKind
    status: PromotionStatus
    percent: float | None
    amount: int | None
    threshold: int | None
    buy_quantity: int | None
    get_quantity: int | None
    bundle_size: int | None
    bundle_price: int | None
    currency: str | None
    targets: TargetsRead
    segments: list[str]
    channels: list[str]
    stacking: Stacking
    priority: int
    starts_at: datetime
    ends_at: datetime | None
    requires_coupon: bool
    max_uses: int | None
    max_uses_per_customer: int | None
    budget: int | None
    uses: int = Field(description="Redemptions so far.")
    spent: int = Field(description="Minor units given away so far.")
    version: int
    created_at: datetime
    updated_at: datetime


class PromotionPage(BaseModel):
    items: list[PromotionRead]
    next_cursor: str | None = None


# --- coupons --------------------------------------------------------------------------

CouponCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")]


class CouponIssue(_In):
    codes: list[CouponCode] | None = Field(
        None, max_length=MAX_COUPON_CODES, description="Codes you chose (case-insensitive)."
    )
    generate: int | None = bounded("Or: how many random codes to generate.", le=MAX_GENERATED)
    prefix: str = Field("", max_length=16, pattern=r"^[A-Za-z0-9-]*$")
    length: int = Field(10, ge=6, le=32, description="Random characters after the prefix.")
    batch: str | None = Field(None, min_length=1, max_length=64)
    max_uses: int | None = bounded(
        "1: single-use; null: as often as the promotion allows.", le=MAX_USES, default=1
    )
    max_uses_per_customer: int | None = bounded("Uses per customer.", le=MAX_USES)
    expires_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.codes is None) == (self.generate is None):
            raise ValueError("give either codes or generate, not both")
        return self


class CouponUpdate(_In):
    status: CouponStatus | None = None
    expires_at: AwareDatetime | None = None


class CouponRead(_Out):
    id: uuid.UUID
    promotion_id: uuid.UUID
    code: str
    batch: str | None
    max_uses: int | None
    max_uses_per_customer: int | None
    uses: int
    status: CouponStatus
    expires_at: datetime | None
    created_at: datetime


class CouponsIssued(BaseModel):
    promotion_id: uuid.UUID
    batch: str | None
    codes: list[str]


class CouponPage(BaseModel):
    items: list[CouponRead]
    next_cursor: str | None = None
