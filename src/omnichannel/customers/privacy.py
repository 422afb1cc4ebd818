"""The data subject's rights: a copy of everything held (GDPR Art. 15 and 20) and
erasure (Art. 17).

Erasure removes every personal value and keeps the pseudonymous skeleton the business
must keep: the profile's id (orders will point at it and tax law keeps orders for
years), the kinds and times of timeline entries and their amounts, the cases' states,
the consent history's dates (proof that consent was once given lawfully) and the
audit log. Identities are deleted, so the same e-mail may later start a new profile;
the sign-in account and its tokens are deleted too, and so are the stored answers of
the person's own requests (a checkout's answer repeats their address).
Outbox events about customers carry ids only, so nothing there needs scrubbing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from omnichannel.customers import audit, consents, profiles, records, segments
from omnichannel.customers.models import (
    AuditEntry,
    CaseMessage,
    Consent,
    ConsentChange,
    Customer,
    CustomerAccount,
    CustomerAddress,
    CustomerIdentity,
    CustomerToken,
    SegmentMember,
    ServiceCase,
    TimelineEntry,
)
from omnichannel.customers.rules import CustomerStatus
from omnichannel.db.idempotency import IdempotencyKey
from omnichannel.kernel import utcnow


@dataclass
class Export:
    profile: profiles.Profile
    consents: list[Consent]
    consent_history: list[ConsentChange]
    timeline: list[TimelineEntry]
    cases: list[tuple[ServiceCase, list[CaseMessage]]]
    segments: list[str]
    merged_ids: list[uuid.UUID]
    access_log: list[AuditEntry]
    elsewhere: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


# What other domains hold about a person (orders with their addresses), for the
# export: each registers a reader of its copies, like erasers below.
Exporter = Callable[[Session, list[uuid.UUID]], list[dict[str, Any]]]
_exporters: dict[str, Exporter] = {}


def on_export(name: str, exporter: Exporter) -> None:
    """Have `exporter(session, customer_ids)` add a domain's records to every export."""
    _exporters[name] = exporter


def export(session: Session, *, customer_id: uuid.UUID) -> Export:
    """Everything held about a person, decrypted, for them to take away."""
    customer = records.resolve(session, customer_id)
    cid = customer.id
    cases = list(
        session.scalars(
            select(ServiceCase).where(ServiceCase.customer_id == cid).order_by(ServiceCase.id)
        )
    )
    messages: dict[uuid.UUID, list[CaseMessage]] = {c.id: [] for c in cases}
    if cases:
        for m in session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id.in_(list(messages)))
            .order_by(CaseMessage.id)
        ):
            messages[m.case_id].append(m)
    merged_ids = list(
        session.scalars(
            select(Customer.id).where(Customer.merged_into_id == cid).order_by(Customer.id)
        )
    )
    # Who looked is recorded against the ids the person had, the merged ones too.
    access = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.customer_id.in_([cid, *merged_ids]))
            .order_by(AuditEntry.id)
        )
    )
    out = Export(
        profile=profiles.profile(session, customer),
        consents=list(consents.current(session, customer_id=cid).values()),
        consent_history=consents.history(session, customer_id=cid),
        timeline=list(
            session.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.customer_id == cid)
                .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
            )
        ),
        cases=[(c, messages[c.id]) for c in cases],
        segments=segments.segments_of(session, customer_id=cid),
        merged_ids=merged_ids,
        access_log=access,
        elsewhere={name: read(session, [cid, *merged_ids]) for name, read in _exporters.items()},
    )
    audit.record(session, action=audit.Action.EXPORT, customer_ids=[cid], fields=["everything"])
    return out


# Other domains' copies of personal data (an order's contact and addresses): each
# registers how to pseudonymise them, and erasure calls every one in its transaction.
Eraser = Callable[[Session, list[uuid.UUID]], None]
_erasers: dict[str, Eraser] = {}


def on_erase(name: str, eraser: Eraser) -> None:
    """Have `eraser(session, customer_ids)` pseudonymise a domain's copies whenever a
    customer is erased (the ids: the profile and every profile merged into it)."""
    _erasers[name] = eraser


def erase(session: Session, *, customer_id: uuid.UUID) -> Customer:
    """Remove a person's personal data everywhere; erasing twice changes nothing."""
    customer = records.resolve(session, customer_id)
    if customer.status == CustomerStatus.ERASED:
        return customer
    cid = customer.id
    every_id = list(
        session.scalars(
            select(Customer.id).where(or_(Customer.id == cid, Customer.merged_into_id == cid))
        )
    )
    for eraser in _erasers.values():
        eraser(session, every_id)
    for model in (CustomerIdentity, CustomerAddress, Consent, SegmentMember):
        session.execute(delete(model).where(model.customer_id == cid))
    # The profile row stays (pseudonymous), so its foreign keys cascade nothing: sign-ins
    # (password hashes, tokens) go explicitly, the dormant ones of merged profiles too.
    signed_in = select(Customer.id).where(or_(Customer.id == cid, Customer.merged_into_id == cid))
    for signin in (CustomerToken, CustomerAccount):
        session.execute(delete(signin).where(signin.customer_id.in_(signed_in)))
    # A replay must not bring back what the erasure removed.
    session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.scope.in_([f"customer:{i}" for i in every_id]))
    )
    session.execute(
        update(ConsentChange).where(ConsentChange.customer_id == cid).values(evidence=None)
    )
    session.execute(
        update(TimelineEntry)
        .where(TimelineEntry.customer_id == cid)
        .values(summary=None, data=None)
    )
    case_ids = select(ServiceCase.id).where(ServiceCase.customer_id == cid)
    session.execute(
        update(CaseMessage).where(CaseMessage.case_id.in_(case_ids)).values(body=None),
        execution_options={"synchronize_session": False},
    )
    session.execute(update(ServiceCase).where(ServiceCase.customer_id == cid).values(subject=None))
    now = utcnow()
    customer.status = CustomerStatus.ERASED.value
    customer.erased_at = now
    customer.given_name = customer.family_name = customer.birthday = customer.notes = None
    customer.preferred_location_id = None
    records.changed(session, customer, "customers.erased")
    audit.record(session, action=audit.Action.ERASE, customer_ids=[cid], fields=["everything"])
    return customer
