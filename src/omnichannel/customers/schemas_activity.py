"""Public contract of the timeline and of service cases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from omnichannel.contract import InputModel
from omnichannel.customers.models import CaseMessage, ServiceCase, TimelineEntry
from omnichannel.customers.rules import (
    CaseCategory,
    CaseStatus,
    Department,
    MessageDirection,
    TimelineType,
)
from omnichannel.customers.schemas import ChannelCode, IdentityIn
from omnichannel.kernel import utcnow

MAX_EVENTS = 100
# Entries may be sent a little ahead of our clock (a till's clock drifts), not more.
_CLOCK_SKEW = timedelta(minutes=5)
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    if value.year < 2000 or value.year > 9998:
        raise PydanticCustomError("invalid_time", "a time between 2000 and now")
    value = value.astimezone(UTC)
    if not _EARLIEST <= value <= utcnow() + _CLOCK_SKEW:
        raise PydanticCustomError("invalid_time", "a time between 2000 and now")
    return value


def _future(value: datetime) -> datetime:
    if value.year < 2000 or value.year > 9998:
        raise PydanticCustomError("invalid_time", "a time in the coming years")
    value = value.astimezone(UTC)
    if value <= utcnow():
        raise PydanticCustomError("invalid_time", "a deadline lies in the future")
    return value


PastTime = Annotated[AwareDatetime, AfterValidator(_plausible)]
Deadline = Annotated[AwareDatetime, AfterValidator(_future)]
Reference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:/#-]+$",
        description="What it is about: an order or case id, a SKU. Not personal data.",
        examples=["TS-1001-M"],
    ),
]
DataKey = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
DataValue = (
    Annotated[str, Field(max_length=500)]
    | Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]
    | bool
)
Data = Annotated[
    dict[DataKey, DataValue],
    Field(max_length=30, description="Small facts about the event (stored encrypted)."),
]


class _In(InputModel):
    pass


# --- timeline -----------------------------------------------------------------------

StaffEntryType = Literal["call", "note", "store_visit", "complaint", "email_sent", "sms_sent"]
ChannelEventType = Literal[
    "product_viewed", "cart_abandoned", "store_visit", "email_sent", "sms_sent"
]


class TimelineNote(_In):
    """What a staff member records by hand: a call and its notes, a visit, a complaint."""

    type: StaffEntryType
    summary: str = Field(min_length=1, max_length=4000, description="The notes (encrypted).")
    occurred_at: PastTime | None = Field(None, description="When it happened (default: now).")
    channel: ChannelCode | None = Field(None, examples=["call-center"])
    reference: Reference | None = None


class ChannelEvent(_In):
    """An interaction a web shop or app saw; names the customer by id or by identity."""

    customer_id: uuid.UUID | None = None
    identity: IdentityIn | None = None
    type: ChannelEventType
    occurred_at: PastTime | None = None
    reference: Reference | None = None
    summary: str | None = Field(None, max_length=1000)
    data: Data | None = None

    @model_validator(mode="after")
    def _one_customer(self) -> ChannelEvent:
        if (self.customer_id is None) == (self.identity is None):
            raise PydanticCustomError(
                "customer_required", "name the customer by customer_id or by identity, not both"
            )
        return self


class ChannelEvents(_In):
    events: list[ChannelEvent] = Field(min_length=1, max_length=MAX_EVENTS)


class Amount(BaseModel):
    amount_minor: int = Field(description="Minor units, e.g. grosze.")
    currency: str


class TimelineEntryRead(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    type: TimelineType
    channel: str | None
    staff_id: uuid.UUID | None
    occurred_at: datetime
    recorded_at: datetime
    amount: Amount | None
    reference: str | None
    summary: str | None = Field(description="Null when redacted or erased.")
    data: dict[str, Any] | None = Field(description="Null when redacted or erased.")

    @classmethod
    def of(cls, entry: TimelineEntry, *, reveal: bool) -> TimelineEntryRead:
        amount = (
            Amount(amount_minor=entry.amount_minor, currency=entry.currency)
            if entry.amount_minor is not None and entry.currency
            else None
        )
        return cls(
            id=entry.id,
            customer_id=entry.customer_id,
            type=TimelineType(entry.type),
            channel=entry.channel,
            staff_id=entry.staff_id,
            occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at,
            amount=amount,
            reference=entry.reference,
            summary=entry.summary if reveal else None,
            data=entry.data if reveal else None,
        )


class TimelinePage(BaseModel):
    items: list[TimelineEntryRead]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for older entries.")


class Ingested(BaseModel):
    ids: list[uuid.UUID] = Field(description="The new entries, in the order sent.")


# --- service cases --------------------------------------------------------------------


class CaseCreate(_In):
    subject: str = Field(min_length=1, max_length=200, examples=["Paczka nie dotarła"])
    category: CaseCategory
    message: str | None = Field(
        None, min_length=1, max_length=10_000, description="The customer's words, if any."
    )
    order_id: uuid.UUID | None = Field(None, description="The order it is about.")
    channel: ChannelCode | None = Field(None, description="Where it was raised (staff only).")
    assigned_staff_id: uuid.UUID | None = None
    department: Department | None = None
    sla_due_at: Deadline | None = Field(
        None, description="Answer by; default by category (a complaint: 14 days)."
    )


class CaseUpdate(_In):
    """Fields to change; assignee and department sent as null are cleared."""

    status: CaseStatus | None = None
    subject: str | None = Field(None, min_length=1, max_length=200)
    assigned_staff_id: uuid.UUID | None = None
    department: Department | None = None
    sla_due_at: Deadline | None = None


class CaseMessageIn(_In):
    body: str = Field(min_length=1, max_length=10_000)
    direction: MessageDirection = MessageDirection.INTERNAL
    channel: ChannelCode | None = None


class CaseMessageRead(BaseModel):
    id: uuid.UUID
    direction: MessageDirection
    author: str | None
    channel: str | None
    body: str | None = Field(description="Null when redacted or erased.")
    created_at: datetime

    @classmethod
    def of(cls, message: CaseMessage, *, reveal: bool) -> CaseMessageRead:
        return cls(
            id=message.id,
            direction=MessageDirection(message.direction),
            author=message.author,
            channel=message.channel,
            body=message.body if reveal else None,
            created_at=message.created_at,
        )


class CaseRead(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    order_id: uuid.UUID | None
    channel: str | None
    category: CaseCategory
    status: CaseStatus
    subject: str | None = Field(description="Null when redacted or erased.")
    assigned_staff_id: uuid.UUID | None
    department: Department | None
    sla_due_at: datetime
    overdue: bool = Field(description="Still open past its due time.")
    resolved_at: datetime | None
    closed_at: datetime | None
    messages: list[CaseMessageRead] = Field(default_factory=list)
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, case: ServiceCase, messages: list[CaseMessage] | None = None, *, reveal: bool
    ) -> CaseRead:
        status = CaseStatus(case.status)
        return cls(
            id=case.id,
            customer_id=case.customer_id,
            order_id=case.order_id,
            channel=case.channel,
            category=CaseCategory(case.category),
            status=status,
            subject=case.subject if reveal else None,
            assigned_staff_id=case.assigned_staff_id,
            department=Department(case.department) if case.department else None,
            sla_due_at=case.sla_due_at,
            overdue=status in (CaseStatus.OPEN, CaseStatus.IN_PROGRESS)
            and case.sla_due_at < utcnow(),
            resolved_at=case.resolved_at,
            closed_at=case.closed_at,
            messages=[CaseMessageRead.of(m, reveal=reveal) for m in messages or []],
            version=case.version,
            created_at=case.created_at,
            updated_at=case.updated_at,
        )


class CasePage(BaseModel):
    items: list[CaseRead]
    next_cursor: str | None = None
