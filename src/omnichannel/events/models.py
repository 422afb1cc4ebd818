"""Where each outbox consumer stands, and the events it gave up on."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnichannel.db.base import Base
from omnichannel.db.types import BigIntPK
from omnichannel.kernel import utcnow


class EventCursor(Base):
    """One consumer's position in one shard of the outbox, and who holds it.

    SQLite: `position` is the last delivered outbox position (one writer at a time
    makes position order the commit order). PostgreSQL: everything visible in the
    snapshot `low` is delivered; the slice being delivered is what `high` sees and
    `low` does not, in position order, delivered up to `position` (decisions 26).
    """

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    low: Mapped[str | None] = mapped_column(String(2000))  # pg_snapshot as text
    low_xmin: Mapped[int] = mapped_column(BigInteger, default=0)  # of `low`, for the index
    high: Mapped[str | None] = mapped_column(String(2000))
    high_xmax: Mapped[int] = mapped_column(BigInteger, default=0)
    # Failed tries of the event at the head; a retry waits until retry_at.
    attempts: Mapped[int] = mapped_column(default=0)
    retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    leased_by: Mapped[str | None] = mapped_column(String(128))
    leased_until: Mapped[datetime | None]
    delivered: Mapped[int] = mapped_column(BigInteger, default=0)  # events passed, in total
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ParkedEvent(Base):
    """An event a consumer failed to handle on its last try and stepped over.

    The outbox row is kept while its event is parked; staff replay it (the consumer
    delivers it again on its next run, out of its place in the order)."""

    __tablename__ = "parked_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int]
    last_error: Mapped[str] = mapped_column(Text)
    parked_at: Mapped[datetime] = mapped_column(default=utcnow)
    replay_requested_at: Mapped[datetime | None]
    replayed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("consumer", "position"),
        Index("ix_parked_events_position", "position"),
    )
