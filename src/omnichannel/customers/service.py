"""Customers, as other domains use them. Call these; never read the tables.

- `find_or_attach`: checkout in any channel (issue 6) attaches the buyer to the
  profile an identity points at, or starts one.
- `append_to_timeline`: record an interaction; orders write `order_placed` and the
  other moves of an order, with its total as `amount` for the record.
- `segments_of`: the segment codes pricing quotes for; `segments_if_known` the same,
  or None when there is no such customer (a quote for one is a 404).
- `record_read`: another domain showed staff personal data it keeps for a customer (an
  order's contact and address): the audit log names the fields and the reason.
- `resolve_customer_id`: the live profile behind an id that may have been merged.
- `record_payments`: money taken for a customer's orders or given back, which spend
  segments add up (`customers.spend` says what counts as spend).
- `remember_checkout`: keep a checkout's e-mail, phone and address on the profile.

A merge emits `customers.merged` (`customer_id` the survivor, `merged_id` the
duplicate): domains holding customer ids (orders, carts, loyalty) consume it to move
their rows. An erasure emits `customers.erased`: they pseudonymise their copies.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from omnichannel.customers import audit, records
from omnichannel.customers.identities import find_customer_id as find_customer_id
from omnichannel.customers.models import Customer, Segment, SegmentMember
from omnichannel.customers.privacy import on_erase as on_erase
from omnichannel.customers.privacy import on_export as on_export
from omnichannel.customers.remembering import remember_checkout as remember_checkout
from omnichannel.customers.resolution import Attachment as Attachment
from omnichannel.customers.resolution import find_or_attach as find_or_attach
from omnichannel.customers.rules import IdentityType as IdentityType
from omnichannel.customers.rules import TimelineType as TimelineType
from omnichannel.customers.schemas import IdentityIn as IdentityIn
from omnichannel.customers.segments import segments_of as segments_of
from omnichannel.customers.spend import PaymentMove as PaymentMove
from omnichannel.customers.spend import record_payments as record_payments
from omnichannel.customers.timeline import append as append_to_timeline


def resolve_customer_id(session: Session, *, customer_id: uuid.UUID) -> uuid.UUID:
    """The id of the live profile an id stands for (a merged id gives its survivor)."""
    return records.resolve(session, customer_id).id


def every_id_of(session: Session, *, customer_id: uuid.UUID) -> list[uuid.UUID]:
    """The live profile's id and the ids of every profile merged into it: rows other
    domains keep under a merged id still belong to the survivor (404 if unknown)."""
    live = records.resolve(session, customer_id).id
    return list(
        session.scalars(
            select(Customer.id).where(or_(Customer.id == live, Customer.merged_into_id == live))
        )
    )


def segments_if_known(session: Session, *, customer_id: uuid.UUID) -> list[str] | None:
    """The segment codes of a customer (a merged id answers for its survivor), or None
    when there is no such customer. One statement, as `segments_of`: every quote for a
    customer asks."""
    rows = session.execute(_KNOWN_SEGMENTS, {"customer_id": customer_id}).all()
    return [code for (code,) in rows if code is not None] if rows else None


# One row per segment, or one row of NULL for a customer in none, or no row at all.
_KNOWN_SEGMENTS = (
    select(Segment.code)
    .select_from(Customer)
    .outerjoin(
        SegmentMember,
        SegmentMember.customer_id == func.coalesce(Customer.merged_into_id, Customer.id),
    )
    .outerjoin(Segment, Segment.id == SegmentMember.segment_id)
    .where(Customer.id == bindparam("customer_id"))
    .order_by(Segment.code)
)


def record_read(
    session: Session, *, customer_id: uuid.UUID | None, fields: Sequence[str], purpose: str
) -> None:
    """Write to the audit log that the session's actor was shown these personal fields
    of the customer (None: a guest's), and why, in the reader's transaction."""
    audit.record(
        session,
        action=audit.Action.READ,
        customer_ids=[customer_id],
        fields=fields,
        purpose=purpose,
    )


__all__ = [
    "Attachment",
    "IdentityIn",
    "IdentityType",
    "PaymentMove",
    "TimelineType",
    "append_to_timeline",
    "every_id_of",
    "find_customer_id",
    "find_or_attach",
    "on_erase",
    "on_export",
    "record_payments",
    "record_read",
    "remember_checkout",
    "resolve_customer_id",
    "segments_if_known",
    "segments_of",
]
