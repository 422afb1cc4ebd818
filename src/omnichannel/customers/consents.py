"""Consents per purpose (marketing e-mail, SMS, profiling), off until given, with a
history of every grant and withdrawal that shows when, where and how (GDPR Art. 7)."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from omnichannel.customers import audit, records, timeline
from omnichannel.customers.models import Consent, ConsentChange, Customer
from omnichannel.customers.rules import ConsentPurpose, TimelineType
from omnichannel.customers.schemas import ConsentIn
from omnichannel.kernel import new_id, utcnow


def current(session: Session, *, customer_id: uuid.UUID) -> dict[ConsentPurpose, Consent]:
    """The answers a customer has given, by purpose (a purpose missing means no)."""
    rows = session.scalars(_CURRENT, {"customer_id": customer_id})
    return {ConsentPurpose(r.purpose): r for r in rows}


_CURRENT = select(Consent).where(Consent.customer_id == bindparam("customer_id"))


def history(session: Session, *, customer_id: uuid.UUID) -> list[ConsentChange]:
    """Every grant and withdrawal, oldest first."""
    return list(
        session.scalars(
            select(ConsentChange)
            .where(ConsentChange.customer_id == customer_id)
            .order_by(ConsentChange.id)
        )
    )


def overview(
    session: Session, *, customer_id: uuid.UUID, reveal: bool
) -> tuple[list[Consent], list[ConsentChange]]:
    """Current answers and their history (a merged id gives the survivor's); the
    history's evidence is personal, so a revealing read is audited."""
    customer = records.resolve(session, customer_id)
    if reveal:
        audit.record(
            session,
            action=audit.Action.READ,
            customer_ids=[customer.id],
            fields=["consents"],
            purpose="consents",
        )
    return (
        list(current(session, customer_id=customer.id).values()),
        history(session, customer_id=customer.id),
    )


def write(
    session: Session,
    customer: Customer,
    *,
    purpose: ConsentPurpose,
    granted: bool,
    channel: str | None,
    policy_version: str | None = None,
    evidence: str | None = None,
    reason: str | None = None,
) -> Consent:
    """Record one answer: the current state and its line in the history."""
    now = utcnow()
    row = session.get(Consent, (customer.id, purpose.value))
    if row is None:
        row = Consent(
            customer_id=customer.id, purpose=purpose.value, granted=granted, changed_at=now
        )
        session.add(row)
    else:
        row.granted = granted
        row.changed_at = now
    session.add(
        ConsentChange(
            id=new_id(),
            customer_id=customer.id,
            purpose=purpose.value,
            granted=granted,
            channel=channel,
            actor=session.info.get("actor"),
            policy_version=policy_version,
            reason=reason,
            evidence=evidence,
            at=now,
        )
    )
    return row


def set_consent(
    session: Session, *, customer_id: uuid.UUID, data: ConsentIn, channel: str | None
) -> Consent:
    """Grant or withdraw consent to one purpose; it lands on the timeline too."""
    customer = records.writable(session, customer_id)
    channel = records.check_channel(session, channel, "channel")
    row = write(
        session,
        customer,
        purpose=data.purpose,
        granted=data.granted,
        channel=channel,
        policy_version=data.policy_version,
        evidence=data.evidence,
    )
    session.flush()
    timeline.write(
        session,
        customer.id,
        TimelineType.CONSENT_CHANGED,
        channel=channel,
        data={"purpose": data.purpose.value, "granted": data.granted},
    )
    records.changed(
        session,
        customer,
        "customers.consent_changed",
        purpose=data.purpose.value,
        granted=data.granted,
    )
    audit.record(
        session, action=audit.Action.CONSENT, customer_ids=[customer.id], fields=[data.purpose]
    )
    return row
