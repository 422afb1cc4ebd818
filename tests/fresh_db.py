"""An empty database of the test's backend, migrated to the newest revision, for
tests that move a database up and down the migrations with rows in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from sqlalchemy import Engine

from omnichannel.db import make_engine
from omnichannel.db.migrate import alembic_config, upgrade


@contextmanager
def fresh_engine(engine: Engine, folder: Path, name: str) -> Iterator[Engine]:
    """A new SQLite file in `folder`, or a PostgreSQL schema `name` beside the test's;
    dropped afterwards."""
    if engine.dialect.name == "sqlite":
        eng = make_engine(f"sqlite:///{folder / f'{name}.db'}")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {name}")
        url = engine.url.update_query_dict({"options": f"-csearch_path={name}"})
        eng = make_engine(url.render_as_string(hide_password=False), pool_size=1)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")


def downgrade(eng: Engine, revision: str) -> None:
    """Migrate down to `revision` (on SQLite with foreign keys off, as `upgrade` does)."""
    with eng.connect() as conn:
        raw = conn.connection.driver_connection
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # a batch rebuild with keys on would cascade
            raw.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        with conn.begin():
            command.downgrade(alembic_config(connection=conn), revision)
        if sqlite:
            raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
