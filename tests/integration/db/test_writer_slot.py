"""On SQLite the writers of one process take turns in an in-process slot; a writer that
cannot get its turn within the busy timeout is refused cleanly (503), writing nothing."""

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from omnichannel.db import Database, DatabaseBusy, unit_of_work


@pytest.fixture
def held_slot(db: Database) -> Iterator[threading.Event]:
    """Another thread holds the writer slot until the event is set."""
    if db.backend != "sqlite":
        pytest.skip("PostgreSQL writers lock rows, not the database")
    db._busy_timeout_s = 0.05
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with db.writing():
            taken.set()
            done.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    taken.wait(5)
    try:
        yield done
    finally:
        done.set()
        t.join()


def test_a_writer_that_never_gets_its_turn_is_refused(db: Database, held_slot: object) -> None:
    with pytest.raises(DatabaseBusy), unit_of_work(db) as s:
        s.connection()


def test_readers_do_not_queue_behind_writers(db: Database, held_slot: object) -> None:
    with unit_of_work(db, read_only=True) as s:
        assert s.connection() is not None


def test_a_refused_write_is_a_503_problem_that_changed_nothing(
    client: TestClient, admin: dict[str, str], db: Database, held_slot: threading.Event
) -> None:
    body = {"code": "web", "name": "Web", "type": "web"}
    r = client.post("/api/v1/channels", json=body, headers=admin)
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "database_busy"
    assert r.headers["retry-after"] == "1"
    held_slot.set()
    assert client.get("/api/v1/channels", headers=admin).json() == []


def test_postgresql_has_no_writer_slot(engine: Engine) -> None:
    database = Database(engine)
    with database.writing():
        pass  # a no-op there: it must not block or fail
