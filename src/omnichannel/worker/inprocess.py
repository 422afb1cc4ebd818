"""The worker inside `omni serve`: the registered jobs on a background thread, so that
`make demo` is one process and its events flow (OMNI_INPROCESS_WORKER: `auto` runs
it on SQLite only; on PostgreSQL run `omni worker` beside the API).

On SQLite the thread's writing transactions take their turn on the server's event
loop like every writing request (`Database.turn`): otherwise a request waiting for
the writer lock would wait for it on the event loop, and stall every request.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import anyio.to_thread

from omnichannel.config import Settings
from omnichannel.db import Database
from omnichannel.worker.runner import Runner

log = logging.getLogger("omnichannel.worker")

INTERVAL_S = 1.0


def wanted(settings: Settings, backend: str) -> bool:
    """Whether `omni serve` runs the jobs itself."""
    if settings.inprocess_worker == "auto":
        return backend == "sqlite"
    return settings.inprocess_worker == "on"


class _TurnTaking(Database):
    """The server's Database as the worker thread uses it: same engine, same gates;
    a writing unit of work first waits for its turn on the server's loop."""

    def __init__(self, db: Database, loop: asyncio.AbstractEventLoop) -> None:
        self.__dict__.update(db.__dict__)
        self._server_db = db
        self._loop = loop

    @contextmanager
    def writing(self) -> Iterator[None]:
        turn = self._server_db.turn(writes=True)
        asyncio.run_coroutine_threadsafe(turn.__aenter__(), self._loop).result()
        try:
            with super().writing():
                yield
        finally:
            asyncio.run_coroutine_threadsafe(turn.__aexit__(None, None, None), self._loop).result()


class BackgroundWorker:
    """A Runner on a daemon thread; `stop()` ends it after its current pass."""

    def __init__(self, db: Database, loop: asyncio.AbstractEventLoop) -> None:
        self.runner = Runner(_TurnTaking(db, loop), log=log.info)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="omni-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()
        log.info(
            "in-process worker %s started: %d job(s)", self.runner.worker, len(self.runner.jobs)
        )

    def _run(self) -> None:
        try:
            self.runner.loop(self._stop, INTERVAL_S)
        except Exception:  # the runner survives its jobs; this is the database's loss
            log.exception("in-process worker stopped")

    async def stop(self) -> None:
        """Stop and wait (off the event loop: the thread may be waiting on it)."""
        self._stop.set()
        await anyio.to_thread.run_sync(self._thread.join, 30.0)


def start(
    settings: Settings, db: Database, *, install: Callable[[], None]
) -> BackgroundWorker | None:
    """Register the jobs and consumers (`install`: the events endpoints list them
    too), and start the in-process worker when the settings want it (call on the
    server's loop)."""
    install()
    if not wanted(settings, db.backend):
        return None
    worker = BackgroundWorker(db, asyncio.get_running_loop())
    worker.start()
    return worker
