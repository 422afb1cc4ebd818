"""Identities: e-mails, phones, cards and accounts, each owned by one profile.

A value is stored sealed and found through its blind index: the HMAC of its normal
form, unique per type in the database, so two profiles can never own one e-mail,
however many requests claim it at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnichannel.customers import audit, records
from omnichannel.customers.crypto import keyring
from omnichannel.customers.errors import IdentityTaken, field_error
from omnichannel.customers.models import CustomerIdentity
from omnichannel.customers.rules import IdentityType, InvalidIdentity, normalise_identity
from omnichannel.customers.schemas import IdentityAdd, IdentityIn
from omnichannel.kernel import NotFound, new_id
from omnichannel.kernel.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Claim:
    """An identity in its normal form, with where it came from in the request."""

    type: IdentityType
    value: str
    field: str

    @property
    def digests(self) -> list[str]:
        return keyring().blind_indexes(self.type, self.value)


def claim(type_: IdentityType, value: str, namespace: str | None, *, field: str) -> Claim:
    """Normalise one identity; a 422 naming `field` if it is not one."""
    try:
        return Claim(IdentityType(type_), normalise_identity(type_, value, namespace), field)
    except InvalidIdentity as e:
        raise InvalidInput(
            f"{field}: {e}", errors=[field_error(field, str(e), f"invalid_{type_}")]
        ) from None


def claims(identities: Sequence[IdentityIn], *, field: str) -> list[Claim]:
    """Normalise a list of identities; the same one given twice is refused."""
    out: list[Claim] = []
    seen: dict[tuple[str, str], str] = {}
    for i, ident in enumerate(identities):
        c = claim(ident.type, ident.value, ident.namespace, field=f"{field}.{i}.value")
        if (c.type, c.value) in seen:
            raise InvalidInput(
                f"{c.field} repeats {seen[c.type, c.value]}.",
                errors=[field_error(c.field, f"same as {seen[c.type, c.value]}", "duplicate")],
            )
        seen[c.type, c.value] = c.field
        out.append(c)
    return out


def owners(session: Session, wanted: Sequence[Claim]) -> dict[Claim, uuid.UUID]:
    """Which profile owns each claimed identity (merges move identities, so the owner
    is always a live profile)."""
    if not wanted:
        return {}
    by_digest = {d: c for c in wanted for d in c.digests}
    if len(wanted) == 1:
        [c] = wanted
        rows = session.execute(_OWNER, {"type": c.type.value, "digests": c.digests})
    else:
        rows = session.execute(
            select(CustomerIdentity.digest, CustomerIdentity.customer_id).where(
                or_(
                    *(
                        and_(
                            CustomerIdentity.type == c.type.value,
                            CustomerIdentity.digest.in_(c.digests),
                        )
                        for c in wanted
                    )
                )
            )
        )
    return {by_digest[digest]: customer_id for digest, customer_id in rows}


# Built once: lookups are a hot path, and building a statement costs more than running it.
_OWNER = select(CustomerIdentity.digest, CustomerIdentity.customer_id).where(
    CustomerIdentity.type == bindparam("type"),
    CustomerIdentity.digest.in_(bindparam("digests", expanding=True)),
)
_OF = (
    select(CustomerIdentity)
    .where(CustomerIdentity.customer_id == bindparam("customer_id"))
    .order_by(CustomerIdentity.type, CustomerIdentity.is_primary.desc(), CustomerIdentity.id)
)


def refuse_taken(
    session: Session, wanted: Sequence[Claim], *, customer_id: uuid.UUID | None
) -> None:
    """409 naming the first identity that another profile already owns."""
    for c, owner in owners(session, wanted).items():
        if owner != customer_id:
            raise IdentityTaken(
                f"This {c.type} already belongs to customer {owner}.",
                errors=[
                    field_error(c.field, "already belongs to another customer", "identity_taken")
                ],
                customer_id=str(owner),
            )


def new_row(
    customer_id: uuid.UUID,
    c: Claim,
    *,
    primary: bool = False,
    verified: bool = False,
    channel: str | None = None,
) -> CustomerIdentity:
    """An identity row, indexed under the current key."""
    return CustomerIdentity(
        id=new_id(),
        customer_id=customer_id,
        type=c.type.value,
        digest=keyring().blind_index(c.type, c.value),
        value=c.value,
        is_primary=primary,
        verified=verified,
        source_channel=channel,
    )


def of(session: Session, customer_id: uuid.UUID) -> list[CustomerIdentity]:
    """A profile's identities, by type, primary first."""
    return list(session.scalars(_OF, {"customer_id": customer_id}))


def find_customer_id(
    session: Session, *, type: IdentityType, value: str, namespace: str | None = None
) -> uuid.UUID | None:
    """The profile an identity belongs to, or None (422 if the value is not one)."""
    c = claim(type, value, namespace, field="value")
    return owners(session, [c]).get(c)


def add_identity(
    session: Session, *, customer_id: uuid.UUID, data: IdentityAdd, channel: str | None = None
) -> CustomerIdentity:
    """Give a profile one more identity; 409 if another profile owns it."""
    customer = records.writable(session, customer_id)
    c = claim(data.type, data.value, data.namespace, field="value")
    refuse_taken(session, [c], customer_id=None)
    existing = of(session, customer.id)
    primary = data.primary or not any(i.type == c.type for i in existing)
    if primary:
        for i in existing:
            if i.type == c.type:
                i.is_primary = False
    row = new_row(customer.id, c, primary=primary, verified=data.verified, channel=channel)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Claimed by a concurrent request after our check: the same answer as before.
        refuse_taken(session, [c], customer_id=None)
        raise
    records.changed(session, customer, "customers.identity_added", identity_type=c.type.value)
    audit.record(
        session, action=audit.Action.IDENTITY_ADD, customer_ids=[customer.id], fields=[c.type]
    )
    return row


def remove_identity(session: Session, *, customer_id: uuid.UUID, identity_id: uuid.UUID) -> None:
    """Detach an identity from a profile; the value is free to be claimed again."""
    customer = records.writable(session, customer_id)
    row = session.get(CustomerIdentity, identity_id)
    if row is None or row.customer_id != customer.id:
        raise NotFound(f"Customer {customer.id} has no identity {identity_id}.")
    kind = row.type
    session.delete(row)
    session.flush()
    if row.is_primary:
        successor = session.scalar(
            select(CustomerIdentity)
            .where(CustomerIdentity.customer_id == customer.id, CustomerIdentity.type == kind)
            .order_by(CustomerIdentity.id)
            .limit(1)
        )
        if successor is not None:
            successor.is_primary = True
    records.changed(session, customer, "customers.identity_removed", identity_type=kind)
    audit.record(
        session, action=audit.Action.IDENTITY_REMOVE, customer_ids=[customer.id], fields=[kind]
    )
