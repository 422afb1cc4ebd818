"""The worker loop: run every due job, then wait; never die of one job.

One pass reads which exclusive jobs look due (one read), takes the lease of each
before running it (`jobs.take`), and gives it back with the outcome or the error
(`jobs.finish`); shared jobs run on the pass's own clock. A job that says `more`
makes the next pass start at once. `omni worker` and the in-process worker of
`omni serve` both run a `Runner`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from omnichannel.db import Database, unit_of_work
from omnichannel.kernel import new_id, utcnow
from omnichannel.worker import jobs
from omnichannel.worker.jobs import Job, Outcome

LEASE_ACTOR = "worker:leases"


@dataclass(frozen=True, slots=True)
class Result:
    """One job's run in a pass."""

    job: str
    outcome: Outcome | None
    error: str | None
    seconds: float

    @property
    def failed(self) -> bool:
        return self.error is not None


def worker_id() -> str:
    """Who holds a lease: host, process and a random part (threads of one process
    running their own runners are different workers)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{new_id().hex[-6:]}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{error.__class__.__name__}: {text[0] if text else ''}".rstrip(": ")


class Runner:
    """Runs `jobs` (default: every registered job) against `db`."""

    def __init__(
        self,
        db: Database,
        job_list: Sequence[Job] | None = None,
        *,
        worker: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        log: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.db = db
        self.jobs = list(jobs.registered() if job_list is None else job_list)
        self.worker = worker or worker_id()
        self.clock = clock
        self.log = log
        self._rows_ready = False
        self._shared_next: dict[str, datetime] = {}

    def run_due(self) -> list[Result]:
        """One pass: every due job once. Returns what ran."""
        jobs.current_worker.set(self.worker)
        now = self.clock()
        try:
            due = self._due(now)
        except SQLAlchemyError as e:  # the database is away: try again next pass
            self.log(f"worker: {_first_line(e)}")
            return [Result("worker", None, _first_line(e), 0.0)]
        results = []
        for job in self.jobs:
            if job.exclusive:
                if job.name in due and self._take(job, now):
                    results.append(self._run(job, leased=True))
            elif self._shared_next.get(job.name, now) <= now:
                result = self._run(job, leased=False)
                more = result.outcome is not None and result.outcome.more
                self._shared_next[job.name] = now if more else job.next_run(self.clock())
                results.append(result)
        return results

    def loop(self, stop: threading.Event, interval: float) -> bool:
        """Pass after pass until `stop` is set; waits `interval` seconds between passes
        unless a job has work left. True if any job failed."""
        failed = False
        while not stop.is_set():
            results = self.run_due()
            failed = failed or any(r.failed for r in results)
            more = any(r.outcome is not None and r.outcome.more for r in results)
            if not more and stop.wait(interval):
                break
        return failed

    # --- steps -----------------------------------------------------------------------

    def _due(self, now: datetime) -> set[str]:
        if not self._rows_ready:
            with unit_of_work(self.db, actor=LEASE_ACTOR) as session:
                jobs.ensure_rows(session, self.jobs, now)
            self._rows_ready = True
        with unit_of_work(self.db, read_only=True) as session:
            return jobs.due(session, now)

    def _take(self, job: Job, now: datetime) -> bool:
        try:
            with unit_of_work(self.db, actor=LEASE_ACTOR) as session:
                return jobs.take(session, job, worker=self.worker, now=now)
        except SQLAlchemyError as e:
            self.log(f"{job.name}: could not take the lease: {_first_line(e)}")
            return False

    def _run(self, job: Job, *, leased: bool) -> Result:
        started = time.perf_counter()
        outcome: Outcome | None = None
        error: str | None = None
        try:
            outcome = job.run(self.db)
        except Exception as e:  # one job's failure must not stop the others
            error = _first_line(e)
            self.log(f"{job.name}: failed: {error}")
        else:
            if outcome.busy():
                self.log(f"{job.name}: {outcome.describe()}")
        if leased:
            try:
                with unit_of_work(self.db, actor=LEASE_ACTOR) as session:
                    jobs.finish(
                        session,
                        job,
                        worker=self.worker,
                        now=self.clock(),
                        outcome=outcome,
                        error=error,
                    )
            except SQLAlchemyError as e:  # the lease expires on its own
                self.log(f"{job.name}: could not give the lease back: {_first_line(e)}")
        return Result(job.name, outcome, error, time.perf_counter() - started)
