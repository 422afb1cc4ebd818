"""The request's unit of work, and routes that end it in the endpoint's own thread.

One rule for every endpoint: **the request's transaction commits when the endpoint
function returns, in the thread that ran it, after its answer is rendered; an error
rolls it back.** A newcomer's endpoint is a plain `def` taking `SessionDep` (or
`UnitsDep`, when it calls a provider between two transactions: `http.units`),
returning a response model or a `Response`; `docs/request-lifecycle.md` follows one
request from the socket to the commit.

How: a plain `def` endpoint runs in the thread pool, and every other hop between
the event loop and the pool (a `def` dependency, a commit) costs a thread switch
under the GIL, about 0.4 ms on a busy 2-core server (decisions.md 25). A `Route`
endpoint therefore does, in the one thread it already runs in:

- before its body: the work dependencies deferred to it (claiming an
  `Idempotency-Key`, `http.idempotency`);
- after its body: render the answer as FastAPI would (`Route.render`: validated
  against the response model, serialised by alias, the status and headers the
  endpoint set on its `Response` parameter), run the checks that must pass before a
  commit, then commit; or roll back when the body raised.

Only a route FastAPI must render itself (no response model, or a response class of
its own) commits when `get_session` exits, after FastAPI rendered it; the commit
still comes before the response is sent, and runs exactly once.
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
from fastapi.datastructures import DefaultPlaceholder
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
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
    """An API route whose `def` endpoint runs its request's deferred steps, renders
    its answer and ends its unit of work, all in its own thread."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self.defers = not inspect.iscoroutinefunction(endpoint)
        if self.defers:
            endpoint = _in_one_thread(endpoint, self)
        super().__init__(path, endpoint, **kwargs)

    def render(self, content: Any, arguments: dict[str, Any]) -> Any:
        """The endpoint's answer as FastAPI would send it (validated against the
        response model, serialised by alias, with the status and headers the endpoint
        set on its `Response` parameter); `content` unchanged where FastAPI must
        render it itself (no response model, or a response class of its own)."""
        field = self.response_field
        if field is None or not isinstance(self.response_class, DefaultPlaceholder):
            return content
        value, errors = field.validate(content, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=content)
        body = field.serialize_json(
            value,
            include=self.response_model_include,
            exclude=self.response_model_exclude,
            by_alias=self.response_model_by_alias,
            exclude_unset=self.response_model_exclude_unset,
            exclude_defaults=self.response_model_exclude_defaults,
            exclude_none=self.response_model_exclude_none,
        )
        sub = next((v for v in arguments.values() if isinstance(v, Response)), None)
        status_code = (sub.status_code if sub is not None else None) or self.status_code or 200
        response = Response(body, status_code=status_code, media_type="application/json")
        if not is_body_allowed_for_status_code(status_code):
            response.body = b""
        if sub is not None:
            response.headers.raw.extend(sub.headers.raw)
        return response


def defers(route: object) -> bool:
    """Whether the request's route runs deferred steps in its endpoint's thread."""
    return isinstance(route, Route) and route.defers


def _in_one_thread(endpoint: Callable[..., Any], route: Route) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        unit = _current.get()
        if unit is None:  # an endpoint without a session
            return endpoint(*args, **kwargs)
        try:
            for step in unit.before:
                step()
            result = endpoint(*args, **kwargs)
            if not isinstance(result, Response):
                result = route.render(result, kwargs)
        except BaseException as exc:
            if not unit.finish(exc):  # rolled back here, in this thread
                raise
            return None
        if isinstance(result, Response):
            unit.finish(None)  # after the answer is rendered: nothing reads the session later
        return result

    return run
