"""Who is asking: a staff user (bearer token), a channel (API key) or a customer
signed in to the web shop or the app (customer bearer token).

A customer principal's `id` is the customer's id and `channel_id`/`channel_code`
name the channel they signed in through; it holds only `carts:own` and `orders:own`.

Where a staff member scoped to locations may act (an order, a cart's channel, a
hold) is decided in `security.reach`, on top of `can_act_on_location`; its refusal,
`OutsideYourLocations`, lives here so the HTTP plumbing raises the same one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from omnichannel.kernel.errors import Forbidden

ALL = "*"


class OutsideYourLocations(Forbidden):
    """A staff member scoped to locations asked to act on another location's things."""

    code = "outside_your_locations"
    title = "Outside your locations"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Literal["staff", "channel", "customer"]
    id: uuid.UUID
    name: str
    permissions: frozenset[str]
    role: str | None = None
    # Locations a scoped role may act on; None means every location.
    location_ids: frozenset[uuid.UUID] | None = None
    channel_id: uuid.UUID | None = None
    channel_code: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        """How events and the audit log name this principal."""
        if self.kind == "channel":
            return f"channel:{self.channel_code}"
        if self.kind == "customer":
            return f"customer:{self.id}"
        return f"staff:{self.id}"

    def can(self, permission: str) -> bool:
        return ALL in self.permissions or permission in self.permissions

    def can_act_on_location(self, location_id: uuid.UUID) -> bool:
        """The location is one the principal is scoped to (an unscoped one: any)."""
        return self.location_ids is None or location_id in self.location_ids
