"""What every customer use case shares: finding the profile an id stands for
(following merges), refusing writes to erased profiles, recording changes as events,
and checking references to other domains."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from omnichannel.channels import service as channels
from omnichannel.customers.errors import CustomerErased, field_error
from omnichannel.customers.models import Customer
from omnichannel.customers.rules import CustomerStatus
from omnichannel.db import record_event
from omnichannel.kernel import NotFound, utcnow
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed
from omnichannel.locations import service as locations
from omnichannel.security import service as security

AGGREGATE = "customer"


def load(session: Session, customer_id: uuid.UUID, *, for_update: bool = False) -> Customer:
    """The profile with exactly this id, merged or not; 404 if there is none."""
    q = _LOCK if for_update else _LOAD
    customer = session.scalar(q, {"customer_id": customer_id})
    if customer is None:
        raise NotFound(f"Customer {customer_id} does not exist.", customer_id=str(customer_id))
    return customer


_LOAD = select(Customer).where(Customer.id == bindparam("customer_id"))
# Locked, and as it is once locked even if this session had read it before.
_LOCK = _LOAD.with_for_update().execution_options(populate_existing=True)


def resolve(session: Session, customer_id: uuid.UUID, *, for_update: bool = False) -> Customer:
    """The profile an id stands for: a merged profile's id gives its survivor."""
    customer = load(session, customer_id, for_update=for_update)
    if customer.merged_into_id is not None:
        # One hop: every merge re-points the profiles merged earlier into its source.
        customer = load(session, customer.merged_into_id, for_update=for_update)
    return customer


def writable(
    session: Session,
    customer_id: uuid.UUID,
    *,
    if_version: int | None = None,
    for_update: bool = False,
) -> Customer:
    """The profile to change; refuses erased profiles and stale versions. `for_update`
    waits for concurrent writers of the profile instead of failing against them."""
    customer = resolve(session, customer_id, for_update=for_update)
    if customer.status == CustomerStatus.ERASED:
        raise CustomerErased(
            f"Customer {customer.id} was erased; nothing more is recorded about them.",
            customer_id=str(customer.id),
        )
    if if_version is not None and if_version != customer.version:
        raise PreconditionFailed(
            f"Customer {customer.id} is at version {customer.version}, not {if_version}."
        )
    return customer


_survivor = aliased(Customer)
# One round trip: the id and status of the live profile behind an id, merged or not.
_LIVE = (
    select(
        func.coalesce(_survivor.id, Customer.id),
        func.coalesce(_survivor.status, Customer.status),
    )
    .select_from(Customer)
    .outerjoin(_survivor, _survivor.id == Customer.merged_into_id)
    .where(Customer.id == bindparam("customer_id"))
)


def live_id(session: Session, customer_id: uuid.UUID) -> uuid.UUID:
    """The id of the live profile to record something for, without loading it (the
    hot paths: timeline appends); 404 if unknown, 409 if erased."""
    row = session.execute(_LIVE, {"customer_id": customer_id}).one_or_none()
    if row is None:
        raise NotFound(f"Customer {customer_id} does not exist.", customer_id=str(customer_id))
    live, status = row
    if status == CustomerStatus.ERASED:
        raise CustomerErased(
            f"Customer {live} was erased; nothing more is recorded about them.",
            customer_id=str(live),
        )
    return uuid.UUID(str(live))


def changed(session: Session, customer: Customer, type_: str, **payload: Any) -> None:
    """Bump the profile's version and record an event about it: ids and names of
    fields only, never personal values (the outbox is not erased)."""
    customer.updated_at = utcnow()
    session.flush()
    record_event(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=customer.id,
        sequence=customer.version,
        type=type_,
        payload={"customer_id": str(customer.id), **payload},
    )


def check_channel(session: Session, code: str | None, field: str) -> str | None:
    """A channel code the caller named, if it exists."""
    if code is None:
        return None
    try:
        channels.get_channel_by_code(session, code=code)
    except NotFound:
        raise InvalidInput(
            f"There is no channel {code!r}.",
            errors=[field_error(field, "no such channel", "unknown_channel")],
        ) from None
    return code


def check_location(session: Session, location_id: uuid.UUID | None, field: str) -> None:
    """A store or warehouse the caller named must exist."""
    if location_id is None:
        return
    if location_id not in locations.location_kinds(session, location_ids=[location_id]):
        raise InvalidInput(
            f"Location {location_id} does not exist.",
            errors=[field_error(field, "no such location", "unknown_location")],
        )


def check_staff(session: Session, staff_id: uuid.UUID | None, field: str) -> None:
    """A staff member the caller named must exist."""
    if staff_id is None:
        return
    try:
        security.get_staff(session, staff_id=staff_id)
    except NotFound:
        raise InvalidInput(
            f"Staff user {staff_id} does not exist.",
            errors=[field_error(field, "no such staff user", "unknown_staff")],
        ) from None
