"""Merging two profiles of one person.

Everything the duplicate (the source) holds moves to the survivor: identities,
addresses, consents (the most restrictive answer wins), their history, the timeline,
service cases and segment memberships. The source stays behind as a pointer
(`merged_into`), so every old id and every old identity leads to the survivor, and the
merge itself is on the survivor's timeline and in the outbox.

Orders, carts and loyalty points arrive with later issues and live in their own
domains; they follow a merge by consuming the `customers.merged` event
(`{"customer_id": survivor, "merged_id": source}`) and re-homing their rows. Until
they have, any id they hold still resolves to the survivor through `records.resolve`.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from omnichannel.customers import audit, consents, records, timeline
from omnichannel.customers.errors import CustomerErased, MergeRefused, field_error
from omnichannel.customers.models import (
    Consent,
    ConsentChange,
    Customer,
    CustomerAddress,
    CustomerIdentity,
    SegmentMember,
    ServiceCase,
    TimelineEntry,
)
from omnichannel.customers.rules import (
    ConsentPurpose,
    CustomerStatus,
    TimelineType,
    merged_consent,
)
from omnichannel.kernel import NotFound, utcnow
from omnichannel.kernel.errors import InvalidInput


def _pair(
    session: Session, survivor_id: uuid.UUID, source_id: uuid.UUID
) -> tuple[Customer, Customer]:
    """Both profiles, locked in id order: two opposite merges queue, never deadlock."""
    rows = session.scalars(
        select(Customer)
        .where(Customer.id.in_([survivor_id, source_id]))
        .order_by(Customer.id)
        .with_for_update()
    ).all()
    found = {r.id: r for r in rows}
    for wanted in (survivor_id, source_id):
        if wanted not in found:
            raise NotFound(f"Customer {wanted} does not exist.", customer_id=str(wanted))
    return found[survivor_id], found[source_id]


def _check(survivor: Customer, source: Customer) -> None:
    for c in (survivor, source):
        if c.status == CustomerStatus.ERASED:
            raise CustomerErased(f"Customer {c.id} was erased and cannot take part in a merge.")
    if source.merged_into_id is not None:
        raise MergeRefused(
            f"Customer {source.id} was already merged into {source.merged_into_id}.",
            merged_into=str(source.merged_into_id),
        )
    if survivor.merged_into_id is not None:
        raise MergeRefused(
            f"Customer {survivor.id} was merged into {survivor.merged_into_id}; merge into that one.",
            merged_into=str(survivor.merged_into_id),
        )


def merge_customers(session: Session, *, survivor_id: uuid.UUID, source_id: uuid.UUID) -> Customer:
    """Fold `source` into `survivor`; 422 for a profile merged into itself."""
    if survivor_id == source_id:
        raise InvalidInput(
            "A profile cannot be merged into itself.",
            errors=[field_error("source_id", "is the surviving profile itself", "same_customer")],
        )
    survivor, source = _pair(session, survivor_id, source_id)
    _check(survivor, source)
    _move_identities(session, survivor.id, source.id)
    _move_consents(session, survivor, source.id)
    _move_memberships(session, survivor.id, source.id)
    for model in (TimelineEntry, ServiceCase):
        session.execute(
            update(model).where(model.customer_id == source.id).values(customer_id=survivor.id)
        )
    _fill_profile(survivor, source)
    # Earlier merges into the source now point at the survivor: always one hop.
    session.execute(
        update(Customer)
        .where(Customer.merged_into_id == source.id)
        .values(merged_into_id=survivor.id)
    )
    now = utcnow()
    source.status = CustomerStatus.MERGED.value
    source.merged_into_id = survivor.id
    source.merged_at = now
    # The survivor holds what the source held; the pointer keeps no personal data.
    source.given_name = source.family_name = source.birthday = source.notes = None
    source.preferred_location_id = None
    source.updated_at = now
    timeline.write(session, survivor.id, TimelineType.PROFILE_MERGED, reference=str(source.id))
    records.changed(session, survivor, "customers.merged", merged_id=str(source.id))
    audit.record(
        session,
        action=audit.Action.MERGE,
        customer_ids=[survivor.id, source.id],
        fields=["identities", "addresses", "consents", "timeline", "cases", "segments"],
    )
    return survivor


def _move_identities(session: Session, survivor_id: uuid.UUID, source_id: uuid.UUID) -> None:
    """The survivor keeps its primary e-mail and phone; the source's become secondary."""
    primary_types = list(
        session.scalars(
            select(CustomerIdentity.type).where(
                CustomerIdentity.customer_id == survivor_id, CustomerIdentity.is_primary.is_(True)
            )
        )
    )
    if primary_types:
        session.execute(
            update(CustomerIdentity)
            .where(
                CustomerIdentity.customer_id == source_id, CustomerIdentity.type.in_(primary_types)
            )
            .values(is_primary=False)
        )
    session.execute(
        update(CustomerIdentity)
        .where(CustomerIdentity.customer_id == source_id)
        .values(customer_id=survivor_id)
    )
    has_default = session.scalar(
        select(CustomerAddress.id).where(
            CustomerAddress.customer_id == survivor_id, CustomerAddress.is_default.is_(True)
        )
    )
    moved = update(CustomerAddress).where(CustomerAddress.customer_id == source_id)
    session.execute(
        moved.values(customer_id=survivor_id, is_default=False)
        if has_default
        else moved.values(customer_id=survivor_id)
    )


def _move_consents(session: Session, survivor: Customer, source_id: uuid.UUID) -> None:
    mine = consents.current(session, customer_id=survivor.id)
    theirs = consents.current(session, customer_id=source_id)
    session.execute(
        update(ConsentChange)
        .where(ConsentChange.customer_id == source_id)
        .values(customer_id=survivor.id)
    )
    session.execute(delete(Consent).where(Consent.customer_id == source_id))
    for purpose in ConsentPurpose:
        a = mine[purpose].granted if purpose in mine else None
        b = theirs[purpose].granted if purpose in theirs else None
        if a is None and b is None:
            continue
        result = merged_consent(a, b)
        if a != result:
            consents.write(
                session, survivor, purpose=purpose, granted=result, channel=None, reason="merge"
            )
    session.flush()


def _move_memberships(session: Session, survivor_id: uuid.UUID, source_id: uuid.UUID) -> None:
    """The survivor joins the source's segments until the next recompute says otherwise."""
    theirs = set(
        session.scalars(
            select(SegmentMember.segment_id).where(SegmentMember.customer_id == source_id)
        )
    )
    mine = set(
        session.scalars(
            select(SegmentMember.segment_id).where(SegmentMember.customer_id == survivor_id)
        )
    )
    session.execute(delete(SegmentMember).where(SegmentMember.customer_id == source_id))
    joined = sorted(theirs - mine)
    if joined:
        now = utcnow()
        session.execute(
            insert(SegmentMember),
            [{"segment_id": s, "customer_id": survivor_id, "added_at": now} for s in joined],
        )


def _fill_profile(survivor: Customer, source: Customer) -> None:
    """What the survivor lacks, the source supplies; notes from both are kept."""
    for name in ("given_name", "family_name", "birthday", "preferred_location_id"):
        if getattr(survivor, name) is None and getattr(source, name) is not None:
            setattr(survivor, name, getattr(source, name))
    if source.notes:
        survivor.notes = f"{survivor.notes}\n\n{source.notes}" if survivor.notes else source.notes
