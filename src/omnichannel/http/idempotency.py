"""`Idempotency-Key` for requests that create things (promise 5).

An endpoint takes `RequiredIdempotency` (checkout) or `OptionalIdempotency` (other
creates: used when the client sends the header) and answers through it:

    def open_case(..., principal: Writer, idem: OptionalIdempotency, session: SessionDep):
        case = cases.open_case(session, ...)
        return idem.respond(201, CaseRead.of(case), headers={"Location": ...})

The key is claimed in the request's own transaction before the endpoint's body runs
(in the endpoint's own thread, for a `routing.Route`), and `respond` stores the
answer in it, so the change and its answer commit together or not at all; a claimed
key left unanswered fails the request before its commit, and any error rolls both
back so that a retry runs afresh. A repeat of an answered request never reaches the
endpoint's body: the same status, the same body bytes and the same headers go back,
with `Idempotent-Replayed: true` (`http.errors` renders the `Replay`). The same key
with another request is a 422, a repeat while the first is still running waits for
it and then replays (409 past the writer's wait). Declare it after the endpoint's
permission dependency, so that a caller is authorised before any answer is replayed
to them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from omnichannel.config import Settings
from omnichannel.db.idempotency import (
    HEADER,
    TTL,
    Answer,
    Claim,
    Replay,
    claim,
    release,
    store_answer,
)
from omnichannel.http.deps import PrincipalDep, SessionDep, SettingsDep
from omnichannel.http.routing import current_unit, defers
from omnichannel.kernel import Principal
from omnichannel.kernel.errors import DomainError

# The stored body may carry personal data (an order's address, a case's words): it is
# sealed at rest like every personal value (promise 7), with the key ring the
# application installed as `app.state.keyring` (a function: keys rotate).
SEALED_CONTEXT = "idempotency_keys.response"


class Sealer(Protocol):
    def seal(self, plaintext: str, *, context: str) -> str: ...

    def open(self, value: str, *, context: str) -> str: ...


_KEY = re.compile(r"[\x20-\x7e]{1,255}")


class IdempotencyKeyMissing(DomainError):
    status = 400
    code = "idempotency_key_missing"
    title = "Idempotency-Key required"


class IdempotencyKeyInvalid(DomainError):
    status = 400
    code = "idempotency_key_invalid"
    title = "Invalid Idempotency-Key"


class Idempotency:
    """The request's key (if any), claimed in its transaction; answer through `respond`."""

    def __init__(
        self, session: Session, claimed: Claim | None, keyring: Callable[[], Sealer]
    ) -> None:
        self._session = session
        self._claim = claimed
        self._keyring = keyring
        self._later = False
        self.answered = False

    @property
    def key(self) -> str | None:
        return self._claim.key if self._claim else None

    def respond(
        self,
        status_code: int,
        content: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        media_type: str = "application/json",
        session: Session | None = None,
    ) -> Response:
        """The endpoint's response; with a key, also stored as the answer to replay, in
        the request's transaction (or in `session`, a later one of the request's).

        `content` is a Pydantic model (serialised as FastAPI would, by alias), any
        JSON-able value, or None for an empty body.
        """
        body = _render(content)
        response = Response(body, status_code, headers=dict(headers or {}), media_type=media_type)
        if self._claim is not None:
            kept = {**(headers or {}), "content-type": response.headers["content-type"]}
            sealed = self._keyring().seal(body.decode(), context=SEALED_CONTEXT)
            store_answer(session or self._session, self._claim, Answer(status_code, sealed, kept))
        self.answered = True
        return response

    def answer_later(self) -> None:
        """The answer comes in a later transaction of this request (`respond(...,
        session=)`): the first one may commit the key unanswered. Meanwhile a repeat
        of the request is told it is still running (409 `idempotency_key_in_use`)."""
        self._later = True

    def forget(self, session: Session) -> None:
        """Give the key up in `session` (the request ends refused after its first
        transaction committed): a retry with it runs afresh."""
        if self._claim is not None:
            release(session, self._claim)
        self.answered = True

    def check_answered(self) -> None:
        """After the endpoint: a claimed key must have been answered through `respond`.

        Committing otherwise would leave the key "in flight" for a day; fail instead
        (the request's transaction rolls back)."""
        if self._claim is not None and not self.answered and not self._later:
            raise RuntimeError(
                f"{self._claim.operation} claimed an {HEADER} but answered without `respond()`."
            )


