"""Inventory use cases, in one place for entrypoints to import.

The work lives in `reservations` (holds), `operations` (on_hand changes, counts,
sync), `transfers`, `policies` (backorder, preorder, safety stock), `ledger` (reads
and the drift check), `availability` (ATP, pickup) and `projector`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from omnichannel.channels import service as channels
from omnichannel.inventory.availability import (
    MAX_BATCH,
    ChannelStock,
    PickupOption,
    VariantAvailability,
    availability,
    channel_stock,
    levels_by_variant,
    pickup_options,
)
from omnichannel.inventory.expiry import expire_level, levels_with_expired_holds
from omnichannel.inventory.geo import distance_km, postcode_coordinates
from omnichannel.inventory.ledger import Drift, check_ledger, list_levels, list_movements
from omnichannel.inventory.operations import Change, adjust, count, receive, sync_levels
from omnichannel.inventory.placement import Want, place
from omnichannel.inventory.policies import get_policy, policy_view, set_policy, set_safety_stock
from omnichannel.inventory.projector import project
from omnichannel.inventory.reservations import (
    MAX_LINES,
    Held,
    Line,
    Owner,
    commit,
    extend,
    get_reservation,
    list_reservations,
    release,
    release_owner,
    reserve,
)
from omnichannel.inventory.transfers import (
    get_transfer,
    in_transit,
    receive_transfer,
    start_transfer,
    transfer_held,
    transfer_lines,
)


def channel_for(
    session: Session, *, channel_id: uuid.UUID | None = None, code: str | None = None
) -> ChannelStock:
    """The stock view of a channel, by id or code (404 if unknown)."""
    if channel_id is not None:
        return channel_stock(channels.get_channel(session, channel_id=channel_id))
    if code is None:
        raise ValueError("channel_id or code required")
    return channel_stock(channels.get_channel_by_code(session, code=code))


def active_channels(session: Session) -> list[ChannelStock]:
    """Every active channel's stock view (for the projector)."""
    return [channel_stock(ch) for ch in channels.list_channels(session) if ch.status == "active"]


def sweep(session: Session, *, limit: int = 500) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Levels with overdue holds; the worker expires each with `expire_level` in its own transaction."""
    return levels_with_expired_holds(session, limit=limit)


__all__ = [
    "MAX_BATCH",
    "MAX_LINES",
    "Change",
    "ChannelStock",
    "Drift",
    "Held",
    "Line",
    "Owner",
    "PickupOption",
    "VariantAvailability",
    "Want",
    "active_channels",
    "adjust",
    "availability",
    "channel_for",
    "check_ledger",
    "commit",
    "count",
    "distance_km",
    "expire_level",
    "extend",
    "get_policy",
    "get_reservation",
    "get_transfer",
    "in_transit",
    "list_levels",
    "list_movements",
    "list_reservations",
    "orderable_at",
    "pickup_options",
    "place",
    "policy_view",
    "postcode_coordinates",
    "project",
    "receive",
    "receive_transfer",
    "release",
    "release_owner",
    "reserve",
    "set_policy",
    "set_safety_stock",
    "start_transfer",
    "sweep",
    "sync_levels",
    "transfer_held",
    "transfer_lines",
]


def orderable_at(
    session: Session,
    *,
    variant_ids: Sequence[uuid.UUID],
    location_ids: Sequence[uuid.UUID],
    now: datetime,
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """What each location can still promise of each variant, by (variant, location):
    overdue holds given back, safety stock kept, backorder headroom counted (one query)."""
    levels = levels_by_variant(session, variant_ids, location_ids, now)
    return {(v, view.location_id): view.orderable for v, views in levels.items() for view in views}
