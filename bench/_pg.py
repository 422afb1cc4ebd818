"""PostgreSQL for benchmarks: the database named by OMNI_BENCH_POSTGRES_URL (or
OMNI_TEST_POSTGRES_URL), wiped first; otherwise a throwaway database on the local
server, dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from omnichannel.db import make_engine

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _wipe(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@contextmanager
def postgres_url() -> Iterator[str | None]:
    """An empty PostgreSQL database's URL, or None (with the reason printed) if unreachable."""
    url = os.environ.get("OMNI_BENCH_POSTGRES_URL") or os.environ.get("OMNI_TEST_POSTGRES_URL")
    admin: Engine | None = None
    throwaway = None
    try:
        if url:
            _wipe(url)
        else:
            admin = make_engine(DEFAULT_PG_ADMIN_URL, pool_size=1).execution_options(
                isolation_level="AUTOCOMMIT"
            )
            throwaway = f"omni_bench_{secrets.token_hex(4)}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{throwaway}"')
            url = (
                make_url(DEFAULT_PG_ADMIN_URL)
                .set(database=throwaway)
                .render_as_string(hide_password=False)
            )
    except Exception as e:
        print(
            f"  postgresql: skipped ({e.__class__.__name__}: {str(e).splitlines()[0]})", flush=True
        )
        if admin is not None:
            admin.dispose()
        yield None
        return
    try:
        yield url
    finally:
        if admin is not None and throwaway:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{throwaway}" WITH (FORCE)')
            admin.dispose()
