"""Database layer: declarative base, engine, unit of work, outbox."""

from omnichannel.db.base import Base, TimestampMixin, VersionedMixin
from omnichannel.db.engine import backend_name, make_engine
from omnichannel.db.outbox import (
    SHARDS,
    OutboxEvent,
    batched,
    record_event,
    record_events,
    shard_of,
)
from omnichannel.db.session import Database, DatabaseBusy, unit_of_work

__all__ = [
    "SHARDS",
    "Base",
    "Database",
    "DatabaseBusy",
    "OutboxEvent",
    "TimestampMixin",
    "VersionedMixin",
    "backend_name",
    "batched",
    "make_engine",
    "record_event",
    "record_events",
    "shard_of",
    "unit_of_work",
]
