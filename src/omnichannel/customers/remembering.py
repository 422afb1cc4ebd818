"""Data typed once: the e-mail, phone and shipping address a customer gives at
checkout are kept on their profile, so no channel asks for them again.

What the profile has already is not added twice: an identity it owns is skipped; an
address is the same one when its street, postcode, city and country are (case,
accents and spacing ignored), whatever its label, recipient or phone. An identity
another profile owns stays theirs: the checkout's profile is told as a likely
duplicate (`conflicts`), as `find_or_attach` does, and nothing is merged. Checkouts
of one person may be remembered at once: they take turns on the profile's row.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnichannel.customers import identities as known
from omnichannel.customers import profiles, records
from omnichannel.customers.errors import CustomerErased
from omnichannel.customers.resolution import add_claims
from omnichannel.customers.rules import IdentityType, fold_city
from omnichannel.customers.schemas import AddressIn
from omnichannel.kernel import NotFound
from omnichannel.kernel.errors import InvalidInput


@dataclass
class Remembered:
    """What a checkout added to the profile."""

    identities: list[IdentityType] = field(default_factory=list)
    address_id: uuid.UUID | None = None
    # Other profiles owning an e-mail or phone given: probably the same person.
    conflicts: list[uuid.UUID] = field(default_factory=list)


def remember_checkout(
    session: Session,
    *,
    customer_id: uuid.UUID,
    email: str | None = None,
    phone: str | None = None,
    address: Mapping[str, Any] | None = None,
    channel: str | None = None,
) -> Remembered:
    """Add to the profile what it lacks of a checkout's e-mail, phone and shipping
    address; an erased or unknown profile, or a value that is not one, adds nothing."""
    out = Remembered()
    try:
        customer = records.writable(session, customer_id, for_update=True)
    except (CustomerErased, NotFound):
        return out  # nothing more is recorded about an erased person
    wanted = [
        c
        for c in (
            _claim(IdentityType.EMAIL, email, "contact.email"),
            _claim(IdentityType.PHONE, phone, "contact.phone"),
        )
        if c is not None
    ]
    owned = known.owners(session, wanted)
    out.conflicts = sorted({o for o in owned.values() if o != customer.id})
    added, others = add_claims(
        session, customer, [c for c in wanted if c not in owned], channel, purpose="checkout"
    )
    out.identities = added
    out.conflicts = sorted({*out.conflicts, *others})
    data = _address(address)
    if data is not None and not any(
        same_address(a.details, data.details()) for a in profiles.addresses_of(session, customer.id)
    ):
        out.address_id = profiles.add_address(session, customer_id=customer.id, data=data).id
    return out


def same_address(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two addresses are the same place (the label, recipient and phone aside)."""
    return _place(a) == _place(b)


def _place(details: Mapping[str, Any]) -> tuple[str, str, str, str]:
    def folded(key: str) -> str:
        return fold_city(str(details.get(key) or ""))  # case, accents, spacing, dashes

    return (
        folded("street").replace(".", "").replace(" ", ""),
        str(details.get("postcode") or "").replace(" ", "").upper(),
        folded("city"),
        str(details.get("country") or "PL").upper(),
    )


def _claim(type_: IdentityType, value: str | None, where: str) -> known.Claim | None:
    if not value:
        return None
    try:
        return known.claim(type_, value, None, field=where)
    except InvalidInput:
        return None  # checkout validated it; one that no longer passes is not kept


def _address(details: Mapping[str, Any] | None) -> AddressIn | None:
    if not details:
        return None
    try:
        return AddressIn.model_validate({**details, "default": False})
    except ValidationError:
        return None  # an address another channel shaped differently: the order keeps it
