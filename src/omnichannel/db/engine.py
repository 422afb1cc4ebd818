"""Engines: SQLite (WAL, foreign keys, busy timeout, BEGIN IMMEDIATE) and PostgreSQL
through psycopg 3."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from omnichannel.db.types import json_default

_json_dumps = partial(json.dumps, default=json_default, ensure_ascii=False)

# Execution option: a transaction that will only read (GET requests). On SQLite it
# begins DEFERRED so readers never queue behind the writer lock.
READ_ONLY = "omni_read_only"


def backend_name(url_or_engine: str | Engine) -> str:
    """'sqlite' or 'postgresql'."""
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(url_or_engine)
    return url.get_backend_name()


def make_engine(
    url: str, *, pool_size: int = 10, busy_timeout_ms: int = 5000, echo: bool = False
) -> Engine:
    """Create an engine configured for how Omnichannel uses its database."""
    backend = backend_name(url)
    if backend == "sqlite":
        return _sqlite_engine(url, busy_timeout_ms=busy_timeout_ms, echo=echo)
    if backend == "postgresql":
        return create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            # No pre-ping: it is a round trip per request. A connection the server
            # dropped fails once and is replaced; recycling keeps them fresh.
            pool_pre_ping=False,
            pool_recycle=1800,
            echo=echo,
            # Only matters for INSERT ... RETURNING of many rows; plain executemany is
            # pipelined by psycopg 3, which measured faster for bulk imports.
            insertmanyvalues_page_size=1000,
            json_serializer=_json_dumps,
        )
    raise ValueError(f"unsupported database backend: {backend}")


def _sqlite_engine(url: str, *, busy_timeout_ms: int, echo: bool) -> Engine:
    engine = create_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours (below)
        # and SAVEPOINTs behave.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock up front: a DEFERRED transaction that reads and
        # then writes can fail with SQLITE_BUSY when another writer got in between,
        # and busy_timeout cannot help it. Readers stay DEFERRED and never wait.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        # Straight to the driver: this runs for every unit of work, and a Core
        # execution would cost more than the BEGIN itself.
        conn.connection.dbapi_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
