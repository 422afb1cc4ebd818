"""The unit of work. The entrypoint (request, CLI command, worker job) owns the
transaction: it commits once at the end, or rolls back on any error. Services only
flush."""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass

import anyio.from_thread
import anyio.to_thread
from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.pool import QueuePool

from omnichannel.db.engine import READ_ONLY, backend_name, make_engine


class DatabaseBusy(Exception):
    """A writer waited longer than the busy timeout for its turn."""


class ReadOnlySessionWrite(RuntimeError):
    """A write through a session that only reads: it would never be committed (an
    audited read must take a writer's session, `WritingSessionDep`)."""


def refuse_writes(target: Session | sessionmaker[Session]) -> None:
    """Make a read-only session (or every session of a factory) fail loudly on a
    write (a flush with changes, an INSERT, UPDATE or DELETE) instead of losing it
    when the read ends by rolling back."""
    event.listen(target, "before_flush", _refuse_flush)
    event.listen(target, "do_orm_execute", _refuse_dml)


def _refuse_flush(session: Session, _context: object, _instances: object) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySessionWrite(
            "this session only reads; its changes would be lost: use a writer's session"
        )


def _refuse_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySessionWrite(
            "this session only reads; the statement's change would be lost: use a writer's session"
        )


class Turn:
    """A request's turn at the database (`Database.take_turn`), given back once,
    from the event loop or from any thread."""

    __slots__ = ("_loop", "_released", "_sessions", "_writer")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sessions: asyncio.Semaphore,
        writer: asyncio.Lock | None,
    ) -> None:
        self._loop = loop
        self._sessions = sessions
        self._writer = writer
        self._released = False

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._give_back()
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._give_back)

    def _give_back(self) -> None:
        self._sessions.release()
        if self._writer is not None:
            self._writer.release()


@dataclass(frozen=True, slots=True)
class _Gates:
    sessions: asyncio.Semaphore  # requests using a connection of the pool
    writer: asyncio.Lock | None  # SQLite: one writing request at a time


class Database:
    """One engine and its session factories, created once per process."""

    def __init__(self, engine: Engine, *, busy_timeout_ms: int = 5000) -> None:
        self.engine = engine
        self.backend = backend_name(engine)
        # SQLite has one writer at a time. Writers of this process queue here, where a
        # released slot wakes the next at once, rather than in SQLite's busy handler,
        # which polls with sleeps of 1 to 100 ms. Other processes still meet the file
        # lock and its busy timeout.
        self._writer_slot = threading.Lock() if self.backend == "sqlite" else None
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Gates] = (
            weakref.WeakKeyDictionary()
        )
        # Connections the pool can lend at once: a queue pool's size and overflow; other
        # pools (in-memory SQLite: one connection per thread) do not make requests wait.
        pool = engine.pool
        bounded = isinstance(pool, QueuePool) and pool._max_overflow >= 0
        self._capacity = pool.size() + pool._max_overflow if bounded else 1000  # type: ignore[attr-defined]
        self._busy_timeout_s = busy_timeout_ms / 1000
        self._writer = sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._reader = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False, autoflush=False
        )
        refuse_writes(self._reader)

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 5000) -> Database:
        return cls(
            make_engine(url, pool_size=pool_size, busy_timeout_ms=busy_timeout_ms),
            busy_timeout_ms=busy_timeout_ms,
        )

    def session(self, *, read_only: bool = False) -> Session:
        return (self._reader if read_only else self._writer)()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this process's writer slot (SQLite only) for the block."""
        slot = self._writer_slot
        if slot is None:
            yield
            return
        if not slot.acquire(timeout=self._busy_timeout_s):
            raise DatabaseBusy("Another writer held the database for too long.")
        try:
            yield
        finally:
            slot.release()

    @asynccontextmanager
    async def turn(self, *, writes: bool) -> AsyncIterator[None]:
        """Wait on the event loop, holding no thread, until a request may use the
        database: a pool connection is free for it and, on SQLite, it is this
        writer's turn.

        Waiting inside a thread-pool thread instead (for the writer slot, or for a
        pool connection) lets the waiters fill the thread pool while the requests
        holding what they wait for need a thread to finish: a stall until a timeout.
        """
        turn = await self.take_turn(writes=writes)
        try:
            yield
        finally:
            turn.release()

    async def take_turn(self, *, writes: bool) -> Turn:
        """`turn`, for a holder that gives it back from another thread, or early (a
        request that commits before calling a provider): `Turn.release`."""
        loop = asyncio.get_running_loop()
        gates = self._gates.get(loop)
        if gates is None:
            gates = self._gates[loop] = _Gates(
                asyncio.Semaphore(self._capacity),
                asyncio.Lock() if self._writer_slot is not None else None,
            )
        writer = gates.writer if writes else None
        if writer is not None:
            await writer.acquire()
        try:
            await gates.sessions.acquire()
        except BaseException:
            if writer is not None:
                writer.release()
            raise
        return Turn(loop, gates.sessions, writer)

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def unit_of_work(
    db: Database, *, read_only: bool = False, actor: str | None = None
) -> Iterator[Session]:
    """A session whose work is committed if the block succeeds and rolled back if not."""
    if read_only:
        with _unit(db, read_only=True, actor=actor) as session:
            yield session
        return
    with db.writing(), _unit(db, read_only=False, actor=actor) as session:
        yield session


@contextmanager
def _unit(db: Database, *, read_only: bool, actor: str | None) -> Iterator[Session]:
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


# A source of transactions, for a use case that must commit before calling out and
# record the answer in a second one (promise 8): `with units() as session:` is one
# unit of work, committed when the block ends.
Units = Callable[[], AbstractContextManager[Session]]


def turn_in_thread(db: Database, *, writes: bool) -> Turn | None:
    """From a thread an event loop lent (`anyio.to_thread`), wait on that loop for a
    turn at the database; None outside such a thread (a CLI, the worker, a test).

    While it waits, the thread lends its place in the loop's thread pool to another
    request: a request holding the turn may itself be waiting for a thread, and a
    pool full of threads waiting for it would never give it one (the stall of
    decision 24)."""
    try:
        return anyio.from_thread.run(functools.partial(_turn_lent, db, writes))
    except RuntimeError as e:
        if "worker thread" not in str(e) and "event loop" not in str(e):
            raise
        return None


async def _turn_lent(db: Database, writes: bool) -> Turn:
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens += 1
    try:
        return await db.take_turn(writes=writes)
    finally:
        limiter.total_tokens -= 1


def units(db: Database, *, actor: str | None = None) -> Units:
    """Units of work of `db`, each a transaction of its own, by `actor`."""

    def unit() -> AbstractContextManager[Session]:
        return unit_of_work(db, actor=actor)

    return unit


def within(session: Session) -> Units:
    """Units that are all one transaction the caller already owns (each block only
    flushes): for a caller that can afford to hold it across a provider's calls,
    such as the demo loader or a test. Never for a request."""

    @contextmanager
    def unit() -> Iterator[Session]:
        yield session
        session.flush()

    return unit
