"""When jobs fall due, and when `omni serve` runs them itself."""

from datetime import UTC, datetime, timedelta

import pytest

from omnichannel.config import Settings
from omnichannel.worker.inprocess import wanted
from omnichannel.worker.jobs import Job, Outcome


def _nothing(db: object) -> Outcome:
    return Outcome()


def test_a_job_every_minute_is_due_at_once_then_a_minute_after_each_run() -> None:
    job = Job(name="j", every=timedelta(minutes=1), run=_nothing)  # type: ignore[arg-type]
    now = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
    assert job.first_run(now) == now
    assert job.next_run(now) == now + timedelta(minutes=1)
    assert job.next_run(now, failed=True) == now + timedelta(minutes=1)


def test_a_nightly_job_started_after_its_hour_runs_today_then_after_the_hour_tomorrow() -> None:
    job = Job(name="n", daily_after=2, run=_nothing)  # type: ignore[arg-type]
    noon = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert job.first_run(noon) == datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert job.next_run(noon) == datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
    one_am = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    assert job.first_run(one_am) == datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    assert job.next_run(one_am) == datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_a_nightly_job_that_failed_tries_again_within_the_hour() -> None:
    job = Job(name="n", daily_after=2, run=_nothing)  # type: ignore[arg-type]
    at = datetime(2026, 12, 7, 2, 5, tzinfo=UTC)
    assert job.next_run(at, failed=True) == at + timedelta(minutes=15)


def test_a_job_needs_exactly_one_schedule() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Job(name="x", run=_nothing)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exactly one"):
        Job(name="x", every=timedelta(1), daily_after=3, run=_nothing)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hour"):
        Job(name="x", daily_after=24, run=_nothing)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("setting", "backend", "runs"),
    [
        ("auto", "sqlite", True),
        ("auto", "postgresql", False),
        ("on", "postgresql", True),
        ("off", "sqlite", False),
    ],
)
def test_serve_runs_the_jobs_itself_on_sqlite_unless_told_otherwise(
    setting: str, backend: str, runs: bool
) -> None:
    assert wanted(Settings(env="test", inprocess_worker=setting), backend) is runs  # type: ignore[arg-type]
