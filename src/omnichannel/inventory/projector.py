"""The availability projector: publishes `inventory.availability_changed`.

Every change of a level's ATP records `inventory.level_changed` in its own
transaction; the projector, an outbox consumer run by `omni worker`
(`inventory/jobs.py`), takes a batch of those events, recomputes the ATP of their
variants per channel, and writes an event only where the number changed. A hot
variant taking hundreds of reservations a second thus yields one event per channel
per batch, not one per reservation, and reservations never queue on a per-channel
counter row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.db import record_events
from omnichannel.db.idlist import any_id
from omnichannel.inventory.availability import backorder_policies, summarise
from omnichannel.inventory.levels import ChannelStock, dialect_of, levels_by_variant, totals_of
from omnichannel.inventory.models import ChannelAvailability
from omnichannel.kernel import utcnow


def project(
    session: Session,
    *,
    channels: Iterable[ChannelStock],
    variant_ids: Iterable[uuid.UUID],
    now: datetime | None = None,
) -> int:
    """Recompute the ATP of `variant_ids` for every channel and record
    `inventory.availability_changed` where it moved. Returns events written."""
    now = now or utcnow()
    variant_ids = sorted(set(variant_ids))
    if not variant_ids:
        return 0
    channels = list(channels)
    levels = levels_by_variant(session, variant_ids, None, now)
    backorder = backorder_policies(session, variant_ids)
    published = {
        (r.channel_id, r.variant_id): r
        for r in session.scalars(
            select(ChannelAvailability).where(
                any_id(dialect_of(session), ChannelAvailability.variant_id, variant_ids)
            )
        )
    }
    events = []
    for ch in channels:
        sell_from = set(ch.sell_from)
        for v in variant_ids:
            views = [x for x in levels.get(v, []) if x.location_id in sell_from]
            atp = summarise(v, totals_of(views), ch, backorder, []).available
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
