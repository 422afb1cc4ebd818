"""Public contract of channels and their API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from omnichannel.channels.rules import CURRENCIES, ChannelType, Scope
from omnichannel.contract import InputModel

# A buffer is kept in a 32-bit column; no shop holds back more units than this.
MAX_BUFFER_UNITS = 100_000_000
MAX_CART_HOLD_MINUTES = 7 * 24 * 60  # a week: longer holds belong to orders
MAX_DELIVERY_PRICE = 10_000_000  # 100,000.00 in the channel's currency


class _In(InputModel):
    pass


def _currency(v: str | None) -> str | None:
    if v is not None and v not in CURRENCIES:
        raise ValueError(f"unsupported currency {v!r}; one of {sorted(CURRENCIES)}")
    return v


# A fee in minor units of the channel's currency.
Rate = Annotated[int, Field(ge=0, le=MAX_DELIVERY_PRICE)]


class DeliveryRatesIn(_In):
    """A channel's delivery fees in minor units of its currency. Null: the channel does
    not deliver that way (cash on delivery: not collected). A field left out keeps its
    value (on create: courier and pickup free, COD without surcharge, no lockers)."""

    courier: Rate | None = Field(None, description="Courier to an address.")
    locker: Rate | None = Field(None, description="To a parcel locker.")
    pickup: Rate | None = Field(None, description="Collected at a pickup location.")
    cash_on_delivery: Rate | None = Field(
        None, description="Added to a courier or locker fee when paid on delivery."
    )


class DeliveryRatesRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    courier: int | None
    locker: int | None
    pickup: int | None
    cash_on_delivery: int | None = Field(description="Surcharge; null: not collected.")


def _distinct(v: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
    if v is not None and len(set(v)) != len(v):
        raise ValueError("a location may appear only once")
    return v


class ChannelCreate(_In):
    code: str = Field(
        min_length=2, max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]*$", examples=["web", "allegro"]
    )
    name: str = Field(min_length=1, max_length=200)
    type: ChannelType
    currency: str = Field("PLN", description="ISO 4217 code the channel sells in.")
    sell_from: list[uuid.UUID] = Field(
        default_factory=list,
        description="Locations whose stock this channel sells, first choice first.",
    )
    pickup_at: list[uuid.UUID] = Field(
        default_factory=list,
        description="Locations where this channel's customers may collect orders.",
    )
    buffer_percent: int | None = Field(
        None, ge=0, le=100, description="Expose at most this % of available-to-promise."
    )
    buffer_units: int | None = Field(
        None,
        ge=0,
        le=MAX_BUFFER_UNITS,
        description="Keep this many units back from available-to-promise.",
    )
    cart_hold_minutes: int | None = Field(
        None,
        ge=1,
        le=MAX_CART_HOLD_MINUTES,
        description="Adding to a cart holds the stock this long; null: no hold until checkout.",
    )
    delivery_price: int | None = Field(
        None,
        ge=0,
        le=MAX_DELIVERY_PRICE,
        description="Deprecated: the courier rate (`delivery_rates.courier`); null: free.",
    )
    delivery_rates: DeliveryRatesIn | None = Field(
        None, description="Delivery fees per method; left out: the defaults."
    )

    _cur = field_validator("currency")(_currency)
    _dist = field_validator("sell_from", "pickup_at")(_distinct)


class ChannelUpdate(_In):
    name: str | None = Field(None, min_length=1, max_length=200)
    currency: str | None = None
    status: Literal["active", "inactive"] | None = None
    sell_from: list[uuid.UUID] | None = None
    pickup_at: list[uuid.UUID] | None = None
    buffer_percent: int | None = Field(None, ge=0, le=100, description="Null clears the buffer.")
    buffer_units: int | None = Field(
        None, ge=0, le=MAX_BUFFER_UNITS, description="Null clears the buffer."
    )
    cart_hold_minutes: int | None = Field(
        None, ge=1, le=MAX_CART_HOLD_MINUTES, description="Null: no hold until checkout."
    )
    delivery_price: int | None = Field(
        None,
        ge=0,
        le=MAX_DELIVERY_PRICE,
        description="Deprecated: the courier rate (`delivery_rates.courier`); null: free.",
    )
    delivery_rates: DeliveryRatesIn | None = Field(
        None, description="The fees given replace theirs; null in one: not offered."
    )

    _cur = field_validator("currency")(_currency)
    _dist = field_validator("sell_from", "pickup_at")(_distinct)


class ChannelRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    type: ChannelType
    currency: str
    status: str
    sell_from: list[uuid.UUID]
    pickup_at: list[uuid.UUID]
    buffer_percent: int | None
    buffer_units: int | None
    cart_hold_minutes: int | None
    delivery_price: int | None = Field(
        description="Deprecated: the courier rate, null when free or not offered."
    )
    delivery_rates: DeliveryRatesRead
    version: int
    created_at: datetime


class ApiKeyCreate(_In):
    name: str = Field(min_length=1, max_length=100, examples=["storefront-prod"])
    scopes: list[Scope] = Field(
        min_length=1,
        description="What the key may do: only scopes the channel's type may hold "
        "(`channels.rules.SCOPES_BY_TYPE`, tabled in the README); any other is a 422 "
        "`scope_not_allowed` naming it.",
    )
    expires_at: datetime | None = Field(None, description="Optional expiry (timezone-aware).")

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("must carry a time zone offset, e.g. 2027-01-01T00:00:00Z")
        return v


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel_id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    scopes: list[str] = Field(
        description="What the key may do: its scopes its channel's type allows."
    )
    ignored_scopes: list[str] = Field(
        default_factory=list,
        description="Scopes stored on the key that its channel's type no longer allows: "
        "they have no effect (issued before the type lost them).",
    )
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyRead):
    key: str = Field(description="The secret. Shown this once; only its hash is stored.")


class ChannelSelf(BaseModel):
    """What a channel learns about itself from its API key."""

    channel: ChannelRead
    key_id: uuid.UUID
    scopes: list[str]
