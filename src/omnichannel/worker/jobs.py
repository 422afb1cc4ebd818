"""Jobs of `omni worker`: what runs, how often, and who may run it now.

A job is a name, a schedule (every N seconds, or once a day after an hour, UTC)
and a function that takes the Database, owns its transactions, and returns what it
did (`Outcome`: counts, and whether a backlog is left for the next run).

Every worker process sees every registered job. An *exclusive* job (the default)
runs on one worker per period: its row in `worker_jobs` is a lease, taken by one
conditional UPDATE that also checks the job is due (`take`), so two workers started
together run it exactly once, on SQLite and PostgreSQL alike; the lease expires,
so a crashed worker's job is taken over. A job that raises records its error and
is retried next period. A *shared* job (`exclusive=False`, the outbox consumers)
runs in every worker at its own pace: the consumer's shard leases split its work.

Registration: this package imports no domain. The entrypoints (`omni worker`,
`omni serve`'s in-process worker) call `omnichannel.schedule.install()`, which
registers every domain's jobs; a later job is one more line there:

    jobs.register(Job(name="payments.settle", every=timedelta(minutes=1), run=settle))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from omnichannel.db import Database
from omnichannel.db.bulk import insert_rows
from omnichannel.worker.models import WorkerJob

_jobs: Table = WorkerJob.__table__  # type: ignore[assignment]

# A daily job that failed tries again after this, not a day later.
DAILY_RETRY = timedelta(minutes=15)

# Who is running the job (set by the runner for its thread): a job that takes leases
# of its own (a consumer's shards) takes them in this name.
current_worker: ContextVar[str] = ContextVar("omni_worker", default="")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run did: counts for the log, and whether work is left (a backlog
    drains over several runs: the worker runs the job again without waiting)."""

    counts: Mapping[str, int] = field(default_factory=dict)
    more: bool = False
    note: str = ""  # a human line for the log; the counts when empty

    def busy(self) -> bool:
        return any(self.counts.values())

    def describe(self) -> str:
        return self.note or ", ".join(f"{k} {v}" for k, v in self.counts.items()) or "nothing"


@dataclass(frozen=True, slots=True)
class Job:
    """A unit of the worker's work. Give `every` or `daily_after` (a UTC hour)."""

    name: str
    run: Callable[[Database], Outcome]
    every: timedelta | None = None
    daily_after: int | None = None
    # How long a worker may hold the job before others may take it over: longer
    # than one run (jobs bound a run by batches and say `more`).
    lease: timedelta = timedelta(minutes=5)
    exclusive: bool = True

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_after is None):
            raise ValueError(f"job {self.name}: give exactly one of every= and daily_after=")
        if self.daily_after is not None and not 0 <= self.daily_after <= 23:
            raise ValueError(f"job {self.name}: daily_after is an hour, 0 to 23")

    def first_run(self, now: datetime) -> datetime:
        """When a job never run before is due: now, or a daily job's latest hour."""
        if self.daily_after is None:
            return now
        today = now.replace(hour=self.daily_after, minute=0, second=0, microsecond=0)
        return today if today <= now else today - timedelta(days=1)

    def next_run(self, now: datetime, *, failed: bool = False) -> datetime:
        """When the job is due again after a run that ended at `now`."""
        if self.every is not None:
            return now + self.every
        if failed:
            return now + DAILY_RETRY
        return self.first_run(now) + timedelta(days=1)


_registry: dict[str, Job] = {}


def register(job: Job) -> None:
    """Add a job to every worker this process starts (a job of the same name is
    replaced: registering again is harmless)."""
    _registry[job.name] = job


def registered() -> list[Job]:
    """Every registered job, in the order they were first registered."""
    return list(_registry.values())


# --- the lease ---------------------------------------------------------------------------


def ensure_rows(session: Session, jobs: Sequence[Job], now: datetime) -> None:
    """Give every exclusive job its row (a new one is due at once)."""
    known = set(session.scalars(select(_jobs.c.name)))
    missing = [
        {"name": j.name, "next_run_at": j.first_run(now), "runs": 0, "failures": 0}
        for j in jobs
        if j.exclusive and j.name not in known
    ]
    insert_rows(session, _jobs, missing, ignore_conflicts=True)


def due(session: Session, now: datetime) -> set[str]:
    """Names of the jobs that look due and free (a read: `take` decides)."""
    return set(
        session.scalars(
            select(_jobs.c.name).where(
                _jobs.c.next_run_at <= now,
                or_(_jobs.c.leased_until.is_(None), _jobs.c.leased_until <= now),
            )
        )
    )


def take(session: Session, job: Job, *, worker: str, now: datetime) -> bool:
    """Take the job's lease if it is due and nobody holds it: one conditional UPDATE.

    On PostgreSQL a second worker's UPDATE waits for the first's commit and then
    finds the lease taken; on SQLite writers take turns. Either way one wins.
    """
    result = session.execute(
        update(_jobs)
        .where(
            _jobs.c.name == job.name,
            _jobs.c.next_run_at <= now,
            or_(_jobs.c.leased_until.is_(None), _jobs.c.leased_until <= now),
        )
        .values(
            leased_by=worker,
            leased_until=now + job.lease,
            last_run_at=now,
            runs=_jobs.c.runs + 1,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def finish(
    session: Session,
    job: Job,
    *,
    worker: str,
    now: datetime,
    outcome: Outcome | None,
    error: str | None = None,
) -> None:
    """Give the lease back and set the next run: at once if work is left, next
    period after a failure. A lease lost meanwhile (expired, taken over) is left alone."""
    values: dict[str, object] = {"leased_by": None, "leased_until": None}
    if error is not None:
        values |= {
            "next_run_at": job.next_run(now, failed=True),
            "last_error": error[:2000],
            "failures": _jobs.c.failures + 1,
        }
    else:
        more = outcome is not None and outcome.more
        values |= {"next_run_at": now if more else job.next_run(now), "last_ok_at": now}
    session.execute(
        update(_jobs).where(_jobs.c.name == job.name, _jobs.c.leased_by == worker).values(values)
    )


__all__ = ["Job", "Outcome", "register", "registered"]
