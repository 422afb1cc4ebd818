"""The request's unit of work, and routes that end it in the endpoint's own thread.

A plain `def` endpoint runs in the thread pool; every other hop between the event
loop and the pool (a `def` dependency, a commit) costs a thread switch under the
GIL, which measured about 0.4 ms per hop on a busy 2-core server (decisions.md 25).
A `Route` endpoint therefore does, in the one thread it already runs in, what would
otherwise take hops of its own:

- before its body: the work dependencies deferred to it (claiming an
  `Idempotency-Key`, `http.idempotency`);
- after its body, when it returned a rendered `Response` (nothing is left to read
  from the session): the checks that must pass before a commit, then the commit.

An endpoint that returns a model still commits when `get_session` exits, after
FastAPI has serialised the model from the open session. Either way the commit comes
before the response is sent, and runs exactly once.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from fastapi import Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from omnichannel.db.session import Turn

Step = Callable[[], None]


@dataclass(eq=False, slots=True)
class RequestUnit:
    """One request's unit of work (`db.unit_of_work`), ended exactly once."""

    unit: AbstractContextManager[Session]
    read_only: bool
    turn: Turn | None = None  # the request's turn at the database, given back at the end
    before: list[Step] = field(default_factory=list)  # in the endpoint's thread, first
    checks: list[Step] = field(default_factory=list)  # before a commit
    ended: bool = False

    def finish(self, exc: BaseException | None) -> bool:
        """Commit (no `exc`) or roll back; what `unit.__exit__` answers (False: re-raise).

        A failing check rolls back and raises; so does a failing commit. Either way
        the request's turn is given back: others may write from here on.
        """
        if self.ended:
            return False
        self.ended = True
        try:
            if exc is None:
                try:
                    for check in self.checks:
                        check()
                except BaseException as failed:
                    self.unit.__exit__(type(failed), failed, failed.__traceback__)
                    raise
            return bool(
                self.unit.__exit__(
                    type(exc) if exc else None, exc, exc.__traceback__ if exc else None
                )
            )
        finally:
            if self.turn is not None:
                self.turn.release()


_current: ContextVar[RequestUnit | None] = ContextVar("omni_request_unit", default=None)


def begin(unit: RequestUnit) -> None:
    """Make `unit` the current request's (the request's task owns its context)."""
    _current.set(unit)


def current_unit() -> RequestUnit | None:
    return _current.get()


class Route(APIRoute):
    """An API route whose `def` endpoint runs its request's deferred steps and, when
    it answers with a rendered `Response`, ends its unit of work in its own thread."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self.defers = not inspect.iscoroutinefunction(endpoint)
        if self.defers:
            endpoint = _in_one_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)


def defers(route: object) -> bool:
    """Whether the request's route runs deferred steps in its endpoint's thread."""
    return isinstance(route, Route) and route.defers


def _in_one_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        unit = _current.get()
        if unit is None:  # an endpoint without a session
            return endpoint(*args, **kwargs)
        for step in unit.before:
            step()
        result = endpoint(*args, **kwargs)
        if isinstance(result, Response):
            unit.finish(None)
        return result

    return run
