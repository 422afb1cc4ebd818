"""The timeline: one append-only record of every interaction in every channel.

Other domains append through `append` (orders will write `order_placed` with the
order's total, which the spend and last-purchase segments add up). Nothing edits an
entry: a merge re-homes entries to the surviving profile and an erasure blanks their
personal text, and those are the only UPDATEs this table sees.
"""

from __future__ import annotations

import base64
import binascii
import struct
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Table, and_, bindparam, insert, or_, select
from sqlalchemy.orm import Session

from omnichannel.customers import audit, identities, records
from omnichannel.customers.errors import field_error
from omnichannel.customers.models import TimelineEntry
from omnichannel.customers.rules import TimelineType
from omnichannel.customers.schemas_activity import ChannelEvent, TimelineNote
from omnichannel.kernel import Money, new_id, utcnow
from omnichannel.kernel.errors import InvalidInput, NotFound


def append(
    session: Session,
    *,
    customer_id: uuid.UUID,
    type: TimelineType,
    occurred_at: datetime | None = None,
    channel: str | None = None,
    staff_id: uuid.UUID | None = None,
    summary: str | None = None,
    data: dict[str, Any] | None = None,
    amount: Money | None = None,
    reference: str | None = None,
) -> TimelineEntry:
    """Add one entry to a customer's timeline (a merged profile's id reaches its survivor).

    `summary` and `data` may hold personal text: they are stored encrypted and blanked
    on erasure. `amount` is an order's total (order_placed, order_returned)."""
    live = records.live_id(session, customer_id)
    entry = write(
        session,
        live,
        type,
        occurred_at=occurred_at,
        channel=channel,
        staff_id=staff_id,
        summary=summary,
        data=data,
        amount=amount,
        reference=reference,
    )
    audit.record(session, action=audit.Action.TIMELINE_APPEND, customer_ids=[live], fields=[type])
    return entry


def write(
    session: Session,
    customer_id: uuid.UUID,
    type_: TimelineType,
    *,
    occurred_at: datetime | None = None,
    channel: str | None = None,
    staff_id: uuid.UUID | None = None,
    summary: str | None = None,
    data: dict[str, Any] | None = None,
    amount: Money | None = None,
    reference: str | None = None,
) -> TimelineEntry:
    """Add an entry for a use case of this domain that checked and audits on its own."""
    entry = _entry(
        customer_id, type_, occurred_at, channel, staff_id, summary, data, amount, reference
    )
    session.execute(insert(_timeline), [_values(entry)])
    return entry


# Core INSERTs: appends are a hot path, and the ORM's unit of work costs more than the
# statement. The entry returned is a plain object, not one the session tracks.
_timeline: Table = TimelineEntry.__table__  # type: ignore[assignment]


def _values(entry: TimelineEntry) -> dict[str, Any]:
    return {c.key: getattr(entry, c.key) for c in _timeline.columns}


def _entry(
    customer_id: uuid.UUID,
    type_: TimelineType,
    occurred_at: datetime | None,
    channel: str | None,
    staff_id: uuid.UUID | None,
    summary: str | None,
    data: dict[str, Any] | None,
    amount: Money | None,
    reference: str | None,
) -> TimelineEntry:
    now = utcnow()
    return TimelineEntry(
        id=new_id(),
        customer_id=customer_id,
        type=TimelineType(type_).value,
        channel=channel,
        staff_id=staff_id,
        occurred_at=occurred_at or now,
        recorded_at=now,
        amount_minor=amount.amount if amount else None,
        currency=amount.currency if amount else None,
        reference=reference,
        summary=summary,
        data=data or None,
    )


def record_note(
    session: Session, *, customer_id: uuid.UUID, data: TimelineNote, staff_id: uuid.UUID | None
) -> TimelineEntry:
    """A staff member's own entry: a call with their notes, a visit, a complaint."""
    channel = records.check_channel(session, data.channel, "channel")
    return append(
        session,
        customer_id=customer_id,
        type=TimelineType(data.type),
        occurred_at=data.occurred_at,
        channel=channel,
        staff_id=staff_id,
        summary=data.summary,
        reference=data.reference,
    )


