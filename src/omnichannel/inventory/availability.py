"""Available-to-promise per channel, pickup options near a customer, and the
projector that publishes `inventory.availability_changed`.

Reads are exact and never write: holds that are overdue but not yet swept count as
free (the lazy half of expiry), so what a channel shows is what a reservation can
take. Publishing is asynchronous: every stock change marks its variant dirty in its
own transaction, and the projector (run by `omni worker`) recomputes those
variants' ATP per channel and writes an event only where the number changed. A hot
variant taking hundreds of reservations a second thus yields one event per channel
per projector round, not one per reservation, and reservations never queue on a
per-channel counter row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, delete, func, select
from sqlalchemy.orm import Session

from omnichannel.db import record_events
from omnichannel.inventory.expiry import expired_holds_filter
from omnichannel.inventory.geo import distance_km
from omnichannel.inventory.models import (
    AvailabilityDirty,
    ChannelAvailability,
    LocationStockSettings,
    Reservation,
    StockLevel,
    StockPolicy,
)
from omnichannel.inventory.rules import UNLIMITED, apply_buffer, location_atp
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput

MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class LevelView:
    """One level as availability sees it: overdue holds already given back."""

    location_id: uuid.UUID
    on_hand: int
    reserved: int
    allowance: int
    safety_stock: int

    @property
    def atp(self) -> int:
        return location_atp(self.on_hand, self.reserved, self.safety_stock)

    @property
    def orderable(self) -> int:
        return max(
            0, self.on_hand + min(self.allowance, UNLIMITED) - self.reserved - self.safety_stock
        )


@dataclass(slots=True)
class VariantAvailability:
    variant_id: uuid.UUID
    available: int
    orderable: int | None  # with backorder headroom; None = no limit
    status: str  # in_stock | backorder | preorder | out_of_stock
    preorder_until: date | None
    locations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ChannelStock:
    """What availability needs to know about a channel."""

    id: uuid.UUID
    code: str
    sell_from: tuple[uuid.UUID, ...]
    pickup_at: tuple[uuid.UUID, ...]
    buffer_percent: int | None
    buffer_units: int | None


def channel_stock(channel: Any) -> ChannelStock:
    """Adapt a channel (from the channels service) to what availability reads."""
    from omnichannel.channels.rules import LocationRole

    return ChannelStock(
        id=channel.id,
        code=channel.code,
        sell_from=tuple(channel.location_ids(LocationRole.SELL_FROM)),
        pickup_at=tuple(channel.location_ids(LocationRole.PICKUP)),
        buffer_percent=channel.buffer_percent,
        buffer_units=channel.buffer_units,
    )


def _level_query(
    variant_ids: Sequence[uuid.UUID], location_ids: Sequence[uuid.UUID] | None, now: datetime
) -> Select[uuid.UUID, uuid.UUID, int, int, int, int]:
    """The levels of these variants (at these locations), with effective safety stock
    and overdue holds subtracted from `reserved`."""
    overdue = (
        select(
            Reservation.variant_id,
            Reservation.location_id,
            func.sum(Reservation.quantity).label("qty"),
        )
        .where(expired_holds_filter(now), Reservation.variant_id.in_(variant_ids))
        .group_by(Reservation.variant_id, Reservation.location_id)
        .subquery()
    )
    q = (
        select(
            StockLevel.variant_id,
            StockLevel.location_id,
            StockLevel.on_hand,
            (StockLevel.reserved - func.coalesce(overdue.c.qty, 0)).label("reserved"),
            StockLevel.allowance,
            func.coalesce(StockLevel.safety_stock, LocationStockSettings.safety_stock, 0).label(
                "safety"
            ),
        )
        .outerjoin(
            LocationStockSettings, LocationStockSettings.location_id == StockLevel.location_id
        )
        .outerjoin(
            overdue,
            (overdue.c.variant_id == StockLevel.variant_id)
            & (overdue.c.location_id == StockLevel.location_id),
        )
        .where(StockLevel.variant_id.in_(variant_ids))
    )
    if location_ids is not None:
        q = q.where(StockLevel.location_id.in_(location_ids))
    return q


def _levels(
    session: Session,
    variant_ids: Sequence[uuid.UUID],
    location_ids: Sequence[uuid.UUID] | None,
    now: datetime,
) -> dict[uuid.UUID, list[LevelView]]:
    """The levels of these variants (at these locations), one query."""
    out: dict[uuid.UUID, list[LevelView]] = defaultdict(list)
    for v, loc, on_hand, reserved, allowance, safety in session.execute(
        _level_query(variant_ids, location_ids, now)
    ):
        out[v].append(LevelView(loc, on_hand, int(reserved), allowance, int(safety)))
    return out


@dataclass(frozen=True, slots=True)
class Totals:
    atp: int
    orderable: int
    unlimited: bool


def _totals(
    session: Session,
    variant_ids: Sequence[uuid.UUID],
    location_ids: Sequence[uuid.UUID],
    now: datetime,
) -> dict[uuid.UUID, Totals]:
    """Per-variant sums over the locations, computed by the database: one row per
    variant comes back instead of one per level (the hot read of storefronts)."""
    lv = _level_query(variant_ids, location_ids, now).subquery()
    free = lv.c.on_hand - lv.c.reserved - lv.c.safety
    backorderable = free + lv.c.allowance
    q = select(
        lv.c.variant_id,
        func.sum(case((free > 0, free), else_=0)),
        func.sum(case((backorderable > 0, backorderable), else_=0)),
        func.max(lv.c.allowance),
    ).group_by(lv.c.variant_id)
    return {
        v: Totals(int(atp), int(orderable), int(top) >= UNLIMITED)
        for v, atp, orderable, top in session.execute(q)
    }


def _policies(session: Session, variant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, date | None]:
    rows = session.execute(
        select(StockPolicy.variant_id, StockPolicy.preorder_until).where(
            StockPolicy.variant_id.in_(variant_ids), StockPolicy.backorder.is_(True)
        )
    )
    return {r.variant_id: r.preorder_until for r in rows}


def _summarise(
    variant_id: uuid.UUID,
    totals: Totals,
    channel: ChannelStock,
    backorder: dict[uuid.UUID, date | None],
    locations: list[dict[str, Any]],
) -> VariantAvailability:
    buffer = {"percent": channel.buffer_percent, "reserve": channel.buffer_units}
    atp = apply_buffer(totals.atp, **buffer)
    orderable = None if totals.unlimited else apply_buffer(totals.orderable, **buffer)
    preorder_until = backorder.get(variant_id)
    if atp > 0:
        status = "in_stock"
    elif variant_id in backorder and (orderable is None or orderable > 0):
        status = "preorder" if preorder_until is not None else "backorder"
    else:
        status = "out_of_stock"
    return VariantAvailability(variant_id, atp, orderable, status, preorder_until, locations)


def _totals_of(views: list[LevelView]) -> Totals:
    return Totals(
        sum(v.atp for v in views),
        sum(v.orderable for v in views),
        any(v.allowance >= UNLIMITED for v in views),
    )


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
    backorder = _policies(session, ids)
    if not with_locations:
        totals = _totals(session, ids, channel.sell_from, now)
        return [_summarise(v, totals.get(v, _NONE), channel, backorder, []) for v in ids]
    levels = _levels(session, ids, channel.sell_from, now)
    return [
        _summarise(
            v,
            _totals_of(levels.get(v, [])),
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
    from omnichannel.inventory.transfers import in_transit
    from omnichannel.locations import service as locations
    from omnichannel.locations.rules import is_open

    now = now or utcnow()
    if not channel.pickup_at:
        return []
    stores = locations.get_locations(session, location_ids=channel.pickup_at)
    levels = {
        v.location_id: v
        for v in _levels(session, [variant_id], channel.pickup_at, now).get(variant_id, [])
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


def project(
    session: Session,
    *,
    channels: Iterable[ChannelStock],
    limit: int = 500,
    now: datetime | None = None,
) -> int:
    """Take up to `limit` dirty variants, recompute their ATP for every channel, and
    record `inventory.availability_changed` where it moved. Returns events written."""
    now = now or utcnow()
    claim = select(AvailabilityDirty.variant_id).order_by(AvailabilityDirty.variant_id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        claim = claim.with_for_update(skip_locked=True)
    variant_ids = list(session.scalars(claim))
    if not variant_ids:
        return 0
    session.execute(delete(AvailabilityDirty).where(AvailabilityDirty.variant_id.in_(variant_ids)))
    channels = list(channels)
    levels = _levels(session, variant_ids, None, now)
    backorder = _policies(session, variant_ids)
    published = {
        (r.channel_id, r.variant_id): r
        for r in session.scalars(
            select(ChannelAvailability).where(ChannelAvailability.variant_id.in_(variant_ids))
        )
    }
    events = []
    for ch in channels:
        sell_from = set(ch.sell_from)
        for v in variant_ids:
            views = [x for x in levels.get(v, []) if x.location_id in sell_from]
            atp = _summarise(v, _totals_of(views), ch, backorder, []).available
            row = published.get((ch.id, v))
            if row is None:
                if atp == 0 and not views:
                    continue  # never stocked for this channel: nothing to announce
                row = ChannelAvailability(
                    channel_id=ch.id, variant_id=v, available=atp, version=1, updated_at=now
                )
                session.add(row)
            elif row.available == atp:
                continue
            else:
                row.available, row.version, row.updated_at = atp, row.version + 1, now
            events.append(
                {
                    "aggregate_type": "channel_availability",
                    "aggregate_id": f"{ch.code}:{v}",
                    "sequence": row.version,
                    "type": "inventory.availability_changed",
                    "payload": {"channel": ch.code, "variant_id": str(v), "available": atp},
                }
            )
    session.flush()
    record_events(session, events)
    return len(events)
