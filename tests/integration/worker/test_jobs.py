"""Leased jobs: once per period however many workers, taken over after a crash, and a
failing job never stops the others."""

from __future__ import annotations

import threading
from datetime import timedelta

from omnichannel.db import Database, unit_of_work
from omnichannel.worker import jobs
from omnichannel.worker.jobs import Job, Outcome
from omnichannel.worker.models import WorkerJob
from omnichannel.worker.runner import Runner
from tests.integration.events.conftest import Clock


class Counter:
    def __init__(self) -> None:
        self.runs = 0
        self.lock = threading.Lock()

    def __call__(self, db: Database) -> Outcome:
        with self.lock:
            self.runs += 1
        return Outcome({"runs": 1})


def _row(db: Database, name: str) -> WorkerJob:
    with unit_of_work(db, read_only=True) as s:
        row = s.get(WorkerJob, name)
    assert row is not None
    return row


def test_two_workers_started_together_run_a_job_once_per_period(
    committing_db: Database, clock: Clock
) -> None:
    count = Counter()
    job = Job(name="test.once", every=timedelta(minutes=1), run=count)
    runners = [Runner(committing_db, [job], worker=f"w{i}", clock=clock) for i in range(2)]
    start = threading.Barrier(2)

    def together(runner: Runner) -> None:
        start.wait()
        runner.run_due()

    for _period in range(3):
        threads = [threading.Thread(target=together, args=(r,)) for r in runners]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        clock.advance(seconds=30)
        for r in runners:  # half a period later: not due
            r.run_due()
        clock.advance(seconds=31)
    assert count.runs == 3
    row = _row(committing_db, "test.once")
    assert (row.runs, row.failures, row.leased_by) == (3, 0, None)


def test_a_crashed_workers_lease_expires_and_another_worker_takes_the_job_over(
    committing_db: Database, clock: Clock
) -> None:
    count = Counter()
    job = Job(name="test.crash", every=timedelta(seconds=10), run=count, lease=timedelta(minutes=2))
    survivor = Runner(committing_db, [job], worker="survivor", clock=clock)
    with unit_of_work(committing_db) as s:  # a worker takes the lease, then dies
        jobs.ensure_rows(s, [job], clock.now)
    with unit_of_work(committing_db) as s:
        assert jobs.take(s, job, worker="crashed", now=clock.now)
    clock.advance(minutes=1)
    assert survivor.run_due() == []
    assert count.runs == 0
    clock.advance(minutes=1, seconds=1)
    [result] = survivor.run_due()
    assert (result.job, result.failed, count.runs) == ("test.crash", False, 1)
    assert _row(committing_db, "test.crash").leased_by is None


def test_a_failing_job_records_its_error_is_retried_next_period_and_stops_no_other(
    committing_db: Database, clock: Clock
) -> None:
    count = Counter()

    def broken(db: Database) -> Outcome:
        raise RuntimeError("the carrier's API is down")

    failing = Job(name="test.broken", every=timedelta(minutes=5), run=broken)
    fine = Job(name="test.fine", every=timedelta(minutes=5), run=count)
    runner = Runner(committing_db, [failing, fine], worker="w", clock=clock)
    results = {r.job: r for r in runner.run_due()}
    assert results["test.broken"].error == "RuntimeError: the carrier's API is down"
    assert not results["test.fine"].failed
    assert count.runs == 1
    row = _row(committing_db, "test.broken")
    assert (row.failures, row.last_error, row.leased_by) == (
        1,
        "RuntimeError: the carrier's API is down",
        None,
    )
    assert row.next_run_at == clock.now + timedelta(minutes=5)
    clock.advance(minutes=5)
    assert {r.job for r in runner.run_due()} == {"test.broken", "test.fine"}


def test_a_job_with_work_left_runs_again_at_once(committing_db: Database, clock: Clock) -> None:
    left = [3]

    def backlog(db: Database) -> Outcome:
        left[0] -= 1
        return Outcome({"done": 1}, more=left[0] > 0)

    runner = Runner(
        committing_db,
        [Job(name="test.backlog", every=timedelta(hours=1), run=backlog)],
        worker="w",
        clock=clock,
    )
    runs = [runner.run_due() for _ in range(4)]
    assert [len(r) for r in runs] == [1, 1, 1, 0]
