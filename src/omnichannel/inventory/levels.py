"""Stock levels as availability reads them: one query for the levels of many variants
(at some locations), overdue holds already given back, and their sums.

Apart from `availability.py` so that the reservation's check of a channel's buffer
(`buffers.py`) reads the same figures without importing what availability needs
besides (transfers in transit, which import the reservations).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from omnichannel.channels.rules import LocationRole
from omnichannel.db.idlist import any_id, id_list
from omnichannel.db.types import UTCDateTime
from omnichannel.inventory.expiry import expired_holds_filter
from omnichannel.inventory.models import LocationStockSettings, Reservation, StockLevel
from omnichannel.inventory.rules import UNLIMITED, location_atp


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
    return ChannelStock(
        id=channel.id,
        code=channel.code,
        sell_from=tuple(channel.location_ids(LocationRole.SELL_FROM)),
        pickup_at=tuple(channel.location_ids(LocationRole.PICKUP)),
        buffer_percent=channel.buffer_percent,
        buffer_units=channel.buffer_units,
    )


def dialect_of(session: Session) -> Dialect:
    return session.get_bind().dialect


@lru_cache(maxsize=8)
def level_query(
    dialect: str, at_locations: bool
) -> Select[uuid.UUID, uuid.UUID, int, int, int, int]:
    """The levels of `:ids` (at `:locs`), with effective safety stock and the holds
    overdue at `:now` subtracted from `reserved`. Built once per dialect: the ids are
    one bound value each, so the statement is the same whatever is asked."""
    ids, now = id_list("ids"), bindparam("now", type_=UTCDateTime())
    overdue = (
        select(
            Reservation.variant_id,
            Reservation.location_id,
            func.sum(Reservation.quantity).label("qty"),
        )
        .where(expired_holds_filter(now), any_id(dialect, Reservation.variant_id, ids))
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
        .where(any_id(dialect, StockLevel.variant_id, ids))
    )
    if at_locations:
        q = q.where(any_id(dialect, StockLevel.location_id, id_list("locs")))
    return q


def level_params(
    variant_ids: Sequence[uuid.UUID], location_ids: Sequence[uuid.UUID] | None, now: datetime
) -> dict[str, Any]:
    params: dict[str, Any] = {"ids": list(variant_ids), "now": now}
    if location_ids is not None:
        params["locs"] = list(location_ids)
    return params


def levels_by_variant(
    session: Session,
    variant_ids: Sequence[uuid.UUID],
    location_ids: Sequence[uuid.UUID] | None,
    now: datetime,
) -> dict[uuid.UUID, list[LevelView]]:
    """The levels of these variants (at these locations), one query."""
    out: dict[uuid.UUID, list[LevelView]] = defaultdict(list)
    q = level_query(dialect_of(session).name, location_ids is not None)
    for v, loc, on_hand, reserved, allowance, safety in session.execute(
        q, level_params(variant_ids, location_ids, now)
    ):
        out[v].append(LevelView(loc, on_hand, int(reserved), allowance, int(safety)))
    return out


@dataclass(frozen=True, slots=True)
class Totals:
    atp: int
    orderable: int
    unlimited: bool


def totals_of(views: list[LevelView]) -> Totals:
    return Totals(
        sum(v.atp for v in views),
        sum(v.orderable for v in views),
        any(v.allowance >= UNLIMITED for v in views),
    )
