"""Delivering one consumer's events: the job every worker runs for each consumer.

A run finds the consumer's shards with work (one read), leases each with one
conditional UPDATE (`cursors.claim`; another worker's shard is skipped), and
drains it batch by batch: an in-database handler in one transaction with the
cursor's advance; a call-out handler between a read and a short write, with no
transaction open while it calls. A batch whose handler raises is tried again one
event at a time, so the failing event is the one that waits: with backoff, then
parked on its last try. Replays staff asked for go first.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from omnichannel.db import Database, unit_of_work
from omnichannel.events import cursors, parked
from omnichannel.events.consumers import CallOut, Consumer, Event, InDatabase
from omnichannel.events.cursors import Batch, Cursor, LeaseLost
from omnichannel.kernel import utcnow
from omnichannel.worker.jobs import Job, Outcome, current_worker

MAX_BATCHES = 20  # per run: a backlog drains over several runs
EVERY = timedelta(seconds=1)


@dataclass
class Delivery:
    """What one run of a consumer did."""

    delivered: int = 0  # events passed (handled, or not of the consumer's types)
    retried: int = 0  # failures that will be tried again
    parked: int = 0
    replayed: int = 0
    more: bool = False
    counts: Counter[str] = field(default_factory=Counter)  # what the handler reported

    def outcome(self) -> Outcome:
        counts = {
            "delivered": self.delivered,
            "retried": self.retried,
            "parked": self.parked,
            "replayed": self.replayed,
        }
        return Outcome({k: v for k, v in (counts | dict(self.counts)).items() if v}, self.more)


def job_for(consumer: Consumer, *, every: timedelta = EVERY) -> Job:
    """The worker job that delivers `consumer`'s events: shared by every worker (the
    shard leases split the work)."""

    def run(db: Database) -> Outcome:
        return deliver(db, consumer).outcome()

    return Job(name=f"events:{consumer.name}", run=run, every=every, exclusive=False)


def _no_call_out(events: Sequence[Event]) -> Sequence[bool]:
    raise TypeError("this consumer handles its events in the database")


def _error(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return f"{e.__class__.__name__}: {lines[0] if lines else ''}".rstrip(": ")


class _Run:
    def __init__(
        self, db: Database, consumer: Consumer, worker: str, clock: Callable[[], datetime]
    ) -> None:
        self.db, self.consumer, self.worker, self.clock = db, consumer, worker, clock
        self.name = consumer.name
        self.actor = f"consumer:{consumer.name}"
        self.out = Delivery()
        # Exactly one of the two is set (`Consumer` checks it).
        self.handle: InDatabase | None = consumer.handle
        self.call_out: CallOut = consumer.call_out or _no_call_out

    # --- a shard ---------------------------------------------------------------------

    def drain(self, cursor: Cursor, budget: int) -> int:
        """Deliver from a leased shard until it is empty, fails or `budget` batches
        are spent; gives the lease back. Returns the batches spent."""
        single = cursor.attempts > 0  # a failing event: one at a time until past it
        spent = 0
        held = True
        try:
            while spent < budget:
                spent += 1
                limit = 1 if single else self.consumer.batch
                if self.handle is not None:
                    step = self._in_database(self.handle, cursor, limit)
                else:
                    step = self._calling_out(cursor, limit)
                if step is None:  # a batch failed: find the event, one at a time
                    single = True
                    continue
                cursor, held, go_on = step
                if not go_on:
                    break
            else:
                self.out.more = True
        except LeaseLost:
            held = False
        finally:
            if held:
                self._release(cursor.shard)
        return spent

    def _in_database(
        self, handle: InDatabase, cursor: Cursor, limit: int
    ) -> tuple[Cursor, bool, bool] | None:
        batch: Batch | None = None
        try:
            with unit_of_work(self.db, actor=self.actor) as session:
                batch = cursors.read(session, cursor, limit)
                wanted = [e for e in batch.events if self.consumer.wants(e)]
                counts = handle(session, wanted) if wanted else None
                after = replace(batch.after(len(batch.events)), attempts=0)
                self._save(session, after, passed=len(batch.events), release=batch.short)
        except LeaseLost:
            raise
        except Exception as e:
            if batch is None or not batch.events:
                raise  # reading failed: the database, not the handler
            if limit > 1:
                return None
            return self._failed(batch, 0, _error(e))
        self.out.delivered += len(batch.events)
        self.out.counts.update(counts or {})
        return after, not batch.short, not batch.short

    def _calling_out(self, cursor: Cursor, limit: int) -> tuple[Cursor, bool, bool]:
        with unit_of_work(self.db, read_only=True) as session:
            batch = cursors.read(session, cursor, limit)
        wanted = [e for e in batch.events if self.consumer.wants(e)]
        answers: list[bool] = []
        error = "not delivered"
        if wanted:
            try:  # no transaction is open here (promise 8)
                answers = list(self.call_out(wanted))
            except Exception as e:
                error = _error(e)
        ok = dict(zip((e.event_id for e in wanted), answers, strict=False))
        passed = 0
        for event in batch.events:
            if self.consumer.wants(event) and not ok.get(event.event_id, False):
                break
            passed += 1
        if passed < len(batch.events):
            self.out.delivered += passed
            return self._failed(batch, passed, error)
        with unit_of_work(self.db, actor=self.actor) as session:
            after = replace(batch.after(passed), attempts=0)
            self._save(session, after, passed=passed, release=batch.short)
        self.out.delivered += passed
        return after, not batch.short, not batch.short

    def _failed(self, batch: Batch, passed: int, error: str) -> tuple[Cursor, bool, bool]:
        """The event after the first `passed` failed: retry later, or park it on the
        last try and go on."""
        head: Event = batch.events[passed]
        attempts = (batch.cursor.attempts if passed == 0 else 0) + 1
        now = self.clock()
        with unit_of_work(self.db, actor=self.actor) as session:
            if attempts >= self.consumer.max_attempts:
                cursors.park(session, self.name, head, attempts=attempts, error=error, now=now)
                after = replace(batch.after(passed + 1), attempts=0)
                self._save(session, after, passed=passed + 1, release=False, error=error)
                self.out.parked += 1
                return after, True, True
            after = replace(batch.after(passed), attempts=attempts)
            retry_at = now + self.consumer.retry_delay(attempts)
            self._save(session, after, passed=passed, release=True, retry_at=retry_at, error=error)
        self.out.retried += 1
        return after, False, False

    def _save(
        self,
        session: Session,
        cursor: Cursor,
        *,
        passed: int,
        release: bool,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        cursors.save(
            session,
            self.name,
            cursor,
            worker=self.worker,
            now=self.clock(),
            passed=passed,
            release=release,
            retry_at=retry_at,
            error=error,
        )

    def _release(self, shard: int) -> None:
        c = cursors.cursors
        with unit_of_work(self.db, actor=self.actor) as session:
            session.execute(
                update(c)
                .where(c.c.consumer == self.name, c.c.shard == shard, c.c.leased_by == self.worker)
                .values(leased_by=None, leased_until=None)
            )

    # --- replays ---------------------------------------------------------------------

    def replays(self) -> None:
        with unit_of_work(self.db, read_only=True) as session:
            asked = parked.requested(session, self.name)
        for parked_id, event in asked:
            if self.handle is not None:
                self._replay_in_database(self.handle, parked_id, event)
            else:
                self._replay_calling_out(parked_id, event)

    def _replay_in_database(self, handle: InDatabase, parked_id: int, event: Event) -> None:
        try:
            with unit_of_work(self.db, actor=self.actor) as session:
                if not parked.take_replay(session, parked_id, now=self.clock()):
                    return
                handle(session, [event])
        except Exception as e:
            with unit_of_work(self.db, actor=self.actor) as session:
                parked.replay_failed(session, parked_id, error=_error(e))
            return
        self.out.replayed += 1

    def _replay_calling_out(self, parked_id: int, event: Event) -> None:
        with unit_of_work(self.db, actor=self.actor) as session:
            if not parked.take_replay(session, parked_id, now=None):
                return
        try:
            delivered, error = list(self.call_out([event]))[:1] == [True], ""
        except Exception as e:
            delivered, error = False, _error(e)
        with unit_of_work(self.db, actor=self.actor) as session:
            if delivered:
                parked.replay_done(session, parked_id, now=self.clock())
            else:
                parked.replay_failed(session, parked_id, error=error or "not delivered")
        if delivered:
            self.out.replayed += 1


def deliver(
    db: Database,
    consumer: Consumer,
    *,
    worker: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    max_batches: int = MAX_BATCHES,
) -> Delivery:
    """One run of a consumer: requested replays, then up to `max_batches` batches
    from the shards with work that this worker could lease."""
    run = _Run(db, consumer, worker or current_worker.get() or "worker", clock)
    run.replays()
    now = clock()
    with unit_of_work(db, read_only=True) as session:
        missing = cursors.missing_shards(session, consumer.name)
    if missing:
        with unit_of_work(db, actor=run.actor) as session:
            cursors.add_cursors(session, consumer.name, missing, now)
    with unit_of_work(db, read_only=True) as session:
        shards = cursors.pending_shards(session, consumer.name, now=now)
    random.shuffle(shards)  # workers that start together spread over the shards
    budget = max_batches
    for shard in shards:
        if budget <= 0:
            run.out.more = True
            break
        with unit_of_work(db, actor=run.actor) as session:
            cursor = cursors.claim(
                session, consumer.name, shard, worker=run.worker, now=now, lease=consumer.lease
            )
        if cursor is not None:
            budget -= run.drain(cursor, budget)
    return run.out
