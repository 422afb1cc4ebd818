"""The unit of work. The entrypoint (request, CLI command, worker job) owns the
transaction: it commits once at the end, or rolls back on any error. Services only
flush."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from omnichannel.db.engine import READ_ONLY, backend_name, make_engine


class Database:
    """One engine and its session factories, created once per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backend = backend_name(engine)
        self._writer = sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._reader = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False, autoflush=False
        )

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 5000) -> Database:
        return cls(make_engine(url, pool_size=pool_size, busy_timeout_ms=busy_timeout_ms))

    def session(self, *, read_only: bool = False) -> Session:
        return (self._reader if read_only else self._writer)()

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def unit_of_work(
    db: Database, *, read_only: bool = False, actor: str | None = None
) -> Iterator[Session]:
    """A session whose work is committed if the block succeeds and rolled back if not."""
    session = db.session(read_only=read_only)
    if actor:
        session.info["actor"] = actor
    try:
        yield session
        if not read_only:
            session.commit()
        # A read-only unit ends by closing: the connection's transaction is rolled back
        # on release, and loaded objects stay readable (close does not expire them).
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
