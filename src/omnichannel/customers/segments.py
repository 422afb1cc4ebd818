"""Segments: rule-based groups (city, spend over a period, last purchase, channels
used, consent) recomputed on demand and nightly, and manual groups staff fill.

Spend and last purchase read the timeline's `order_paid` and `order_refunded`
entries (amount in minor units and currency): money paid and kept, as
`customers.spend` defines it, so a cancelled, unpaid or refunded order counts for
nothing, and a purchase is an order money was taken for. A city is matched through
its blind index: the rule's city names are folded and hashed like the addresses'
cities, so no address is decrypted.
Pricing reads `segments_of`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from omnichannel.customers import audit, records, spend
from omnichannel.customers.crypto import keyring
from omnichannel.customers.errors import SegmentCodeTaken, SegmentKindMismatch, field_error
from omnichannel.customers.models import (
    Consent,
    Customer,
    CustomerAddress,
    Segment,
    SegmentMember,
    TimelineEntry,
)
from omnichannel.customers.profiles import CITY_INDEX
from omnichannel.customers.rules import (
    CustomerStatus,
    fold_city,
    nightly_due_since,
)
from omnichannel.customers.schemas_segments import SegmentCreate, SegmentRules, SegmentUpdate
from omnichannel.db import record_event
from omnichannel.db.base import flush_edit
from omnichannel.kernel import NotFound, new_id, utcnow
from omnichannel.kernel.errors import PreconditionFailed

AGGREGATE = "customer_segment"
_CHUNK = 500


@dataclass
class Recount:
    code: str
    members: int
    added: int
    removed: int


def _event(
    session: Session, segment: Segment, type_: str, *, sequence: int | None = None, **extra: Any
) -> None:
    record_event(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=segment.id,
        sequence=sequence or segment.version,
        type=type_,
        payload={"segment_id": str(segment.id), "code": segment.code, **extra},
    )


def _load(session: Session, code: str, *, for_update: bool = False) -> Segment:
    q = select(Segment).where(Segment.code == code)
    if for_update:
        q = q.with_for_update()
    segment = session.scalar(q)
    if segment is None:
        raise NotFound(f"Segment {code!r} does not exist.")
    return segment


def sizes(session: Session, segment_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many members each segment has."""
    if not segment_ids:
        return {}
    rows = session.execute(
        select(SegmentMember.segment_id, func.count())
        .where(SegmentMember.segment_id.in_(segment_ids))
        .group_by(SegmentMember.segment_id)
    )
    counts: dict[uuid.UUID, int] = dict.fromkeys(segment_ids, 0)
    counts.update((segment_id, n) for segment_id, n in rows)
    return counts


def list_segments(session: Session) -> list[Segment]:
    """Every segment, by code."""
    return list(session.scalars(select(Segment).order_by(Segment.code)))


def get_segment(session: Session, *, code: str) -> Segment:
    """One segment by code."""
    return _load(session, code)


def create_segment(session: Session, *, data: SegmentCreate) -> Segment:
    """Define a segment; a rule segment is empty until recomputed."""
    if session.scalar(select(Segment.id).where(Segment.code == data.code)) is not None:
        raise SegmentCodeTaken(
            f"A segment with code {data.code} already exists.",
            errors=[field_error("code", "already in use", "duplicate")],
        )
    segment = Segment(
        id=new_id(),
        code=data.code,
        name=data.name,
        kind=data.kind,
        rules=data.rules.model_dump(mode="json", exclude_none=True) if data.rules else None,
    )
    session.add(segment)
    session.flush()
    _event(session, segment, "customers.segment_created")
    return segment


def update_segment(
    session: Session, *, code: str, data: SegmentUpdate, if_version: int | None
) -> Segment:
    """Rename a segment or change its rules (takes effect at the next recompute)."""
    segment = _load(session, code)
    if if_version is not None and if_version != segment.version:
        raise PreconditionFailed(f"Segment {code} is at version {segment.version}.")
    if data.rules is not None:
        if segment.kind != "rule":
            raise SegmentKindMismatch(
                f"Segment {code} is filled by hand; it has no rules.",
                errors=[field_error("rules", "manual segments have no rules", "not_rule")],
            )
        segment.rules = data.rules.model_dump(mode="json", exclude_none=True)
    if data.name is not None:
        segment.name = data.name
    if flush_edit(session, segment):
        _event(session, segment, "customers.segment_updated")
    return segment


def delete_segment(session: Session, *, code: str) -> None:
    """Remove a segment and its memberships."""
    segment = _load(session, code)
    session.execute(delete(SegmentMember).where(SegmentMember.segment_id == segment.id))
    _event(session, segment, "customers.segment_deleted", sequence=segment.version + 1)
    session.delete(segment)
    session.flush()


# --- rules --------------------------------------------------------------------------


