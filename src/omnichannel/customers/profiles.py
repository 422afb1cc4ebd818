"""Profiles: creating, reading and changing a customer and their addresses.

Reads that show personal data to a caller (`reveal=True`) are written to the audit
log; the caller's permission decides `reveal`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from omnichannel.customers import audit, consents, identities, records, timeline
from omnichannel.customers.crypto import keyring
from omnichannel.customers.errors import field_error
from omnichannel.customers.models import Customer, CustomerAddress, CustomerIdentity
from omnichannel.customers.rules import CustomerStatus, IdentityType, TimelineType, fold_city
from omnichannel.customers.schemas import (
    PERSONAL_FIELDS,
    AddressIn,
    CustomerCreate,
    CustomerUpdate,
    IdentityIn,
)
from omnichannel.db import record_event
from omnichannel.kernel import NotFound, new_id
from omnichannel.kernel.errors import InvalidInput


@dataclass
class Profile:
    customer: Customer
    identities: list[CustomerIdentity]
    addresses: list[CustomerAddress]


CITY_INDEX = "city"


def city_index(city: str) -> str:
    """The blind index an address's city is found by (segments by city)."""
    return keyring().blind_index(CITY_INDEX, fold_city(city))


def _address_row(customer_id: uuid.UUID, data: AddressIn, *, default: bool) -> CustomerAddress:
    return CustomerAddress(
        id=new_id(),
        customer_id=customer_id,
        details=data.details(),
        city_index=city_index(data.city),
        is_default=default,
    )


def addresses_of(session: Session, customer_id: uuid.UUID) -> list[CustomerAddress]:
    """A profile's addresses, the default first."""
    return list(session.scalars(_ADDRESSES, {"customer_id": customer_id}))


_ADDRESSES = (
    select(CustomerAddress)
    .where(CustomerAddress.customer_id == bindparam("customer_id"))
    .order_by(CustomerAddress.is_default.desc(), CustomerAddress.id)
)


def profile(session: Session, customer: Customer) -> Profile:
    """A loaded profile with its identities and addresses."""
    return Profile(
        customer, identities.of(session, customer.id), addresses_of(session, customer.id)
    )


def create_customer(
    session: Session, *, data: CustomerCreate, channel: str | None = None
) -> Profile:
    """Start a profile; 409 if another profile owns any of its e-mails, phones or cards."""
    claims = [
        *identities.claims(
            [IdentityIn(type=IdentityType.EMAIL, value=e) for e in data.emails], field="emails"
        ),
        *identities.claims(
            [IdentityIn(type=IdentityType.PHONE, value=p) for p in data.phones], field="phones"
        ),
        *identities.claims(data.identities, field="identities"),
    ]
    _refuse_repeats(claims)
    channel = records.check_channel(session, channel, "channel")
    return create_with_claims(session, data=data, claims=claims, channel=channel)


def create_with_claims(
    session: Session,
    *,
    data: CustomerCreate,
    claims: Sequence[identities.Claim],
    channel: str | None,
) -> Profile:
    """Start a profile owning identities already normalised (the channel is checked)."""
    identities.refuse_taken(session, claims, customer_id=None)
    records.check_location(session, data.preferred_location_id, "preferred_location_id")
    customer = Customer(
        id=new_id(),
        status=CustomerStatus.ACTIVE,
        given_name=data.given_name,
        family_name=data.family_name,
        birthday=data.birthday.isoformat() if data.birthday else None,
        notes=data.notes,
        language=data.language,
        preferred_location_id=data.preferred_location_id,
        source_channel=channel,
    )
    session.add(customer)
    session.flush()
    first: set[IdentityType] = set()
    rows = []
    for c in claims:
        rows.append(
            identities.new_row(customer.id, c, primary=c.type not in first, channel=channel)
        )
        first.add(c.type)
    session.add_all(rows)
    default = next((i for i, a in enumerate(data.addresses) if a.default), 0)
    session.add_all(
        _address_row(customer.id, a, default=i == default) for i, a in enumerate(data.addresses)
    )
    for answer in data.consents:
        consents.write(
            session,
            customer,
            purpose=answer.purpose,
            granted=answer.granted,
            channel=channel,
            policy_version=answer.policy_version,
            evidence=answer.evidence,
        )
    session.flush()
    timeline.write(session, customer.id, TimelineType.PROFILE_CREATED, channel=channel)
    _created(session, customer, channel)
    return profile(session, customer)


def _created(session: Session, customer: Customer, channel: str | None) -> None:
    record_event(
        session,
        aggregate_type=records.AGGREGATE,
        aggregate_id=customer.id,
        sequence=customer.version,
        type="customers.created",
        payload={"customer_id": str(customer.id), "channel": channel},
    )
    audit.record(
        session, action=audit.Action.CREATE, customer_ids=[customer.id], fields=PERSONAL_FIELDS
    )


