"""Outbox consumers: a name, a handler and the event types it wants.

Two kinds of handler:

- `handle(session, events)` works *in the database*: it gets a batch and a Session
  whose transaction also advances the consumer's position, so what it writes and
  the position commit together (effectively once). It may return counts for the
  worker's log. If it raises, nothing of the batch counts.
- `call_out(events)` works *outside*: it gets a batch with no transaction open
  (promise 8: webhooks, brokers, feeds), and answers, per event, whether it was
  delivered. The position then advances past the delivered head of the batch in a
  short transaction; the first event not delivered is retried.

Either way delivery is at least once and in order per aggregate: a failure holds
the consumer's shard at that event, retried with exponential backoff (capped),
until the last try parks it (`parked_events`) and the consumer moves on.
Consumers are registered by `omnichannel.schedule.install()`:

    consumers.register(Consumer(name="loyalty.earn", handle=earn, types={"order.completed"}))
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Event:
    """One outbox row, as a consumer receives it."""

    position: int
    event_id: uuid.UUID
    aggregate_type: str
    aggregate_id: str
    sequence: int
    type: str
    payload: dict[str, Any]
    actor: str | None
    occurred_at: datetime


InDatabase = Callable[[Session, Sequence[Event]], Mapping[str, int] | None]
CallOut = Callable[[Sequence[Event]], Sequence[bool]]


@dataclass(frozen=True, slots=True)
class Consumer:
    """Give exactly one of `handle` (in the database) and `call_out` (outside it)."""

    name: str
    handle: InDatabase | None = None
    call_out: CallOut | None = None
    types: frozenset[str] | None = None  # None: every event
    batch: int = 200
    max_attempts: int = 8  # the last try parks the event
    backoff: timedelta = timedelta(seconds=1)  # after the first failure; doubles
    max_backoff: timedelta = timedelta(minutes=5)
    # How long a worker holds a shard (a call out must finish within it).
    lease: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        if (self.handle is None) == (self.call_out is None):
            raise ValueError(f"consumer {self.name}: give exactly one of handle= and call_out=")
        if self.max_attempts < 1 or self.batch < 1:
            raise ValueError(f"consumer {self.name}: max_attempts and batch are at least 1")

    def wants(self, event: Event) -> bool:
        return self.types is None or event.type in self.types

    def retry_delay(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th failure of one event."""
        delay: timedelta = self.backoff * 2 ** max(attempts - 1, 0)
        return min(self.max_backoff, delay)


_registry: dict[str, Consumer] = {}


def register(consumer: Consumer) -> None:
    """Add a consumer (one of the same name is replaced: registering again is harmless)."""
    _registry[consumer.name] = consumer


def registered() -> list[Consumer]:
    """Every registered consumer, in registration order."""
    return list(_registry.values())


def get(name: str) -> Consumer | None:
    return _registry.get(name)
