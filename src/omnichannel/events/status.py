"""How far behind each consumer is, and pruning what every consumer has passed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from omnichannel.events.consumers import Consumer
from omnichannel.events.cursors import NOTHING, cursors, outbox, parked, pending_condition

PRUNE_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ShardStatus:
    shard: int
    position: int
    delivered: int
    backlog: int
    oldest_at: datetime | None  # the oldest event not yet delivered
    attempts: int
    retry_at: datetime | None
    last_error: str | None
    leased_by: str | None
    leased_until: datetime | None


@dataclass(frozen=True, slots=True)
class ConsumerStatus:
    name: str
    types: list[str] | None
    shards: list[ShardStatus]
    parked: int

    @property
    def backlog(self) -> int:
        return sum(s.backlog for s in self.shards)

    @property
    def oldest_at(self) -> datetime | None:
        return min((s.oldest_at for s in self.shards if s.oldest_at), default=None)

    @property
    def position(self) -> int:
        return min((s.position for s in self.shards), default=0)

    def holders(self, now: datetime) -> list[str]:
        return sorted(
            {
                s.leased_by
                for s in self.shards
                if s.leased_by and s.leased_until and s.leased_until > now
            }
        )


def consumer_status(session: Session, consumers: Sequence[Consumer]) -> list[ConsumerStatus]:
    """Each consumer's shards with their backlog (one query per consumer)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    parked_counts: dict[str, int] = {
        r[0]: r[1]
        for r in session.execute(
            select(parked.c.consumer, func.count())
            .where(parked.c.replayed_at.is_(None))
            .group_by(parked.c.consumer)
        )
    }
    out = []
    for consumer in consumers:
        joined = pending_condition(postgres)
        if consumer.types is not None:
            joined = and_(joined, outbox.c.type.in_(sorted(consumer.types)))
        cols = (
            cursors.c.shard,
            cursors.c.position,
            cursors.c.delivered,
            cursors.c.attempts,
            cursors.c.retry_at,
            cursors.c.last_error,
            cursors.c.leased_by,
            cursors.c.leased_until,
        )
        rows = session.execute(
            select(*cols, func.count(outbox.c.position), func.min(outbox.c.occurred_at))
            .select_from(cursors.outerjoin(outbox, joined))
            .where(cursors.c.consumer == consumer.name)
            .group_by(*cols)
            .order_by(cursors.c.shard)
        ).all()
        shards = [
            ShardStatus(
                shard=r.shard,
                position=r.position,
                delivered=r.delivered,
                backlog=r[8],
                oldest_at=r[9],
                attempts=r.attempts,
                retry_at=r.retry_at,
                last_error=r.last_error if r.attempts else None,
                leased_by=r.leased_by,
                leased_until=r.leased_until,
            )
            for r in rows
        ]
        types = sorted(consumer.types) if consumer.types is not None else None
        out.append(
            ConsumerStatus(consumer.name, types, shards, parked_counts.get(consumer.name, 0))
        )
    return out


# An event every named consumer's cursor is past (PostgreSQL: seen by its `low`).
_PASSED_SQLITE = "outbox.position <= c.position"
_PASSED_POSTGRES = (
    "(outbox.txid < c.low_xmin OR pg_visible_in_snapshot(CAST(CAST(outbox.txid AS text) AS xid8), "
    f"CAST(COALESCE(c.low, '{NOTHING}') AS pg_snapshot)))"
)


def prune(
    session: Session,
    *,
    consumers: Sequence[str],
    before: datetime,
    batch: int = PRUNE_BATCH,
) -> int:
    """Delete up to `batch` events older than `before` that every consumer has passed
    and none holds parked; how many went. The newest event always stays (SQLite
    would hand its position out again)."""
    passed = _PASSED_POSTGRES if session.get_bind().dialect.name == "postgresql" else _PASSED_SQLITE
    everyone = text(
        "(SELECT count(*) FROM event_cursors c WHERE c.consumer IN :names "  # noqa: S608
        f"AND c.shard = outbox.shard AND {passed}) = :n"
    ).bindparams(bindparam("names", expanding=True))
    # Uncorrelated: the DELETE's own `outbox` must not leak into these subqueries.
    newest = select(func.max(outbox.c.position)).correlate(None).scalar_subquery()
    held = select(parked.c.position).where(parked.c.replayed_at.is_(None))
    oldest = (
        select(outbox.c.position)
        .where(
            outbox.c.occurred_at < before,
            outbox.c.position < newest,
            outbox.c.position.not_in(held),
            everyone,
        )
        .order_by(outbox.c.position)
        .limit(batch)
        .correlate(None)
    )
    result = session.execute(
        delete(outbox).where(outbox.c.position.in_(oldest)),
        {"names": list(consumers) or [""], "n": len(consumers)},
    )
    return int(getattr(result, "rowcount", 0) or 0)
