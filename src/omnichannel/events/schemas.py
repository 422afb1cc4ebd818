"""Public contract of the events admin endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from omnichannel.events.status import ConsumerStatus, ShardStatus


class ShardRead(BaseModel):
    shard: int
    position: int = Field(
        description="Last outbox position delivered (PostgreSQL: within the slice being read)."
    )
    delivered: int = Field(description="Events this shard's cursor has passed, in total.")
    backlog: int = Field(description="Events of the consumer's types not yet delivered.")
    oldest_undelivered_at: datetime | None
    attempts: int = Field(description="Failed tries of the event at the head; 0 when healthy.")
    retry_at: datetime | None
    last_error: str | None
    leased_by: str | None
    leased_until: datetime | None

    @classmethod
    def of(cls, s: ShardStatus) -> ShardRead:
        return cls(
            shard=s.shard,
            position=s.position,
            delivered=s.delivered,
            backlog=s.backlog,
            oldest_undelivered_at=s.oldest_at,
            attempts=s.attempts,
            retry_at=s.retry_at,
            last_error=s.last_error,
            leased_by=s.leased_by,
            leased_until=s.leased_until,
        )


class ConsumerRead(BaseModel):
    name: str
    types: list[str] | None = Field(description="Event types it handles; null: every type.")
    backlog: int
    oldest_undelivered_at: datetime | None
    oldest_age_seconds: float | None = Field(description="Age of the oldest undelivered event.")
    parked: int = Field(description="Events it gave up on and nobody replayed yet.")
    lease_holders: list[str] = Field(description="Workers holding one of its shards now.")
    shards: list[ShardRead]

    @classmethod
    def of(cls, c: ConsumerStatus, now: datetime) -> ConsumerRead:
        oldest = c.oldest_at
        return cls(
            name=c.name,
            types=c.types,
            backlog=c.backlog,
            oldest_undelivered_at=oldest,
            oldest_age_seconds=(now - oldest).total_seconds() if oldest else None,
            parked=c.parked,
            lease_holders=c.holders(now),
            shards=[ShardRead.of(s) for s in c.shards],
        )


class ParkedRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    consumer: str
    position: int = Field(description="The event's outbox position.")
    event_id: uuid.UUID
    event_type: str
    attempts: int
    last_error: str
    parked_at: datetime
    replay_requested_at: datetime | None = Field(
        description="Set until the consumer's next run delivers it again."
    )
    replayed_at: datetime | None


class ParkedPage(BaseModel):
    items: list[ParkedRead]
    next_cursor: str | None = None
