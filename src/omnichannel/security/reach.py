"""Reach: where a staff member scoped to locations may act (promise 9).

A store associate or a warehouse operator is scoped to their locations
(`Principal.location_ids`); admins and unscoped roles (a call-center agent) reach
every location. Reading is not limited here: a store associate looks a customer's
order up at any till. Acting is:

- **Stock and holds**: at the staff member's own locations.
- **An order**: where it is handled (`order_places`). A pickup order is its pickup
  store's, wherever its goods come from: that store moves it on, hands it over (and
  so takes the payment) or cancels it; a Warsaw associate never hands over a Kraków
  pickup. Any other order is where its goods are, every live line of it: one move
  (ship, cancel) acts on the stock of every line, so an associate of one store does
  not move an order that also takes another store's goods; unscoped staff do.
- **Selling** (opening, changing, checking out a cart): through a channel one of
  whose locations (sell-from or pickup) is theirs, or through a channel with no
  location of its own (a hotline), as far as their role allows.

Only staff are scoped: a channel key acts in its own channel and a customer on their
own things, each bounded elsewhere. The rules (`reaches`, `sells_through`,
`order_places`) are pure; the `check_*` functions raise `OutsideYourLocations`
(403 `outside_your_locations`) naming what is out of reach. Domains call the checks
in their use cases, never in endpoints.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable

from omnichannel.kernel.auth import OutsideYourLocations, Principal

__all__ = [
    "OutsideYourLocations",
    "check_channel",
    "check_locations",
    "check_order",
    "order_places",
    "reaches",
    "sells_through",
]


def reaches(principal: Principal, location_ids: Iterable[uuid.UUID]) -> bool:
    """The principal may act on every one of these locations."""
    if principal.kind != "staff":
        return True
    return all(principal.can_act_on_location(loc) for loc in location_ids)


def sells_through(principal: Principal, channel_location_ids: Collection[uuid.UUID]) -> bool:
    """The principal may sell through a channel with these locations: one of them is
    theirs, or the channel has none."""
    if principal.kind != "staff" or not channel_location_ids:
        return True
    return any(principal.can_act_on_location(loc) for loc in channel_location_ids)


def order_places(
    *, pickup_location_id: uuid.UUID | None, line_location_ids: Iterable[uuid.UUID]
) -> frozenset[uuid.UUID]:
    """Where an order is handled: its pickup store, else where its live lines' goods are."""
    if pickup_location_id is not None:
        return frozenset({pickup_location_id})
    return frozenset(line_location_ids)


def check_locations(principal: Principal, location_ids: Iterable[uuid.UUID], *, what: str) -> None:
    """403 unless the principal may act on every one of the locations `what` is at."""
    outside = sorted(str(loc) for loc in set(location_ids) if not reaches(principal, [loc]))
    if outside:
        raise OutsideYourLocations(
            f"{_who(principal)} may not act on {what} at {', '.join(outside)}: "
            "it is outside the locations you are scoped to.",
            location_ids=outside,
        )


def check_order(
    principal: Principal,
    *,
    number: str,
    pickup_location_id: uuid.UUID | None,
    line_location_ids: Iterable[uuid.UUID],
) -> None:
    """403 unless the principal may act on the order (see `order_places`)."""
    places = order_places(
        pickup_location_id=pickup_location_id, line_location_ids=line_location_ids
    )
    what = (
        f"order {number}, to be collected"
        if pickup_location_id
        else f"order {number}, whose goods are"
    )
    check_locations(principal, places, what=what)


def check_channel(
    principal: Principal,
    *,
    code: str,
    channel_location_ids: Collection[uuid.UUID],
    doing: str = "sell through",
) -> None:
    """403 unless the principal may sell through the channel (see `sells_through`);
    `doing` says what they asked, for the answer."""
    if not sells_through(principal, channel_location_ids):
        raise OutsideYourLocations(
            f"{_who(principal)} may not {doing} channel {code}: none of its locations "
            "is one you are scoped to.",
            channel=code,
        )


def _who(principal: Principal) -> str:
    return f"Role {principal.role}" if principal.role else "You"
