"""Customers: the profile, its identities, addresses and consents, the timeline,
service cases, segments and the audit log of who touched personal data.

Every personal value is a `Sealed` column (AES-GCM, see `crypto`); what the database
can search on is either not personal (types, times, amounts, channel codes) or a
blind index (`digest`, `city_index`). The customer is the aggregate root of its
identities, addresses and consents: changing them bumps its version.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from omnichannel.customers.crypto import Sealed, SealedJSON
from omnichannel.customers.rules import (
    CaseCategory,
    CaseStatus,
    ConsentPurpose,
    CustomerStatus,
    IdentityType,
)
from omnichannel.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from omnichannel.db.types import JSONDoc
from omnichannel.kernel import new_id, utcnow


def _one_of(column: str, values: type[Any]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Customer(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "customers"

    status: Mapped[str] = mapped_column(String(16), default=CustomerStatus.ACTIVE)
    # Set when merged: the survivor. Always one hop: a later merge of the survivor
    # re-points its predecessors too.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    given_name: Mapped[str | None] = mapped_column(Sealed("customers.given_name"))
    family_name: Mapped[str | None] = mapped_column(Sealed("customers.family_name"))
    birthday: Mapped[str | None] = mapped_column(Sealed("customers.birthday"))  # ISO date
    notes: Mapped[str | None] = mapped_column(Sealed("customers.notes"))
    language: Mapped[str] = mapped_column(String(8), default="pl")
    preferred_location_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="SET NULL")
    )
    source_channel: Mapped[str | None] = mapped_column(String(32))
    merged_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint(_one_of("status", CustomerStatus), name="status"),)


class CustomerIdentity(IdMixin, Base):
    """An e-mail, phone, card or account that points at exactly one profile."""

    __tablename__ = "customer_identities"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(24))
    # HMAC of the normalised value: unique per type, so one value has one owner.
    digest: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Sealed("customer_identities.value"))  # normalised
    is_primary: Mapped[bool] = mapped_column(default=False)
    verified: Mapped[bool] = mapped_column(default=False)
    source_channel: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("type", "digest"),
        CheckConstraint(_one_of("type", IdentityType), name="type"),
    )


class CustomerAddress(IdMixin, Base):
    __tablename__ = "customer_addresses"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    # label, recipient, street, postcode, city, country, phone: all of it sealed.
    details: Mapped[dict[str, Any]] = mapped_column(SealedJSON("customer_addresses.details"))
    city_index: Mapped[str] = mapped_column(String(64), index=True)  # blind index of the city
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    """The current answer per purpose. No row means never asked, which means no."""

    __tablename__ = "customer_consents"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted: Mapped[bool]
    changed_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(_one_of("purpose", ConsentPurpose), name="purpose"),
        Index("ix_customer_consents_purpose_granted", "purpose", "granted"),
    )


class ConsentChange(IdMixin, Base):
    """Every grant and withdrawal, kept to show when and how consent was given (Art. 7)."""

    __tablename__ = "customer_consent_changes"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool]
    channel: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(128))
    policy_version: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(32))  # e.g. merge
    evidence: Mapped[str | None] = mapped_column(Sealed("customer_consent_changes.evidence"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class TimelineEntry(Base):
    """One interaction, in any channel. Append-only: no use case edits one, except
    that a merge re-homes them and an erasure blanks their personal text."""

    __tablename__ = "customer_timeline"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT")
    )
    type: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Orders: total in minor units and currency (spend segments add them up).
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(128))  # order or case id, SKU
    summary: Mapped[str | None] = mapped_column(Sealed("customer_timeline.summary"))
    data: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON("customer_timeline.data"))

    __table_args__ = (
        Index("ix_customer_timeline_customer", "customer_id", "occurred_at", "id"),
        Index("ix_customer_timeline_type_occurred", "type", "occurred_at"),
    )


class ServiceCase(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "customer_cases"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # orders arrive with issue 6
    channel: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default=CaseStatus.OPEN)
    subject: Mapped[str | None] = mapped_column(Sealed("customer_cases.subject"))
    assigned_staff_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    department: Mapped[str | None] = mapped_column(String(32))
    sla_due_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(_one_of("category", CaseCategory), name="category"),
        CheckConstraint(_one_of("status", CaseStatus), name="status"),
        Index("ix_customer_cases_status_due", "status", "sla_due_at"),
    )


class CaseMessage(IdMixin, Base):
    __tablename__ = "customer_case_messages"

    case_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customer_cases.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(16))  # MessageDirection
    author: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str | None] = mapped_column(Sealed("customer_case_messages.body"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Segment(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "customer_segments"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # rule | manual
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    recomputed_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("kind IN ('rule', 'manual')", name="kind"),)


class SegmentMember(Base):
    __tablename__ = "customer_segment_members"

    segment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customer_segments.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who read or changed whose personal data, when and why. Field names only,
    never values, so the log itself holds nothing to erase."""

    __tablename__ = "customer_audit"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # outlives merges
    fields: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    purpose: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_customer_audit_customer", "customer_id", "id"),)


class CustomerAccount(Base):
    """A customer's sign-in to the web shop and the app: one per profile. The login
    is any of the profile's e-mail identities; only the password hash lives here."""

    __tablename__ = "customer_accounts"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None]
    # Failed sign-ins in a row, and when the account may be tried again.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]


class CustomerToken(Base):
    """A signed-in session: only the token's SHA-256 is stored."""

    __tablename__ = "customer_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str | None] = mapped_column(String(32))  # where they signed in
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
