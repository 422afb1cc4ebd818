"""Public contract of segments: rule-based and manual groups of customers that
pricing and marketing use. A segment shows its size, never who is in it, to callers
without access to customers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from omnichannel.contract import InputModel
from omnichannel.customers.rules import SEGMENT_CODE_PATTERN, ConsentPurpose
from omnichannel.customers.schemas import ChannelCode

MAX_DAYS = 3650
MAX_MINOR = 10**13  # 100 billion in major units: beyond any customer's spend
City = Annotated[str, Field(min_length=1, max_length=100)]


class _In(InputModel):
    pass


class SpendRule(_In):
    """Net spend (orders placed minus orders returned) in one currency over the last
    `days` days, between `min_minor` and `max_minor`. Customers with no orders in the
    period are not in it."""

    currency: str = Field("PLN", pattern=r"^[A-Z]{3}$")
    min_minor: int = Field(0, ge=0, le=MAX_MINOR, description="At least this, in minor units.")
    max_minor: int | None = Field(None, ge=0, le=MAX_MINOR, description="At most this.")
    days: int = Field(365, ge=1, le=MAX_DAYS)


class LastPurchaseRule(_In):
    within_days: int | None = Field(
        None, ge=1, le=MAX_DAYS, description="Bought something in the last N days."
    )
    not_within_days: int | None = Field(
        None, ge=1, le=MAX_DAYS, description="Has bought before, but not in the last N days."
    )

    @model_validator(mode="after")
    def _one(self) -> LastPurchaseRule:
        if self.within_days is None and self.not_within_days is None:
            raise PydanticCustomError("rule_empty", "give within_days or not_within_days")
        return self


class ChannelsRule(_In):
    any_of: list[ChannelCode] = Field(min_length=1, max_length=20)
    days: int | None = Field(None, ge=1, le=MAX_DAYS, description="Only recent interactions.")


class SegmentRules(_In):
    """Every condition given must hold."""

    cities: list[City] | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="Has an address in one of these cities (case and accents ignored).",
        examples=[["Kraków", "Warszawa"]],
    )
    spend: SpendRule | None = None
    last_purchase: LastPurchaseRule | None = None
    channels: ChannelsRule | None = Field(None, description="Has used one of these channels.")
    consents: list[ConsentPurpose] | None = Field(
        None, min_length=1, max_length=3, description="Has granted each of these."
    )

    @model_validator(mode="after")
    def _some(self) -> SegmentRules:
        conditions = (self.cities, self.spend, self.last_purchase, self.channels, self.consents)
        if all(c is None for c in conditions):
            raise PydanticCustomError("rule_empty", "a rule segment needs at least one condition")
        return self


class SegmentCreate(_In):
    code: str = Field(pattern=SEGMENT_CODE_PATTERN, examples=["vip"])
    name: str = Field(min_length=1, max_length=200, examples=["Stali klienci VIP"])
    kind: Literal["rule", "manual"]
    rules: SegmentRules | None = Field(None, description="Required for rule segments only.")

    @model_validator(mode="after")
    def _rules_match_kind(self) -> SegmentCreate:
        if (self.kind == "rule") != (self.rules is not None):
            raise PydanticCustomError(
                "rules_mismatch", "a rule segment has rules; a manual one has none"
            )
        return self


class SegmentUpdate(_In):
    name: str | None = Field(None, min_length=1, max_length=200)
    rules: SegmentRules | None = Field(None, description="New rules (rule segments only).")


class SegmentRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    kind: Literal["rule", "manual"]
    rules: dict[str, Any] | None
    members: int = Field(description="How many customers are in it.")
    recomputed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class Recomputed(BaseModel):
    code: str
    members: int
    added: int
    removed: int


class MemberPage(BaseModel):
    items: list[uuid.UUID] = Field(description="Customer ids.")
    next_cursor: str | None = None


class CustomerSegments(BaseModel):
    customer_id: uuid.UUID
    segments: list[str] = Field(description="Segment codes, as pricing uses them.")
