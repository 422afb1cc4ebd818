"""The transactions of a request that calls out between two of them (promise 8).

An endpoint whose use case calls a payment provider (or, later, a carrier or a
marketplace) takes `UnitsDep` and hands it to the use case, which opens one
transaction per `with units() as session:` block:

- the first block is the request's own transaction: the one its caller was
  authenticated in and its `Idempotency-Key` claimed in. When the block ends it
  commits, in the endpoint's thread, and gives the request's turn at the database
  back, so that other requests write while the provider answers;
- each later block waits for a turn of its own on the event loop (holding no pool
  connection and, on SQLite, not the writer's lock meanwhile; its thread's place in
  the pool lent to others: `db.session.turn_in_thread`), runs in the endpoint's
  thread and commits when it ends.

Nothing else changes for the endpoint: an error still rolls back the block it
happened in, and what earlier blocks committed stays committed; the use case is
written so that this is always a state the worker can finish.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from omnichannel.db import Database, unit_of_work
from omnichannel.db.session import Units, turn_in_thread
from omnichannel.http.deps import SessionDep, get_database
from omnichannel.http.routing import RequestUnit, current_unit


class RequestUnits:
    """`db.session.Units` of one request (see the module docstring)."""

    def __init__(self, db: Database, first: RequestUnit | None, session: Session) -> None:
        self._db = db
        self._first = first
        self._session = session

    def __call__(self) -> AbstractContextManager[Session]:
        first = self._first
        if first is not None and not first.ended:
            self._first = None
            return self._request_unit(first)
        return self._next_unit()

    @contextmanager
    def _request_unit(self, unit: RequestUnit) -> Iterator[Session]:
        try:
            yield self._session
        except BaseException as exc:
            if not unit.finish(exc):
                raise
            return
        unit.finish(None)

    @contextmanager
    def _next_unit(self) -> Iterator[Session]:
        actor = self._session.info.get("actor")
        turn = turn_in_thread(self._db, writes=True)
        try:
            with unit_of_work(self._db, actor=actor) as session:
                yield session
        finally:
            if turn is not None:
                turn.release()


async def get_units(db: Annotated[Database, Depends(get_database)], session: SessionDep) -> Units:
    """The request's transactions, its own first (declare after the permission
    dependency and the `Idempotency-Key`, like `SessionDep`)."""
    return RequestUnits(db, current_unit(), session)


UnitsDep = Annotated[Units, Depends(get_units)]