def ingest(session: Session, *, channel: str, events: Sequence[ChannelEvent]) -> list[uuid.UUID]:
    """Events a web shop or app saw, all or none: every customer must be known."""
    targets: list[uuid.UUID] = []
    for i, event in enumerate(events):
        if event.identity is not None:
            c = identities.claim(
                event.identity.type,
                event.identity.value,
                event.identity.namespace,
                field=f"events.{i}.identity.value",
            )
            owner = identities.owners(session, [c]).get(c)
            if owner is None:
                raise InvalidInput(
                    f"No customer has the identity of events.{i}.",
                    errors=[
                        field_error(f"events.{i}.identity", "no such customer", "unknown_customer")
                    ],
                )
            targets.append(owner)
        elif event.customer_id is not None:
            try:
                targets.append(records.live_id(session, event.customer_id))
            except NotFound:
                raise InvalidInput(
                    f"Customer {event.customer_id} of events.{i} does not exist.",
                    errors=[
                        field_error(
                            f"events.{i}.customer_id", "no such customer", "unknown_customer"
                        )
                    ],
                ) from None
    entries = [
        _entry(
            target,
            TimelineType(e.type),
            e.occurred_at,
            channel,
            None,
            e.summary,
            dict(e.data) if e.data else None,
            None,
            e.reference,
        )
        for target, e in zip(targets, events, strict=True)
    ]
    session.execute(insert(_timeline), [_values(e) for e in entries])
    kinds: dict[uuid.UUID, set[str]] = defaultdict(set)
    for entry in entries:
        kinds[entry.customer_id].add(entry.type)
    for customer_id, types in kinds.items():
        audit.record(
            session,
            action=audit.Action.TIMELINE_APPEND,
            customer_ids=[customer_id],
            fields=sorted(types),
            purpose=f"channel:{channel}",
        )
    return [e.id for e in entries]


# --- reading --------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(entry: TimelineEntry) -> str:
    """A position in a timeline: the last entry's time and id."""
    micros = (entry.occurred_at - _EPOCH) // timedelta(microseconds=1)
    raw = struct.pack(">q", micros) + entry.id.bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor names; 422 if it is not one we issued."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if len(raw) != 24:
            raise ValueError("wrong length")
        (micros,) = struct.unpack(">q", raw[:8])
        at = _EPOCH + timedelta(microseconds=micros)
        return at, uuid.UUID(bytes=raw[8:])
    except (ValueError, binascii.Error, OverflowError, OSError, struct.error):
        raise InvalidInput(
            "The cursor is not one this API issued.",
            errors=[field_error("cursor", "malformed cursor", "invalid_cursor")],
        ) from None


_HEAD = (
    select(TimelineEntry)
    .where(TimelineEntry.customer_id == bindparam("customer_id"))
    .order_by(TimelineEntry.occurred_at.desc(), TimelineEntry.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


def entries(
    session: Session,
    *,
    customer_id: uuid.UUID,
    types: Sequence[TimelineType] = (),
    channels: Sequence[str] = (),
    cursor: str | None = None,
    limit: int = 50,
) -> list[TimelineEntry]:
    """A customer's timeline, newest first, `limit + 1` rows (the extra says there is more)."""
    if not (types or channels or cursor):
        return list(session.scalars(_HEAD, {"customer_id": customer_id, "limit": limit + 1}))
    q = (
        select(TimelineEntry)
        .where(TimelineEntry.customer_id == customer_id)
        .order_by(TimelineEntry.occurred_at.desc(), TimelineEntry.id.desc())
        .limit(limit + 1)
    )
    if types:
        q = q.where(TimelineEntry.type.in_([t.value for t in types]))
    if channels:
        q = q.where(TimelineEntry.channel.in_(list(channels)))
    if cursor:
        at, last_id = decode_cursor(cursor)
        q = q.where(
            or_(
                TimelineEntry.occurred_at < at,
                and_(TimelineEntry.occurred_at == at, TimelineEntry.id < last_id),
            )
        )
    return list(session.scalars(q))
