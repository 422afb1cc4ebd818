"""Available-to-promise per channel and pickup options near a customer.

Reads are exact and never write: holds that are overdue but not yet swept count as
free (the lazy half of expiry), so what a channel shows is what a reservation can
take. The levels and their sums are read by `levels.py`; publishing the numbers is
the projector's job (`projector.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Select, case, exists, func, literal, null, select
from sqlalchemy.orm import Session

from omnichannel.db.idlist import any_id, id_list
from omnichannel.inventory.geo import distance_km

# Re-exported: callers read a channel's stock view and the levels from here too.
from omnichannel.inventory.levels import ChannelStock as ChannelStock
from omnichannel.inventory.levels import (
    LevelView,
    Totals,
    dialect_of,
    level_params,
    level_query,
    totals_of,
)
from omnichannel.inventory.levels import channel_stock as channel_stock
from omnichannel.inventory.levels import levels_by_variant as levels_by_variant
from omnichannel.inventory.models import StockPolicy
from omnichannel.inventory.rules import UNLIMITED, apply_buffer, sellable
from omnichannel.inventory.transfers import in_transit
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.locations import service as locations
from omnichannel.locations.rules import is_open

MAX_BATCH = 500


@dataclass(slots=True)
class VariantAvailability:
    variant_id: uuid.UUID
    available: int
    orderable: int | None  # with backorder headroom; None = no limit
    status: str  # in_stock | backorder | preorder | out_of_stock
    preorder_until: date | None
    locations: list[dict[str, Any]] = field(default_factory=list)


@lru_cache(maxsize=4)
def _totals_query(dialect: str) -> Select[Any]:
    """Per variant of `:ids`: the sums over `:locs`, and its backorder policy."""
    lv = level_query(dialect, True).subquery()
    free = lv.c.on_hand - lv.c.reserved - lv.c.safety
    backorderable = free + lv.c.allowance
    sums = (
        select(
            lv.c.variant_id,
            func.sum(case((free > 0, free), else_=0)).label("atp"),
            func.sum(case((backorderable > 0, backorderable), else_=0)).label("orderable"),
            func.max(lv.c.allowance).label("top"),
        )
        .group_by(lv.c.variant_id)
        .cte("sums")
    )
    policy = (
        select(StockPolicy.variant_id, StockPolicy.preorder_until)
        .where(any_id(dialect, StockPolicy.variant_id, id_list("ids")), StockPolicy.backorder)
        .cte("policy")
    )
    stocked = select(
        sums.c.variant_id,
        sums.c.atp,
        sums.c.orderable,
        sums.c.top,
        policy.c.variant_id.is_not(None),
        policy.c.preorder_until,
    ).outerjoin(policy, policy.c.variant_id == sums.c.variant_id)
    # A backorder item may have no level at these locations yet: it still has a policy.
    unstocked = select(
        policy.c.variant_id,
        literal(0),
        literal(0),
        null(),
        literal(True),
        policy.c.preorder_until,
    ).where(~exists(select(literal(1)).where(sums.c.variant_id == policy.c.variant_id)))
    return cast(Select[Any], stocked.union_all(unstocked))


def _totals(
    session: Session,
    variant_ids: Sequence[uuid.UUID],
    location_ids: Sequence[uuid.UUID],
    now: datetime,
) -> tuple[dict[uuid.UUID, Totals], dict[uuid.UUID, date | None]]:
    """Per-variant sums over the locations, computed by the database (one row per
    variant instead of one per level: the hot read of storefronts), and the
    backorder policies of the same variants, in one round trip."""
    totals: dict[uuid.UUID, Totals] = {}
    backorder: dict[uuid.UUID, date | None] = {}
    rows = session.execute(
        _totals_query(dialect_of(session).name), level_params(variant_ids, location_ids, now)
    ).all()
    for v, atp, orderable, top, has_policy, preorder_until in rows:
        if top is not None:
            totals[v] = Totals(int(atp), int(orderable), int(top) >= UNLIMITED)
        if has_policy:
            backorder[v] = preorder_until
    return totals, backorder


def backorder_policies(
    session: Session, variant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, date | None]:
    """Preorder date (or None) of the variants among these that may be backordered."""
    rows = session.execute(
        select(StockPolicy.variant_id, StockPolicy.preorder_until).where(
            any_id(dialect_of(session), StockPolicy.variant_id, variant_ids),
            StockPolicy.backorder.is_(True),
        )
    )
    return {r.variant_id: r.preorder_until for r in rows}


def summarise(
    variant_id: uuid.UUID,
    totals: Totals,
    channel: ChannelStock,
    backorder: dict[uuid.UUID, date | None],
    locations: list[dict[str, Any]],
) -> VariantAvailability:
    buffer = {"percent": channel.buffer_percent, "reserve": channel.buffer_units}
    atp = apply_buffer(totals.atp, **buffer)
    orderable = sellable(totals.orderable, unlimited=totals.unlimited, **buffer)
    preorder_until = backorder.get(variant_id)
    if atp > 0:
        status = "in_stock"
    elif variant_id in backorder and (orderable is None or orderable > 0):
        status = "preorder" if preorder_until is not None else "backorder"
    else:
        status = "out_of_stock"
    return VariantAvailability(variant_id, atp, orderable, status, preorder_until, locations)


def _detail(views: list[LevelView], channel: ChannelStock) -> list[dict[str, Any]]:
    order = {loc: i for i, loc in enumerate(channel.sell_from)}
    return [
        {
            "location_id": v.location_id,
            "on_hand": v.on_hand,
            "reserved": v.reserved,
            "safety_stock": v.safety_stock,
            "available": v.atp,
        }
        for v in sorted(views, key=lambda x: order.get(x.location_id, len(order)))
    ]


_NONE = Totals(0, 0, False)


def availability(
    session: Session,
    *,
    channel: ChannelStock,
    variant_ids: Sequence[uuid.UUID],
    with_locations: bool = False,
    now: datetime | None = None,
) -> list[VariantAvailability]:
    """ATP of up to 500 variants for a channel, in the order asked (two queries)."""
    if not variant_ids:
        return []
    if len(variant_ids) > MAX_BATCH:
        raise InvalidInput(
            f"At most {MAX_BATCH} variants per request.",
            errors=[
                {"field": "variant_ids", "message": f"more than {MAX_BATCH}", "type": "too_long"}
            ],
        )
    ids = list(dict.fromkeys(variant_ids))
    now = now or utcnow()
    if not with_locations:
        totals, backorder = _totals(session, ids, channel.sell_from, now)
        return [summarise(v, totals.get(v, _NONE), channel, backorder, []) for v in ids]
    backorder = backorder_policies(session, ids)
    levels = levels_by_variant(session, ids, channel.sell_from, now)
    return [
        summarise(
            v,
            totals_of(levels.get(v, [])),
            channel,
            backorder,
            _detail(levels.get(v, []), channel),
        )
        for v in ids
    ]


@dataclass(frozen=True, slots=True)
class PickupOption:
    location_id: uuid.UUID
    code: str
    name: str
    city: str
    distance_km: float | None
    available: int
    in_transit: int
    can_hand_over: bool
    open_now: bool


def pickup_options(
    session: Session,
    *,
    channel: ChannelStock,
    variant_id: uuid.UUID,
    quantity: int = 1,
    near: tuple[float, float] | None,
    limit: int = 10,
    now: datetime | None = None,
) -> list[PickupOption]:
    """The channel's pickup stores, nearest first: how many each can hand over now
    (and how many are on their way there)."""
    now = now or utcnow()
    if not channel.pickup_at:
        return []
    stores = locations.get_locations(session, location_ids=channel.pickup_at)
    levels = {
        v.location_id: v
        for v in levels_by_variant(session, [variant_id], channel.pickup_at, now).get(
            variant_id, []
        )
    }
    travelling = in_transit(session, variant_id=variant_id)
    out = []
    for loc_id in channel.pickup_at:
        store = stores.get(loc_id)
        if store is None or store.status != "active":
            continue
        view = levels.get(loc_id)
        available = view.atp if view else 0
        hours = store.opening_hours or {}
        exceptions = {
            date.fromisoformat(d): [tuple(i) for i in v]
            for d, v in hours.get("exceptions", {}).items()
        }
        weekly = {d: [tuple(i) for i in v] for d, v in hours.get("weekly", {}).items()}
        out.append(
            PickupOption(
                location_id=loc_id,
                code=store.code,
                name=store.name,
                city=store.city,
                distance_km=round(distance_km(near, (store.latitude, store.longitude)), 1)
                if near
                else None,
                available=available,
                in_transit=travelling.get(loc_id, 0),
                can_hand_over=available >= quantity,
                open_now=is_open(weekly, exceptions, store.timezone, now),
            )
        )
    out.sort(
        key=lambda o: (not o.can_hand_over, o.distance_km if o.distance_km is not None else 0.0)
    )
    return out[:limit]
