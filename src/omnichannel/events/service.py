"""Events use cases for the entrypoints: consumers' backlog, parked events, replay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from omnichannel.events import consumers
from omnichannel.events.models import ParkedEvent
from omnichannel.events.parked import AlreadyReplayed, request_replay
from omnichannel.events.parked import list_parked as parked_events
from omnichannel.events.status import ConsumerStatus, ShardStatus, consumer_status
from omnichannel.kernel import NotFound, utcnow


def status(session: Session, *, consumer: str | None = None) -> list[ConsumerStatus]:
    """Every registered consumer's shards, backlog and parked count (or one's)."""
    chosen = consumers.registered()
    if consumer is not None:
        chosen = [c for c in chosen if c.name == consumer]
        if not chosen:
            raise NotFound(f"No consumer is called {consumer!r}.")
    return consumer_status(session, chosen)


def replay(session: Session, *, parked_id: int, now: datetime | None = None) -> ParkedEvent:
    """Ask for a parked event to be delivered again (by the consumer's next run)."""
    return request_replay(session, parked_id=parked_id, now=now or utcnow())


__all__ = [
    "AlreadyReplayed",
    "ConsumerStatus",
    "ShardStatus",
    "parked_events",
    "replay",
    "status",
]
