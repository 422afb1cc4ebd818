"""Customers, as other domains use them. Call these; never read the tables.

- `find_or_attach`: checkout in any channel (issue 6) attaches the buyer to the
  profile an identity points at, or starts one.
- `append_to_timeline`: record an interaction; orders write `order_placed` and
  `order_returned` with the total as `amount`, which spend segments add up.
- `segments_of`: the segment codes pricing quotes for.
- `resolve_customer_id`: the live profile behind an id that may have been merged.

A merge emits `customers.merged` (`customer_id` the survivor, `merged_id` the
duplicate): domains holding customer ids (orders, carts, loyalty) consume it to move
their rows. An erasure emits `customers.erased`: they pseudonymise their copies.
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from omnichannel.customers import records
from omnichannel.customers.identities import find_customer_id as find_customer_id
from omnichannel.customers.models import Customer
from omnichannel.customers.privacy import on_erase as on_erase
from omnichannel.customers.privacy import on_export as on_export
from omnichannel.customers.resolution import Attachment as Attachment
from omnichannel.customers.resolution import find_or_attach as find_or_attach
from omnichannel.customers.rules import IdentityType as IdentityType
from omnichannel.customers.rules import TimelineType as TimelineType
from omnichannel.customers.schemas import IdentityIn as IdentityIn
from omnichannel.customers.segments import segments_of as segments_of
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


__all__ = [
    "Attachment",
    "IdentityIn",
    "IdentityType",
    "TimelineType",
    "append_to_timeline",
    "every_id_of",
    "find_customer_id",
    "find_or_attach",
    "on_erase",
    "on_export",
    "resolve_customer_id",
    "segments_of",
]
