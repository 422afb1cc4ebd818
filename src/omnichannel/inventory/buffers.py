"""A channel's buffer, kept where stock is taken: a channel never sells more than it is
shown (decision 38).

A marketplace shown 60 % of the stock, or a social shop shown "2 less", is shown a
number (`availability.summarise`); every reservation owned by that channel (checkout,
marketplace import, cart holds, reserve & collect) goes through `reservations.reserve`,
which after taking its lines asks `refuse_beyond_buffer`: the lines of a variant may
not exceed what the channel was shown of it just before the take, computed the same
way over the channel's sell-from locations (safety stock, backorder headroom and
overdue holds included). A refusal is the usual 409 `insufficient_stock`, and the
reservation's own savepoint gives back what it took (`reservations.reserve`). A line
its level cannot cover at all names what the channel can sell too, when that is
less (`in_channel_terms`).

Why after the take: the conditional UPDATE has locked the levels the reservation
took, so the read that follows sees every committed take of those levels and nobody
can take them until this transaction ends. What holds, and what does not:

- A channel selling from one location: exact. Two takes for the channel queue on the
  level's row lock; the second sees the first's units.
- SQLite, any number of locations: exact (one writer at a time for the database).
- PostgreSQL, a channel selling from several locations: the levels this take locked
  are exact, the channel's other locations are read as last committed. Two takes
  racing at *different* locations of the same variant each see the other's location
  before its take, so together they can exceed the channel's figure by what the other
  took; one after the other, never. No level is ever oversold (promise 1 is the
  UPDATE's, whatever the channel). Locking every sell-from level of a variant would
  close this, at the price of a statement per level on every buffered take.

A cart's holds taken over by its order are given back before the order takes its
lines (checkout releases them first), so they are never counted twice.

Channels with no buffer cost nothing here: whether a channel has one is known from the
worker's channel directory (no query once warm), and the check's one read is made
only for buffered channels.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from omnichannel.channels import service as channels
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.levels import (
    ChannelStock,
    LevelView,
    channel_stock,
    levels_by_variant,
    totals_of,
)
from omnichannel.inventory.rules import sellable

if TYPE_CHECKING:  # reservations imports this module
    from omnichannel.inventory.reservations import Line

# Per worker: the channel's stock view, valid while the directory's entry for the
# channel is the very object it was read with. The directory replaces its entries
# whenever any channel changes (a new token), and carries no buffer itself, so the
# buffer is read once per change, not once per take. A few channels per retailer;
# the bound only keeps test runs (thousands of throwaway channels) small.
_known: dict[uuid.UUID, tuple[object, ChannelStock]] = {}
_KEEP = 1024
_lock = threading.Lock()


def buffered_channel(session: Session, channel_id: uuid.UUID | None) -> ChannelStock | None:
    """The channel's stock view if it has a buffer (a share or units kept back), else None."""
    if channel_id is None:
        return None
    info = channels.channel_info(session, channel_id=channel_id)
    if info is None:
        return None
    known = _known.get(channel_id)
    if known is None or known[0] is not info:
        known = (
            info,
            channel_stock(channels.get_channel(session, channel_id=channel_id)),
        )
        with _lock:
            if len(_known) >= _KEEP:
                _known.clear()
            _known[channel_id] = known
    stock = known[1]
    if stock.buffer_percent is None and stock.buffer_units is None:
        return None
    return stock


def shown(
    session: Session,
    *,
    channel: ChannelStock,
    variant_ids: Sequence[uuid.UUID],
    taken: Sequence[Line],
    now: datetime,
) -> dict[uuid.UUID, int | None]:
    """What the channel was shown of each variant before `taken` (taken in this
    transaction) were: the levels read now, with those lines' own units given back."""
    ours = {(ln.variant_id, ln.location_id): ln.quantity for ln in taken}
    levels = levels_by_variant(session, variant_ids, channel.sell_from, now)
    out: dict[uuid.UUID, int | None] = {}
    for variant_id in variant_ids:
        totals = totals_of(
            [
                LevelView(
                    v.location_id,
                    v.on_hand,
                    v.reserved - ours.get((variant_id, v.location_id), 0),
                    v.allowance,
                    v.safety_stock,
                )
                for v in levels.get(variant_id, [])
            ]
        )
        out[variant_id] = sellable(
            totals.orderable,
            unlimited=totals.unlimited,
            percent=channel.buffer_percent,
            reserve=channel.buffer_units,
        )
    return out


def refuse_beyond_buffer(
    session: Session, *, channel: ChannelStock, taken: Sequence[Line], now: datetime
) -> None:
    """After `taken` (merged, in lock order) were taken for `channel`: 409 naming the
    first line of a variant the channel was shown fewer units of than it took."""
    wanted = _wanted(channel, taken)
    if not wanted:
        return
    limits = shown(session, channel=channel, variant_ids=list(wanted), taken=taken, now=now)
    for index, line in enumerate(taken):
        limit = limits.get(line.variant_id) if line.location_id in channel.sell_from else None
        if limit is not None and wanted[line.variant_id] > limit:
            raise _beyond(channel, index, line, wanted[line.variant_id], limit)


def in_channel_terms(
    session: Session,
    *,
    channel: ChannelStock | None,
    refusal: Exception,
    lines: Sequence[Line],
    now: datetime,
) -> Exception:
    """The last of `lines` refused by its level (the ones before it taken), told as what
    a buffered channel can still sell when that is less than the level has."""
    *taken, line = lines
    if channel is None or line.location_id not in channel.sell_from:
        return refusal
    if not isinstance(refusal, InsufficientStock):
        return refusal  # an unknown variant or location
    v = line.variant_id
    limit = shown(session, channel=channel, variant_ids=[v], taken=taken, now=now)[v]
    if limit is None or limit >= refusal.extra["available"]:
        return refusal
    return _beyond(channel, len(taken), line, _wanted(channel, lines)[v], limit)


def _wanted(channel: ChannelStock, lines: Sequence[Line]) -> dict[uuid.UUID, int]:
    """Units per variant at the channel's sell-from locations (a pickup-only store is
    not in its figure)."""
    wanted: dict[uuid.UUID, int] = defaultdict(int)
    for line in lines:
        if line.location_id in channel.sell_from:
            wanted[line.variant_id] += line.quantity
    return wanted


def _beyond(
    channel: ChannelStock, index: int, line: Line, wanted: int, limit: int
) -> InsufficientStock:
    return InsufficientStock(
        f"Channel {channel.code} can sell only {limit} of variant {line.variant_id} "
        f"(its buffer kept); {wanted} requested. Nothing was reserved.",
        errors=[
            {
                "field": f"lines.{index}.quantity",
                "message": f"only {limit} available to this channel",
                "type": "insufficient_stock",
            }
        ],
        variant_id=str(line.variant_id),
        location_id=str(line.location_id),
        requested=wanted,
        available=limit,
        channel=channel.code,
    )
