"""Checkout in any channel: attach the buyer to the profile one of their identities
already points at, or start a profile, and never start two for one e-mail.

Two requests may claim the same new e-mail at once. Each creates its profile inside
a SAVEPOINT; the unique blind index lets one win, and the loser rolls back to the
savepoint and attaches to the winner's profile instead (on PostgreSQL the loser's
INSERT waits for the winner's commit and then fails; on SQLite writers take turns).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnichannel.customers import audit, profiles, records
from omnichannel.customers import identities as known
from omnichannel.customers.errors import IdentityTaken
from omnichannel.customers.models import Customer
from omnichannel.customers.rules import RESOLUTION_ORDER, IdentityType
from omnichannel.customers.schemas import CustomerCreate, IdentityIn
from omnichannel.kernel.errors import Conflict

_ATTEMPTS = 3


@dataclass
class Attachment:
    customer_id: uuid.UUID
    created: bool
    attached: list[IdentityType] = field(default_factory=list)
    # Other profiles that own some of the identities: probably the same person.
    conflicts: list[uuid.UUID] = field(default_factory=list)


def find_or_attach(
    session: Session,
    *,
    identities: Sequence[IdentityIn],
    given_name: str | None = None,
    family_name: str | None = None,
    channel: str | None = None,
) -> Attachment:
    """The profile these identities belong to; unknown identities are attached to it.

    With no match a profile is started. When the identities point at different
    profiles the strongest kind wins (loyalty card, marketplace account, till number,
    e-mail, phone, social handle) and the others are returned as `conflicts` for
    staff to merge; nothing is merged automatically.
    """
    wanted = known.claims(identities, field="identities")
    channel = records.check_channel(session, channel, "channel")
    for _ in range(_ATTEMPTS):
        owned = known.owners(session, wanted)
        if owned:
            return _attach(session, wanted, owned, channel)
        try:
            with session.begin_nested():
                created = profiles.create_with_claims(
                    session,
                    data=CustomerCreate(given_name=given_name, family_name=family_name),
                    claims=wanted,
                    channel=channel,
                )
        except (IntegrityError, IdentityTaken):
            continue  # another request claimed one of them first: attach to it
        return Attachment(created.customer.id, created=True, attached=[c.type for c in wanted])
    raise Conflict("The identities kept changing owner; retry the request.")


def _attach(
    session: Session,
    wanted: Sequence[known.Claim],
    owned: dict[known.Claim, uuid.UUID],
    channel: str | None,
) -> Attachment:
    rank = {t: i for i, t in enumerate(RESOLUTION_ORDER)}
    strongest = min(owned, key=lambda c: rank[c.type])
    # Checkouts of one person may run at once: they take turns on the profile's row.
    customer = records.writable(session, owned[strongest], for_update=True)
    out = Attachment(customer.id, created=False)
    out.conflicts = sorted({o for o in owned.values() if o != customer.id})
    added, others = add_claims(
        session, customer, [c for c in wanted if c not in owned], channel, purpose="checkout"
    )
    out.attached = added
    out.conflicts = sorted({*out.conflicts, *others})
    return out


def add_claims(
    session: Session,
    customer: Customer,
    claims: Sequence[known.Claim],
    channel: str | None,
    *,
    purpose: str,
) -> tuple[list[IdentityType], list[uuid.UUID]]:
    """Add identities nobody owned when looked up to a profile whose row the caller
    holds: each in a savepoint, so one claimed meanwhile by another profile is
    skipped and that profile reported. Records the event and the audit row once.
    Returns the types added and the other profiles found owning the rest."""
    added: list[IdentityType] = []
    others: set[uuid.UUID] = set()
    if claims:
        existing = {i.type for i in known.of(session, customer.id)}
        for c in claims:
            try:
                with session.begin_nested():
                    session.add(
                        known.new_row(
                            customer.id, c, primary=c.type not in existing, channel=channel
                        )
                    )
                    session.flush()
            except IntegrityError:  # claimed by another profile since it was looked up
                other = known.owners(session, [c]).get(c)
                if other is not None and other != customer.id:
                    others.add(other)
                continue
            existing.add(c.type)
            added.append(c.type)
    if added:
        records.changed(
            session, customer, "customers.identity_added", identity_types=[t.value for t in added]
        )
        audit.record(
            session,
            action=audit.Action.IDENTITY_ADD,
            customer_ids=[customer.id],
            fields=[t.value for t in added],
            purpose=purpose,
        )
    return added, sorted(others)
