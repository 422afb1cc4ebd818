"""Helpers for consumer tests: events written with real commits, handlers that remember
what they were given once their transaction committed, and a clock to move."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from omnichannel.db import Database, record_events, unit_of_work
from omnichannel.events.consumers import Event
from omnichannel.kernel import utcnow


def write_events(
    db: Database, pairs: Sequence[tuple[str, int]], type_: str = "thing.changed"
) -> None:
    """Record events (aggregate id, sequence) in one committed transaction."""
    with unit_of_work(db, actor="test") as s:
        record_events(
            s,
            [
                {
                    "aggregate_type": "thing",
                    "aggregate_id": agg,
                    "sequence": seq,
                    "type": type_,
                    "payload": {"n": seq},
                }
                for agg, seq in pairs
            ],
        )


@dataclass
class Seen:
    """What a handler was given, recorded when its transaction commits."""

    events: list[tuple[str, Event]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def after_commit(self, session: Session, worker: str, events: Sequence[Event]) -> None:
        def done(_session: Session) -> None:
            with self.lock:
                self.events.extend((worker, e) for e in events)

        event.listen(session, "after_commit", done, once=True)

    def ids(self) -> list[object]:
        return [e.event_id for _, e in self.events]

    def sequences_by_aggregate(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for _, e in self.events:
            out.setdefault(e.aggregate_id, []).append(e.sequence)
        return out


@dataclass
class Clock:
    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def seen() -> Seen:
    return Seen()


def drain(run: Callable[[], object], clock: Clock, *, rounds: int = 60) -> None:
    """Run a consumer until a round delivers nothing, moving the clock past any retry."""
    for _ in range(rounds):
        run()
        clock.advance(minutes=10)


@pytest.fixture
def postgres_only(committing_db: Database) -> Database:
    if committing_db.backend != "postgresql":
        pytest.skip("concurrent writers and workers: PostgreSQL")
    return committing_db
