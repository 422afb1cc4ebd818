"""Public contract of the composed views: Customer 360, the GDPR export, the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from omnichannel.customers.models import AuditEntry, Consent, ConsentChange
from omnichannel.customers.privacy import Export
from omnichannel.customers.rules import ConsentPurpose
from omnichannel.customers.schemas import ConsentHistoryRead, ConsentRead, CustomerRead
from omnichannel.customers.schemas_360 import OpenCartRead, RecentOrderRead
from omnichannel.customers.schemas_activity import CaseRead, TimelineEntryRead
from omnichannel.customers.view import View360

EXPORT_FORMAT = "omnichannel.customer-export/1"


def consent_reads(rows: list[Consent]) -> list[ConsentRead]:
    """Every purpose, answered or not (not answered is no)."""
    given = {r.purpose: r for r in rows}
    return [
        ConsentRead(
            purpose=p,
            granted=bool(given[p].granted) if p in given else False,
            changed_at=given[p].changed_at if p in given else None,
        )
        for p in ConsentPurpose
    ]


def history_reads(rows: list[ConsentChange], *, reveal: bool) -> list[ConsentHistoryRead]:
    return [
        ConsentHistoryRead(
            id=r.id,
            purpose=ConsentPurpose(r.purpose),
            granted=r.granted,
            channel=r.channel,
            actor=r.actor,
            policy_version=r.policy_version,
            reason=r.reason,
            evidence=r.evidence if reveal else None,
            at=r.at,
        )
        for r in rows
    ]


class Customer360(BaseModel):
    """Profile, identities, consents, open cases, the latest timeline entries,
    segments, recent orders of every channel and open carts."""

    customer: CustomerRead
    consents: list[ConsentRead]
    open_cases: list[CaseRead]
    timeline: list[TimelineEntryRead] = Field(description="The latest entries, newest first.")
    segments: list[str]
    recent_orders: list[RecentOrderRead] = Field(
        description="The latest orders, any channel, newest first; contact and address "
        "null when redacted."
    )
    open_carts: list[OpenCartRead] = Field(description="Carts not checked out, latest first.")

    @classmethod
    def of(cls, view: View360, *, reveal: bool) -> Customer360:
        p = view.profile
        return cls(
            customer=CustomerRead.of(p.customer, p.identities, p.addresses, reveal=reveal),
            consents=consent_reads(view.consents),
            open_cases=[CaseRead.of(c, reveal=reveal) for c in view.open_cases],
            timeline=[TimelineEntryRead.of(e, reveal=reveal) for e in view.timeline],
            segments=view.segments,
            recent_orders=[RecentOrderRead.of(o, reveal=reveal) for o in view.recent_orders],
            open_carts=[OpenCartRead.of(c) for c in view.open_carts],
        )


class AccessRead(BaseModel):
    at: datetime
    action: str
    purpose: str | None


class CustomerExport(BaseModel):
    """Everything held about one person (GDPR Art. 15 and 20), machine-readable."""

    format: str = Field(EXPORT_FORMAT, description="Version of this document's layout.")
    exported_at: datetime
    customer: CustomerRead
    merged_profiles: list[uuid.UUID] = Field(description="Earlier ids merged into this one.")
    consents: list[ConsentRead]
    consent_history: list[ConsentHistoryRead]
    timeline: list[TimelineEntryRead] = Field(description="Oldest first.")
    cases: list[CaseRead]
    segments: list[str]
    access_log: list[AccessRead] = Field(description="When personal data was read or changed.")
    held_elsewhere: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="What other parts of the system hold about the person, e.g. `orders` "
        "with their contact and addresses.",
    )

    @classmethod
    def of(cls, data: Export, *, at: datetime) -> CustomerExport:
        p = data.profile
        return cls(
            exported_at=at,
            customer=CustomerRead.of(p.customer, p.identities, p.addresses, reveal=True),
            merged_profiles=data.merged_ids,
            consents=consent_reads(data.consents),
            consent_history=history_reads(data.consent_history, reveal=True),
            timeline=[TimelineEntryRead.of(e, reveal=True) for e in data.timeline],
            cases=[CaseRead.of(c, m, reveal=True) for c, m in data.cases],
            segments=data.segments,
            held_elsewhere=data.elsewhere,
            access_log=[
                AccessRead(at=a.at, action=a.action, purpose=a.purpose) for a in data.access_log
            ],
        )


class AuditEntryRead(BaseModel):
    id: uuid.UUID
    at: datetime
    actor: str = Field(description="`staff:<id>`, `channel:<code>` or a process.")
    action: str
    customer_id: uuid.UUID | None
    fields: list[str] = Field(description="Which personal fields; never their values.")
    purpose: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryRead:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            customer_id=entry.customer_id,
            fields=list(entry.fields or []),
            purpose=entry.purpose,
        )


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None = None
