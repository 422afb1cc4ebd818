"""Outbox consumers: at least once, in order per aggregate, retried, parked, replayed."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from omnichannel.db import Database, OutboxEvent, record_event, unit_of_work
from omnichannel.events import service
from omnichannel.events.consumers import Consumer, Event
from omnichannel.events.relay import deliver
from omnichannel.events.status import prune
from tests.integration.events.conftest import Clock, Seen, drain, write_events


def _interleaved(aggregates: int, each: int) -> list[tuple[str, int]]:
    return [(f"agg-{i % aggregates}", i // aggregates + 1) for i in range(aggregates * each)]


def _in_order(seen: Seen) -> bool:
    return all(seqs == sorted(seqs) for seqs in seen.sequences_by_aggregate().values())


def test_a_handler_that_fails_twice_then_succeeds_sees_each_event_once_in_order(
    committing_db: Database, clock: Clock, seen: Seen
) -> None:
    write_events(committing_db, _interleaved(3, 4))
    calls = [0]

    def handle(session: Session, events: Sequence[Event]) -> None:
        calls[0] += 1
        if calls[0] <= 2:
            raise RuntimeError("the receiving side is down")
        seen.after_commit(session, "w", events)

    consumer = Consumer(name="test.flaky", handle=handle)
    drain(lambda: deliver(committing_db, consumer, worker="w", clock=clock), clock)
    assert len(seen.ids()) == 12
    assert len(set(seen.ids())) == 12
    assert _in_order(seen)
    assert calls[0] > 2


def test_a_handler_failing_past_its_last_try_parks_the_event_and_the_consumer_moves_on(
    committing_db: Database, clock: Clock, seen: Seen
) -> None:
    write_events(committing_db, [("a", 1), ("a", 2), ("b", 1)])

    def handle(session: Session, events: Sequence[Event]) -> None:
        if any((e.aggregate_id, e.sequence) == ("a", 1) for e in events):
            raise ValueError("cannot handle a#1")
        seen.after_commit(session, "first", events)

    picky = Consumer(name="test.picky", handle=handle, max_attempts=3)
    drain(lambda: deliver(committing_db, picky, worker="w", clock=clock), clock)
    assert sorted((e.aggregate_id, e.sequence) for _, e in seen.events) == [("a", 2), ("b", 1)]
    with unit_of_work(committing_db, read_only=True) as s:
        [parked] = service.parked_events(s, consumer="test.picky")
    assert (parked.attempts, parked.event_type) == (3, "thing.changed")
    assert "cannot handle a#1" in parked.last_error

    # Staff fix the cause and replay: the consumer delivers it on its next run, once.
    fixed = Consumer(name="test.picky", handle=lambda s, ev: seen.after_commit(s, "replay", ev))
    with unit_of_work(committing_db, actor="test") as s:
        service.replay(s, parked_id=parked.id)
    assert deliver(committing_db, fixed, worker="w", clock=clock).replayed == 1
    assert deliver(committing_db, fixed, worker="w", clock=clock).replayed == 0
    assert [(w, e.aggregate_id, e.sequence) for w, e in seen.events if w == "replay"] == [
        ("replay", "a", 1)
    ]
    with unit_of_work(committing_db, read_only=True) as s:
        assert service.parked_events(s, consumer="test.picky") == []
        [done] = service.parked_events(s, consumer="test.picky", include_replayed=True)
    assert done.replayed_at is not None


def test_a_call_out_handler_runs_with_no_transaction_open_and_only_failures_are_retried(
    committing_db: Database, clock: Clock
) -> None:
    write_events(committing_db, [("a", 1), ("b", 1), ("c", 1)])
    sent: list[str] = []
    refused_once: set[str] = set()

    def call_out(events: Sequence[Event]) -> list[bool]:
        assert committing_db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        answers = []
        for e in events:
            sent.append(e.aggregate_id)
            refused = e.aggregate_id == "b" and "b" not in refused_once
            refused_once.add(e.aggregate_id) if refused else None
            answers.append(not refused)
        return answers

    webhook = Consumer(name="test.webhook", call_out=call_out)
    drain(lambda: deliver(committing_db, webhook, worker="w", clock=clock), clock, rounds=5)
    assert sorted(sent) == ["a", "b", "b", "c"]
    with unit_of_work(committing_db, read_only=True) as s:
        [status] = service.consumer_status(s, [webhook])
    assert (status.backlog, status.parked) == (0, 0)


def test_retention_prunes_only_events_every_consumer_has_passed(
    committing_db: Database, clock: Clock, seen: Seen
) -> None:
    write_events(committing_db, [("a", 1), ("a", 2), ("b", 1), ("z", 1)])
    everything = Consumer(name="test.all", handle=lambda s, ev: None)
    refuses_b = Consumer(
        name="test.no-b",
        handle=lambda s, ev: _refuse(ev, "b"),
        max_attempts=1,
    )
    names = [everything.name, refuses_b.name]
    far_future = clock.now.replace(year=clock.now.year + 1)

    def pruned(before: object = far_future) -> int:
        with unit_of_work(committing_db, actor="test") as s:
            return prune(s, consumers=names, before=before)  # type: ignore[arg-type]

    drain(lambda: deliver(committing_db, everything, worker="w", clock=clock), clock, rounds=2)
    assert pruned() == 0  # the second consumer has not seen any yet
    drain(lambda: deliver(committing_db, refuses_b, worker="w", clock=clock), clock, rounds=3)
    assert pruned(clock.now.replace(year=2000)) == 0  # none is old enough
    # a#1 and a#2 go; b#1 is parked for one consumer; z#1 is the newest and stays.
    assert pruned() == 2
    with unit_of_work(committing_db, read_only=True) as s:
        left = s.execute(select(OutboxEvent.aggregate_id).order_by(OutboxEvent.position)).all()
    assert [r[0] for r in left] == ["b", "z"]


def _refuse(events: Sequence[Event], aggregate_id: str) -> None:
    if any(e.aggregate_id == aggregate_id for e in events):
        raise RuntimeError(f"refusing {aggregate_id}")


# --- PostgreSQL: concurrent writers, concurrent workers -------------------------------------


def test_a_later_position_that_commits_first_loses_nothing(
    postgres_only: Database, clock: Clock, seen: Seen
) -> None:
    db = postgres_only
    consumer = Consumer(name="test.commits", handle=lambda s, ev: seen.after_commit(s, "w", ev))
    first = db.session()
    try:
        record_event(
            first, aggregate_type="thing", aggregate_id="x", sequence=1, type="t", payload={}
        )
        with unit_of_work(db, actor="test") as later:  # a later position, committed first
            record_event(
                later, aggregate_type="thing", aggregate_id="y", sequence=1, type="t", payload={}
            )
        deliver(db, consumer, worker="w", clock=clock)
        assert [e.aggregate_id for _, e in seen.events] == ["y"]
        first.commit()
    finally:
        first.close()
    deliver(db, consumer, worker="w", clock=clock)
    deliver(db, consumer, worker="w", clock=clock)
    assert [e.aggregate_id for _, e in seen.events] == ["y", "x"]


def test_an_aggregates_events_arrive_in_order_when_the_later_writer_began_first(
    postgres_only: Database, clock: Clock, seen: Seen
) -> None:
    db = postgres_only
    consumer = Consumer(name="test.aggregate", handle=lambda s, ev: seen.after_commit(s, "w", ev))
    second = db.session()
    try:
        second.execute(text("SELECT pg_current_xact_id()"))  # the older transaction id
        with unit_of_work(db, actor="test") as first:
            record_event(
                first, aggregate_type="thing", aggregate_id="x", sequence=1, type="t", payload={}
            )
        deliver(db, consumer, worker="w", clock=clock)
        record_event(
            second, aggregate_type="thing", aggregate_id="x", sequence=2, type="t", payload={}
        )
        second.commit()
    finally:
        second.close()
    deliver(db, consumer, worker="w", clock=clock)
    assert [e.sequence for _, e in seen.events] == [1, 2]


def test_two_workers_share_a_burst_without_delivering_an_event_twice(
    committing_db: Database, seen: Seen
) -> None:
    write_events(committing_db, _interleaved(50, 10))

    def handle(session: Session, events: Sequence[Event]) -> None:
        seen.after_commit(session, threading.current_thread().name, events)

    consumer = Consumer(name="test.burst", handle=handle, batch=20)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            for _ in range(200):
                deliver(
                    committing_db, consumer, worker=threading.current_thread().name, max_batches=3
                )
                if len(seen.events) >= 500:
                    return
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, name=f"worker-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(seen.ids()) == 500
    assert len(set(seen.ids())) == 500
    assert _in_order(seen)
    if committing_db.backend == "postgresql":  # SQLite: one writer at a time
        assert {w for w, _ in seen.events} == {"worker-0", "worker-1"}
    with unit_of_work(committing_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 500
        [status] = service.consumer_status(s, [consumer])
    assert status.backlog == 0
