"""Shared fixtures.

Integration and API tests ask for `db`, `session` or `client`; each such test runs
once on SQLite and, when OMNI_TEST_POSTGRES_URL is set, once more on PostgreSQL.
Every test runs inside an outer transaction that is rolled back afterwards, so
tests are isolated and the schema is migrated only once per backend per run.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from omnichannel import wiring
from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import Database, make_engine
from omnichannel.db.migrate import upgrade
from omnichannel.db.session import refuse_writes
from omnichannel.migrations.models import metadata

POSTGRES_URL = os.environ.get("OMNI_TEST_POSTGRES_URL")
wiring.install()  # what every entrypoint does: tests call services directly too
BACKENDS = ["sqlite", "postgresql"]


def _fresh_postgres(url: str) -> Engine:
    engine = make_engine(url, pool_size=5)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    return engine


@pytest.fixture(
    scope="session",
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not POSTGRES_URL, reason="OMNI_TEST_POSTGRES_URL is not set"),
        ),
    ],
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database per backend, for the whole run."""
    if request.param == "postgresql":
        assert POSTGRES_URL
        eng = _fresh_postgres(POSTGRES_URL)
    else:
        path = tmp_path_factory.mktemp("sqlite") / "omni-test.db"
        eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    yield eng
    eng.dispose()


class IsolatedDatabase(Database):
    """A Database whose sessions all join one outer transaction on one connection.

    A unit of work's commit only releases its SAVEPOINT; the test's rollback undoes
    everything.
    """

    def __init__(self, engine: Engine, connection: Connection) -> None:
        super().__init__(engine)
        self.connection = connection

    def session(self, *, read_only: bool = False) -> Session:
        session = Session(
            bind=self.connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            autoflush=False,
        )
        if read_only:
            refuse_writes(session)  # as the real read-only sessions do
        return session


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    """An isolated Database: everything written in the test is rolled back."""
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield IsolatedDatabase(engine, conn)
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session inside the test's transaction, for calling services directly."""
    s = db.session()
    s.info["actor"] = "test"
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def committing_db(engine: Engine) -> Iterator[Database]:
    """A real Database whose commits are real (CLI, concurrency); emptied afterwards."""
    database = Database(engine)
    try:
        yield database
    finally:
        _empty(engine)


def _empty(engine: Engine) -> None:
    """Delete every row (self-referencing tables included) and restart counters."""
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        return
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                for name in tables:
                    conn.exec_driver_sql(f"DELETE FROM {name}")  # noqa: S608 - our own table names
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(env="test", database_url=engine.url.render_as_string(hide_password=False))


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """An HTTP client for the app, on the isolated database."""
    app = create_app(settings, database=db)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


# --- actors -----------------------------------------------------------------------


@pytest.fixture
def login_as(session: Session, client: TestClient) -> Callable[..., dict[str, str]]:
    """Create a staff user of a role (scoped to `location_ids` if given) and return
    headers carrying their bearer token."""
    from omnichannel.security.rules import Role
    from omnichannel.security.schemas import StaffCreate
    from omnichannel.security.service import create_staff

    def make(role: str = "admin", location_ids: list[uuid.UUID] | None = None) -> dict[str, str]:
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        create_staff(
            session,
            data=StaffCreate(
                email=email,
                full_name=f"Test {role}",
                password="correct horse battery",
                role=Role(role),
                location_ids=location_ids or [],
            ),
        )
        session.commit()
        r = client.post(
            "/api/v1/auth/login", json={"email": email, "password": "correct horse battery"}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return make


@pytest.fixture
def admin(login_as: Callable[..., dict[str, str]]) -> dict[str, str]:
    """Headers of a signed-in admin."""
    return login_as("admin")


# --- reporting --------------------------------------------------------------------

_passed_by_backend: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        for backend in BACKENDS:
            if (
                f"[{backend}" in report.nodeid
                or f"-{backend}]" in report.nodeid
                or f"-{backend}-" in report.nodeid
            ):
                _passed_by_backend[backend] += 1
                break


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_sep("=", "database-backed tests passed per backend")
    for backend in BACKENDS:
        terminalreporter.write_line(f"{backend}: {_passed_by_backend[backend]}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "engine" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


__all__ = ["repo_root", "text"]


# --- reference data ---------------------------------------------------------------


def committed_admin(db: Database, email: str) -> dict[str, str]:
    """Headers of an admin created and signed in with real commits (for tests whose
    requests run on other threads than the test's own transaction)."""
    from datetime import timedelta

    from omnichannel.db import unit_of_work
    from omnichannel.security.rules import Role
    from omnichannel.security.schemas import StaffCreate
    from omnichannel.security.service import create_staff
    from omnichannel.security.signin import login

    password = "correct horse battery"
    with unit_of_work(db, actor="setup") as s:
        create_staff(
            s,
            data=StaffCreate(email=email, full_name="Admin", password=password, role=Role.ADMIN),
        )
    with unit_of_work(db, actor="setup") as s:
        token, _ = login(s, email=email, password=password, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def location_doc(code: str, type_: str = "store", **overrides: Any) -> dict[str, Any]:
    """A valid LocationCreate body."""
    doc: dict[str, Any] = {
        "code": code,
        "name": f"Location {code}",
        "type": type_,
        "address": {
            "street": "ul. Długa 45",
            "city": "Gdańsk",
            "postcode": "80-827",
            "country": "PL",
        },
        "coordinates": {"latitude": 54.349, "longitude": 18.6522},
        "opening_hours": {"weekly": {"mon": [["10:00", "21:00"]]}},
        "capabilities": ["pickup", "accepts_returns"] if type_ == "store" else ["ships"],
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def make_location(session: Session) -> Callable[..., uuid.UUID]:
    """Create a location directly through the service; returns its id."""
    from omnichannel.locations.schemas import LocationCreate
    from omnichannel.locations.service import create_location

    def make(code: str, type_: str = "store", **overrides: Any) -> uuid.UUID:
        loc = create_location(
            session, data=LocationCreate.model_validate(location_doc(code, type_, **overrides))
        )
        session.commit()
        return loc.id

    return make


@pytest.fixture
def channel_key(
    session: Session, make_location: Callable[..., uuid.UUID]
) -> Callable[..., dict[str, str]]:
    """Create a channel with an API key of the given scopes; returns X-Api-Key headers."""
    from omnichannel.channels.rules import Scope
    from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate
    from omnichannel.channels.service import create_channel, issue_api_key

    def make(
        code: str = "web", scopes: list[str] | None = None, type_: str = "web"
    ) -> dict[str, str]:
        ch = create_channel(
            session, data=ChannelCreate(code=code, name=f"Channel {code}", type=type_)
        )
        _, secret = issue_api_key(
            session,
            channel_id=ch.id,
            data=ApiKeyCreate(name="test", scopes=[Scope(s) for s in (scopes or ["catalog:read"])]),
        )
        session.commit()
        return {"X-Api-Key": secret}

    return make
