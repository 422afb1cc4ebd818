"""The database is configured as promised and the migrations match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from omnichannel.db import Database
from omnichannel.migrations.models import metadata


def test_migrations_produce_exactly_the_schema_the_models_describe(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert diff == [], "models changed without a migration: run `alembic revision --autogenerate`"


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_postgresql_is_reached_through_psycopg_3(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    assert engine.dialect.driver == "psycopg"


def test_a_read_only_unit_of_work_refuses_to_write_and_never_commits(
    committing_db: Database,
) -> None:
    from sqlalchemy import func, select

    from omnichannel.db import OutboxEvent, record_event, unit_of_work
    from omnichannel.db.session import ReadOnlySessionWrite

    with pytest.raises(ReadOnlySessionWrite), unit_of_work(committing_db, read_only=True) as s:
        record_event(s, aggregate_type="t", aggregate_id="x", sequence=1, type="t", payload={})
    with unit_of_work(committing_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 0