def _render(content: Any) -> bytes:
    if content is None:
        return b""
    if isinstance(content, BaseModel):
        return content.model_dump_json(by_alias=True).encode()
    encoded = jsonable_encoder(content)
    # As FastAPI's JSONResponse renders it.
    return json.dumps(encoded, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def request_hash(
    *, operation: str, path_params: Mapping[str, Any], query: list[tuple[str, str]], body: bytes
) -> str:
    """SHA-256 of what identifies a request: operation, path and query values, and the
    body as canonical JSON (so the client's whitespace and key order do not matter)."""
    try:
        parsed: Any = ["json", json.loads(body)] if body else ["empty"]
    except ValueError:  # not JSON (a form, a file): the bytes themselves
        parsed = ["bytes", hashlib.sha256(body).hexdigest()]
    doc = [
        operation,
        sorted((k, str(v)) for k, v in path_params.items()),
        sorted(query),
        parsed,
    ]
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise IdempotencyKeyInvalid(
            f"{HEADER} must be 1 to 255 printable ASCII characters.",
            errors=[
                {
                    "field": HEADER,
                    "message": "1 to 255 printable ASCII characters",
                    "type": "invalid_idempotency_key",
                }
            ],
        )
    return key


_ABOUT_THE_KEY = (
    "A unique value per request (e.g. a UUID), at most 255 printable ASCII characters. "
    "Sending the same request again with the same key returns the first answer "
    f"(with `Idempotent-Replayed: true`); keys are kept {TTL.total_seconds() / 3600:g} hours."
)
# Checked by `_checked` (a 400 naming the header), documented here.
_KEY_SCHEMA: dict[str, Any] = {"minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"}
RequiredKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER, description="**Required.** " + _ABOUT_THE_KEY, json_schema_extra=_KEY_SCHEMA
    ),
]
OptionalKeyHeader = Annotated[
    str | None, Header(alias=HEADER, description=_ABOUT_THE_KEY, json_schema_extra=_KEY_SCHEMA)
]


async def _claimed(
    request: Request,
    session: Session,
    principal: Principal,
    settings: Settings,
    key: str | None,
    *,
    required: bool,
) -> Idempotency:
    """Claim the key in the request's transaction, or raise `Replay` with its answer:
    in the endpoint's own thread right before its body (a `routing.Route`), or here."""
    keyring: Callable[[], Sealer] = request.app.state.keyring
    if key is None:
        if required:
            raise IdempotencyKeyMissing(
                f"This request creates something: send an {HEADER} header (e.g. a new UUID) "
                "so that a retry cannot do it twice.",
                errors=[{"field": HEADER, "message": "required", "type": "missing"}],
            )
        return Idempotency(session, None, keyring)
    route = request.scope.get("route")
    operation = f"{request.method} {getattr(route, 'path', request.url.path)}"
    asked = Claim(
        scope=principal.actor,
        key=_checked(key),
        operation=operation,
        request_hash=request_hash(
            operation=operation,
            path_params=request.path_params,
            query=request.query_params.multi_items(),
            body=await request.body(),  # read (and kept) by FastAPI already
        ),
    )
    idem = Idempotency(session, asked, keyring)
    wait_ms = settings.sqlite_busy_timeout_ms

    def claim_or_replay() -> None:
        found = claim(session, asked, wait_ms=wait_ms)
        if found is not None:
            plain = keyring().open(found.body, context=SEALED_CONTEXT)
            raise Replay(Answer(found.status_code, plain, found.headers))

    # The commit waits for the answer: a claimed key left unanswered would stay "in
    # flight" for a day.
    unit = current_unit()
    if unit is None:
        raise RuntimeError("Idempotency needs the request's session (SessionDep).")
    unit.checks.append(idem.check_answered)
    if defers(request.scope.get("route")):
        unit.before.append(claim_or_replay)  # in the endpoint's thread, before its body
    else:
        await run_in_threadpool(claim_or_replay)
    return idem


async def required_idempotency(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    key: RequiredKeyHeader = None,
) -> Idempotency:
    return await _claimed(request, session, principal, settings, key, required=True)


async def optional_idempotency(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    key: OptionalKeyHeader = None,
) -> Idempotency:
    return await _claimed(request, session, principal, settings, key, required=False)


RequiredIdempotency = Annotated[Idempotency, Depends(required_idempotency)]
OptionalIdempotency = Annotated[Idempotency, Depends(optional_idempotency)]