def _refuse_repeats(claims: Sequence[identities.Claim]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for c in claims:
        if (c.type, c.value) in seen:
            raise InvalidInput(
                f"{c.field} repeats {seen[c.type, c.value]}.",
                errors=[field_error(c.field, f"same as {seen[c.type, c.value]}", "duplicate")],
            )
        seen[c.type, c.value] = c.field


def get_customer(
    session: Session, *, customer_id: uuid.UUID, reveal: bool, purpose: str = "profile"
) -> Profile:
    """A profile (a merged id gives the survivor); an audited read when `reveal`."""
    found = profile(session, records.resolve(session, customer_id))
    if reveal:
        audit.record(
            session,
            action=audit.Action.READ,
            customer_ids=[found.customer.id],
            fields=PERSONAL_FIELDS,
            purpose=purpose,
        )
    return found


def lookup(
    session: Session,
    *,
    type: IdentityType,
    value: str,
    namespace: str | None = None,
    reveal: bool,
) -> Profile | None:
    """The profile an identity belongs to, or None. A revealing hit is an audited read
    and so is every miss: a run of misses is someone probing who is a customer."""
    found = identities.find_customer_id(session, type=type, value=value, namespace=namespace)
    if found is None:
        audit.record(session, action=audit.Action.LOOKUP, customer_ids=[None], fields=[type])
        return None
    return get_customer(session, customer_id=found, reveal=reveal, purpose="lookup")


def list_customers(
    session: Session,
    *,
    reveal: bool,
    status: CustomerStatus | None = None,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> list[Profile]:
    """Profiles in creation order, `limit + 1` of them; audited when `reveal`."""
    q = select(Customer).order_by(Customer.id).limit(limit + 1)
    if status is not None:
        q = q.where(Customer.status == status.value)
    if after is not None:
        q = q.where(Customer.id > after)
    customers = list(session.scalars(q))
    ids = [c.id for c in customers]
    by_customer_ids: dict[uuid.UUID, list[CustomerIdentity]] = {i: [] for i in ids}
    by_customer_addr: dict[uuid.UUID, list[CustomerAddress]] = {i: [] for i in ids}
    if ids:
        for ident in session.scalars(
            select(CustomerIdentity)
            .where(CustomerIdentity.customer_id.in_(ids))
            .order_by(
                CustomerIdentity.type, CustomerIdentity.is_primary.desc(), CustomerIdentity.id
            )
        ):
            by_customer_ids[ident.customer_id].append(ident)
        for addr in session.scalars(
            select(CustomerAddress)
            .where(CustomerAddress.customer_id.in_(ids))
            .order_by(CustomerAddress.is_default.desc(), CustomerAddress.id)
        ):
            by_customer_addr[addr.customer_id].append(addr)
    if reveal:
        audit.record(
            session,
            action=audit.Action.READ,
            customer_ids=ids[:limit],
            fields=PERSONAL_FIELDS,
            purpose="list",
        )
    return [Profile(c, by_customer_ids[c.id], by_customer_addr[c.id]) for c in customers]


def update_customer(
    session: Session, *, customer_id: uuid.UUID, data: CustomerUpdate, if_version: int | None
) -> Profile:
    """Change profile fields; a field sent as null is cleared."""
    customer = records.writable(session, customer_id, if_version=if_version)
    sent = data.model_fields_set
    if "preferred_location_id" in sent:
        records.check_location(session, data.preferred_location_id, "preferred_location_id")
        customer.preferred_location_id = data.preferred_location_id
    for name in ("given_name", "family_name", "notes"):
        if name in sent:
            setattr(customer, name, getattr(data, name))
    if "birthday" in sent:
        customer.birthday = data.birthday.isoformat() if data.birthday else None
    if "language" in sent and data.language is not None:
        customer.language = data.language
    changed = sorted(sent)
    if session.is_modified(customer):  # a no-op edit keeps the version and says nothing
        records.changed(session, customer, "customers.updated", fields=changed)
    audit.record(session, action=audit.Action.UPDATE, customer_ids=[customer.id], fields=changed)
    return profile(session, customer)


def add_address(session: Session, *, customer_id: uuid.UUID, data: AddressIn) -> CustomerAddress:
    """Add an address; the first one, or one marked default, becomes the default."""
    customer = records.writable(session, customer_id)
    existing = addresses_of(session, customer.id)
    default = data.default or not existing
    if default:
        for a in existing:
            a.is_default = False
    row = _address_row(customer.id, data, default=default)
    session.add(row)
    session.flush()
    records.changed(session, customer, "customers.address_added", address_id=str(row.id))
    audit.record(
        session, action=audit.Action.ADDRESS_ADD, customer_ids=[customer.id], fields=["addresses"]
    )
    return row


def remove_address(session: Session, *, customer_id: uuid.UUID, address_id: uuid.UUID) -> None:
    """Remove an address; the oldest remaining one becomes the default if needed."""
    customer = records.writable(session, customer_id)
    row = session.get(CustomerAddress, address_id)
    if row is None or row.customer_id != customer.id:
        raise NotFound(f"Customer {customer.id} has no address {address_id}.")
    was_default = row.is_default
    session.delete(row)
    session.flush()
    if was_default:
        rest = addresses_of(session, customer.id)
        if rest:
            rest[0].is_default = True
    records.changed(session, customer, "customers.address_removed", address_id=str(address_id))
    audit.record(
        session,
        action=audit.Action.ADDRESS_REMOVE,
        customer_ids=[customer.id],
        fields=["addresses"],
    )
