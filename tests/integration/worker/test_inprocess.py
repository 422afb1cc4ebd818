"""`omni serve` runs the worker's jobs itself when it owns its database."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import Database, unit_of_work
from omnichannel.worker.models import WorkerJob


def _job_names(db: Database) -> set[str]:
    with unit_of_work(db, read_only=True) as s:
        return set(s.scalars(select(WorkerJob.name)))


def test_the_server_runs_the_jobs_in_process_and_stops_them_with_itself(
    committing_db: Database, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"inprocess_worker": "on"}))
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while "inventory.expire_holds" not in _job_names(committing_db):
            assert time.monotonic() < deadline, "the in-process worker never ran"
            time.sleep(0.05)
        assert client.get("/api/v1/health").status_code == 200
    with unit_of_work(committing_db, read_only=True) as s:
        row = s.get(WorkerJob, "inventory.expire_holds")
    assert row is not None
    assert row.runs >= 1


def test_the_tests_app_on_a_database_it_was_given_runs_no_worker(
    committing_db: Database, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"inprocess_worker": "on"}), database=committing_db)
    with TestClient(app) as client:
        assert client.get("/api/v1/health").status_code == 200
        time.sleep(0.3)
    assert _job_names(committing_db) == set()
