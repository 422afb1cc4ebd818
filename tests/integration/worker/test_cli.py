"""`omni worker --once` and `omni events ...`, with real commits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from omnichannel import schedule
from omnichannel.cli.main import app
from omnichannel.db import Database, unit_of_work
from omnichannel.events.consumers import Consumer
from omnichannel.events.cursors import EVENT_COLUMNS, event_of, outbox, park
from omnichannel.events.relay import deliver
from omnichannel.kernel import utcnow
from omnichannel.schedule import availability
from omnichannel.worker import jobs
from omnichannel.worker.jobs import Job, Outcome
from tests.integration.events.conftest import write_events


@pytest.fixture
def cli_db(committing_db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr("omnichannel.cli.common.get_database", lambda: committing_db)
    return committing_db


@pytest.fixture
def broken_job() -> Iterator[None]:
    def broken(db: Database) -> Outcome:
        raise RuntimeError("no route to the carrier")

    schedule.install()
    jobs.register(Job(name="test.broken", every=timedelta(minutes=1), run=broken))
    try:
        yield
    finally:
        del jobs._registry["test.broken"]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_worker_once_runs_every_due_job_and_exits_1_when_one_failed(
    cli_db: Database, broken_job: None
) -> None:
    code, out = _run("worker", "--once")
    assert code == 1, out
    assert "test.broken: failed: RuntimeError: no route to the carrier" in out
    assert "inventory.expire_holds: expired holds at 0 level(s) (0 units)" in out
    assert "idempotency.sweep: deleted 0 expired idempotency key(s)" in out
    code, out = _run("worker", "--once")  # nothing is due again yet: nothing failed
    assert code == 0, out


def test_events_status_shows_each_consumers_backlog_and_parked_events(cli_db: Database) -> None:
    write_events(cli_db, [("a", 1), ("b", 1)], type_="inventory.level_changed")
    code, out = _run("events", "status")
    assert code == 0, out
    assert "inventory.availability" in out
    [line] = [x for x in out.splitlines() if "inventory.availability" in x]
    assert line.split("│")[4].strip() == "0"  # no cursors yet: nothing counted behind them
    quiet = Consumer(
        name=availability().name, handle=lambda s, ev: None, types=availability().types
    )
    deliver(cli_db, quiet, worker="test")
    write_events(cli_db, [("a", 2)], type_="inventory.level_changed")
    write_events(cli_db, [("c", 1)], type_="catalog.product_created")  # not its type
    with unit_of_work(cli_db, actor="test") as s:
        first = s.execute(select(*EVENT_COLUMNS).order_by(outbox.c.position).limit(1)).one()
        park(s, availability().name, event_of(first), attempts=8, error="boom", now=utcnow())
    code, out = _run("events", "status")
    assert code == 0, out
    [line] = [x for x in out.splitlines() if "inventory.availability" in x]
    cells = [c.strip() for c in line.split("│")]
    assert (cells[2], cells[4], cells[6]) == ("16", "1", "1")  # shards, backlog, parked
    code, out = _run("events", "status", "--shards")
    assert code == 0
    assert out.count("inventory.availability") == 16

    code, out = _run("events", "parked")
    assert code == 0
    assert "boom" in out
    code, out = _run("events", "replay", "999999")
    assert code == 1
    assert "does not exist" in out
