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
    existing = {i.type for i in known.of(session, customer.id)}
    for c in wanted:
        if c in owned:
            continue
        try:
            with session.begin_nested():
                session.add(
                    known.new_row(customer.id, c, primary=c.type not in existing, channel=channel)
                )
                session.flush()
        except IntegrityError:
            other = known.owners(session, [c]).get(c)
            if other is not None and other != customer.id:
                out.conflicts = sorted({*out.conflicts, other})
            continue
        existing.add(c.type)
        out.attached.append(c.type)
    if out.attached:
        records.changed(
            session,
            customer,
            "customers.identity_added",
            identity_types=[t.value for t in out.attached],
        )
        audit.record(
            session,
            action=audit.Action.IDENTITY_ADD,
            customer_ids=[customer.id],
            fields=[t.value for t in out.attached],
            purpose="checkout",
        )
    return out
