"""The transactional outbox: every event is a row written in the same transaction as
the change it reports, so either both exist or neither does (promise 5). Delivery
reads this table; nothing publishes directly.

Each row carries its shard (`shard_of`, computed here, in the writer's own INSERT)
and, on PostgreSQL, the id of the transaction that wrote it (a server default):
outbox consumers (`omnichannel.events`) keep one cursor per shard and use the
transaction id to read only what has committed, in commit order (decisions 26).
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, SmallInteger, String, Table, UniqueConstraint, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from omnichannel.db.base import Base
from omnichannel.db.bulk import insert_rows
from omnichannel.db.types import BigIntPK, JSONDoc
from omnichannel.kernel import new_id, utcnow

# Fixed for the life of the data: a row's shard is stored, and consumers keep one
# cursor per shard. Enough for a few workers to share a consumer's work.
SHARDS = 16


def shard_of(aggregate_type: str, aggregate_id: str) -> int:
    """The shard of an aggregate's events: a stable hash of its type and owner.

    An aggregate id of the form `owner:part` shards by its owner (a stock level is
    `variant:location`), so every level of a variant lands in one shard and the
    availability projector recomputes a variant in one place at a time.
    """
    owner = aggregate_id.partition(":")[0]
    return zlib.crc32(f"{aggregate_type}:{owner}".encode()) % SHARDS


class OutboxEvent(Base):
    __tablename__ = "outbox"

    # Global, gap-tolerant delivery order; event_id is the public identity.
    position: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    aggregate_type: Mapped[str] = mapped_column(String(64))
    aggregate_id: Mapped[str] = mapped_column(String(128))
    sequence: Mapped[int]
    type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    actor: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime]
    shard: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    # PostgreSQL: the writing transaction's id, filled by a server default
    # (pg_current_xact_id(), set in the migration); NULL on SQLite, whose one writer
    # at a time makes position order the commit order.
    txid: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # Two writers of one aggregate cannot both claim sequence N: one fails.
        UniqueConstraint("aggregate_type", "aggregate_id", "sequence"),
        # A consumer reads one shard: by transaction id on PostgreSQL, by position on
        # SQLite (txid IS NULL there).
        Index("ix_outbox_shard", "shard", "txid", "position"),
    )


# Core table insert: the ORM's bulk-insert path costs ~0.2 ms per call on hot paths.
_outbox: Table = OutboxEvent.__table__  # type: ignore[assignment]

# session.info key of the open `batched` block's rows
_BATCH = "omni_outbox_batch"


def record_event(
    session: Session,
    *,
    aggregate_type: str,
    aggregate_id: uuid.UUID | str,
    sequence: int,
    type: str,
    payload: dict[str, Any],
) -> uuid.UUID:
    """Record one event in the current transaction; returns its event id.

    `sequence` is the aggregate's version after the change, so events of one
    aggregate are totally ordered. The actor (staff user or channel) comes from the
    session, set by the entrypoint that owns the transaction. Inside `batched`, the
    row waits for the batch's one INSERT.
    """
    event_id = new_id()
    aggregate_id = str(aggregate_id)
    row = {
        "event_id": event_id,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "sequence": sequence,
        "type": type,
        "payload": payload,
        "actor": session.info.get("actor"),
        "occurred_at": utcnow(),
        "shard": shard_of(aggregate_type, aggregate_id),
    }
    batch = session.info.get(_BATCH)
    if batch is not None:
        batch.append(row)
    else:
        session.execute(insert(_outbox), [row])
    return event_id


@contextmanager
def batched(session: Session) -> Iterator[None]:
    """Write the events recorded in the block with one multi-row INSERT at its end.

    For use cases that record several events in one transaction (checkout records
    four); a block that raises writes none of them, and its transaction rolls back.
    Nested blocks join the outer one.
    """
    if _BATCH in session.info:
        yield
        return
    rows: list[dict[str, Any]] = []
    session.info[_BATCH] = rows
    try:
        yield
    finally:
        del session.info[_BATCH]
    if rows:
        insert_rows(session, _outbox, rows)


def record_events(session: Session, events: list[dict[str, Any]]) -> None:
    """Record many events with one multi-row INSERT (bulk imports), or into the open
    `batched` block.

    Each dict has the keyword arguments of `record_event`.
    """
    if not events:
        return
    actor = session.info.get("actor")
    now = utcnow()
    rows = []
    for e in events:
        aggregate_id = str(e["aggregate_id"])
        rows.append(
            {
                "event_id": new_id(),
                "aggregate_type": e["aggregate_type"],
                "aggregate_id": aggregate_id,
                "sequence": e["sequence"],
                "type": e["type"],
                "payload": e["payload"],
                "actor": actor,
                "occurred_at": now,
                "shard": shard_of(e["aggregate_type"], aggregate_id),
            }
        )
    batch = session.info.get(_BATCH)
    if batch is not None:
        batch.extend(rows)
    else:
        insert_rows(session, _outbox, rows)