def matching(rules: SegmentRules, *, now: datetime) -> Select[uuid.UUID]:
    """The ids of active customers meeting every condition, as one statement."""
    q = select(Customer.id).where(Customer.status == CustomerStatus.ACTIVE.value)
    t = TimelineEntry
    if rules.cities:
        ring = keyring()
        digests = sorted(
            {d for c in rules.cities for d in ring.blind_indexes(CITY_INDEX, fold_city(c))}
        )
        q = q.where(
            Customer.id.in_(
                select(CustomerAddress.customer_id).where(CustomerAddress.city_index.in_(digests))
            )
        )
    if rules.spend:
        s = rules.spend
        spent = spend.spenders(s.currency, now - timedelta(days=s.days)).having(
            spend.spent() >= s.min_minor
        )
        if s.max_minor is not None:
            spent = spent.having(spend.spent() <= s.max_minor)
        q = q.where(Customer.id.in_(spent))
    if rules.last_purchase:
        placed = spend.paid()
        lp = rules.last_purchase
        if lp.within_days is not None:
            since = now - timedelta(days=lp.within_days)
            q = q.where(
                Customer.id.in_(select(t.customer_id).where(placed, t.occurred_at >= since))
            )
        if lp.not_within_days is not None:
            since = now - timedelta(days=lp.not_within_days)
            q = q.where(
                Customer.id.in_(
                    select(t.customer_id)
                    .where(placed)
                    .group_by(t.customer_id)
                    .having(func.max(t.occurred_at) < since)
                )
            )
    if rules.channels:
        used = select(t.customer_id).where(t.channel.in_(rules.channels.any_of))
        if rules.channels.days is not None:
            used = used.where(t.occurred_at >= now - timedelta(days=rules.channels.days))
        q = q.where(Customer.id.in_(used))
    for purpose in rules.consents or []:
        q = q.where(
            Customer.id.in_(
                select(Consent.customer_id).where(
                    Consent.purpose == purpose.value, Consent.granted.is_(True)
                )
            )
        )
    return q


def recompute(session: Session, *, code: str, now: datetime | None = None) -> Recount:
    """Bring a rule segment's members up to date with its rules."""
    segment = _load(session, code, for_update=True)  # one recompute of a segment at a time
    if segment.kind != "rule" or segment.rules is None:
        raise SegmentKindMismatch(f"Segment {code} is filled by hand; there is nothing to compute.")
    now = now or utcnow()
    rules = SegmentRules.model_validate(segment.rules)
    wanted = set(session.scalars(matching(rules, now=now)))
    current = set(
        session.scalars(
            select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment.id)
        )
    )
    added, removed = sorted(wanted - current), sorted(current - wanted)
    if added:
        session.execute(
            insert(SegmentMember),
            [{"segment_id": segment.id, "customer_id": c, "added_at": now} for c in added],
        )
    for start in range(0, len(removed), _CHUNK):
        session.execute(
            delete(SegmentMember).where(
                SegmentMember.segment_id == segment.id,
                SegmentMember.customer_id.in_(removed[start : start + _CHUNK]),
            )
        )
    segment.recomputed_at = now
    session.flush()
    _event(session, segment, "customers.segment_recomputed", added=len(added), removed=len(removed))
    return Recount(segment.code, len(wanted), len(added), len(removed))


def due(session: Session, *, now: datetime, hour: int) -> list[str]:
    """Codes of rule segments not recomputed since the last nightly hour (UTC)."""
    since = nightly_due_since(now, hour)
    return list(
        session.scalars(
            select(Segment.code)
            .where(
                Segment.kind == "rule",
                (Segment.recomputed_at.is_(None)) | (Segment.recomputed_at < since),
            )
            .order_by(Segment.code)
        )
    )


def rule_codes(session: Session) -> list[str]:
    """Codes of every rule segment."""
    return list(
        session.scalars(select(Segment.code).where(Segment.kind == "rule").order_by(Segment.code))
    )


# --- members ------------------------------------------------------------------------


def _manual(session: Session, code: str) -> Segment:
    segment = _load(session, code)
    if segment.kind != "manual":
        raise SegmentKindMismatch(
            f"Segment {code} is computed from its rules; members cannot be added by hand."
        )
    return segment


def add_member(session: Session, *, code: str, customer_id: uuid.UUID) -> bool:
    """Put a customer in a manual segment; False if they were already in it."""
    segment = _manual(session, code)
    customer = records.writable(session, customer_id)
    if session.get(SegmentMember, (segment.id, customer.id)) is not None:
        return False
    session.add(SegmentMember(segment_id=segment.id, customer_id=customer.id, added_at=utcnow()))
    session.flush()
    audit.record(session, action=audit.Action.SEGMENT_ADD, customer_ids=[customer.id], purpose=code)
    return True


def remove_member(session: Session, *, code: str, customer_id: uuid.UUID) -> None:
    """Take a customer out of a manual segment; 404 if they were not in it."""
    segment = _manual(session, code)
    customer = records.resolve(session, customer_id)
    member = session.get(SegmentMember, (segment.id, customer.id))
    if member is None:
        raise NotFound(f"Customer {customer.id} is not in segment {code}.")
    session.delete(member)
    session.flush()
    audit.record(
        session, action=audit.Action.SEGMENT_REMOVE, customer_ids=[customer.id], purpose=code
    )


def members(
    session: Session, *, code: str, after: uuid.UUID | None = None, limit: int = 100
) -> list[uuid.UUID]:
    """Customer ids in a segment, `limit + 1` of them, in id order."""
    segment = _load(session, code)
    q = (
        select(SegmentMember.customer_id)
        .where(SegmentMember.segment_id == segment.id)
        .order_by(SegmentMember.customer_id)
        .limit(limit + 1)
    )
    if after is not None:
        q = q.where(SegmentMember.customer_id > after)
    return list(session.scalars(q))


def segments_of(session: Session, *, customer_id: uuid.UUID) -> list[str]:
    """Codes of the segments a customer is in (a merged id answers for its survivor;
    an unknown id is in none). One statement: pricing calls it per quote."""
    return list(session.scalars(_SEGMENTS_OF, {"customer_id": customer_id}))


_SEGMENTS_OF = (
    select(Segment.code)
    .join(SegmentMember, SegmentMember.segment_id == Segment.id)
    .where(
        SegmentMember.customer_id
        == select(func.coalesce(Customer.merged_into_id, Customer.id))
        .where(Customer.id == bindparam("customer_id"))
        .scalar_subquery()
    )
    .order_by(Segment.code)
)
