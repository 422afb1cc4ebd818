"""Stored answers of requests sent with an `Idempotency-Key` (promise 5).

A key belongs to whoever sent it (the principal's actor), so one caller can never
replay another's answer. The row is claimed in the same transaction as the change
the request makes: the answer and the change commit together or not at all, and a
failure rolls the claim back so that a retry runs afresh. A duplicate that arrives
while the first is running waits for it (PostgreSQL: on the unique index; SQLite:
for the one writer) and then replays the stored answer. Rows are kept for `TTL`
and then swept.

Two statements per request: the claim (`claim`) and the answer (`store_answer`);
both run as `Prepared` statements because checkout, the hottest create, pays them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    delete,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from omnichannel.db.base import Base
from omnichannel.db.prepared import Prepared
from omnichannel.db.types import JSONDoc, UTCDateTime
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import Conflict, DomainError

TTL = timedelta(hours=24)
SWEEP_BATCH = 1000

HEADER = "Idempotency-Key"


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(128), primary_key=True)  # the principal's actor
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(200))  # method and route template
    request_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical request
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while in flight
    # The body exactly as sent (sealed by the API: it may carry personal data). TEXT,
    # not JSON: JSONB reorders keys, and a replay must be byte for byte the first answer.
    response: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)


_keys: Table = IdempotencyKey.__table__  # type: ignore[assignment]


# --- errors --------------------------------------------------------------------------


class IdempotencyKeyReused(DomainError):
    """The key was first sent with another request: replaying would answer a different one."""

    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused"


class IdempotencyKeyInUse(Conflict):
    """The first request with this key is still running (or held it past the wait)."""

    code = "idempotency_key_in_use"
    title = "Idempotency-Key in use"


@dataclass(frozen=True, slots=True)
class Answer:
    """A stored answer: what a replay sends back."""

    status_code: int
    body: str  # as stored: the API seals and opens it
    headers: dict[str, str]


class Replay(Exception):
    """The request was answered before: send `answer` instead of running it again."""

    replayed_header: ClassVar[str] = "Idempotent-Replayed"

    def __init__(self, answer: Answer) -> None:
        super().__init__(f"replay of a stored {answer.status_code} answer")
        self.answer = answer


@dataclass(frozen=True, slots=True)
class Claim:
    """Who asks (scope), with which key, for what (operation and request hash)."""

    scope: str
    key: str
    operation: str
    request_hash: str


# --- statements ------------------------------------------------------------------------

# Insert the key, or take over one that expired and was not swept yet; a live row
# makes the statement return nothing. On PostgreSQL a duplicate whose first is still
# running waits on the unique index for it. `lock_timeout` bounds that wait, set and
# restored inside the statement itself (no extra round trip): the WHERE sets it
# (keeping the previous value in `omni.lock_timeout`) before the row is inserted, and
# RETURNING, evaluated only for a row we claimed, puts it back. After a conflict it
# stays set until the request ends, which then only reads the stored answer.
_CLAIM_PG = Prepared(
    text(
        """
INSERT INTO idempotency_keys (scope, key, operation, request_hash, created_at, expires_at)
SELECT :scope, :key, :operation, :request_hash, :now, :expires_at
 WHERE set_config('lock_timeout', :wait || left(set_config(
           'omni.lock_timeout', current_setting('lock_timeout'), true), 0), true) IS NOT NULL
ON CONFLICT (scope, key) DO UPDATE
   SET operation = excluded.operation, request_hash = excluded.request_hash,
       status_code = NULL, response = NULL, headers = NULL,
       created_at = excluded.created_at, expires_at = excluded.expires_at
 WHERE idempotency_keys.expires_at <= excluded.created_at
RETURNING set_config('lock_timeout', current_setting('omni.lock_timeout'), true)
"""
    ).bindparams(
        bindparam("now", type_=UTCDateTime()),
        bindparam("expires_at", type_=UTCDateTime()),
    )
)
# SQLite has one writer at a time (BEGIN IMMEDIATE, `Database.writing`): a duplicate
# runs after the first committed and finds its row. Nothing to bound.
_CLAIM_SQLITE = Prepared(
    text(
        """
INSERT INTO idempotency_keys (scope, key, operation, request_hash, created_at, expires_at)
VALUES (:scope, :key, :operation, :request_hash, :now, :expires_at)
ON CONFLICT (scope, key) DO UPDATE
   SET operation = excluded.operation, request_hash = excluded.request_hash,
       status_code = NULL, response = NULL, headers = NULL,
       created_at = excluded.created_at, expires_at = excluded.expires_at
 WHERE idempotency_keys.expires_at <= excluded.created_at
RETURNING 1
"""
    ).bindparams(
        bindparam("now", type_=UTCDateTime()),
        bindparam("expires_at", type_=UTCDateTime()),
    )
)

_STORE = Prepared(
    update(_keys)
    .where(_keys.c.scope == bindparam("b_scope"), _keys.c.key == bindparam("b_key"))
    .values(
        status_code=bindparam("status_code"),
        response=bindparam("response"),
        headers=bindparam("headers"),
    )
)

_LOCK_NOT_AVAILABLE = "55P03"


def claim(
    session: Session, claim: Claim, *, now: datetime | None = None, wait_ms: int = 5000
) -> Answer | None:
    """Claim the key in the session's transaction: None when this request is the first
    (run it, then `store_answer`), or the stored answer to replay.

    Raises `IdempotencyKeyReused` (422) when the key was sent with another request,
    and `IdempotencyKeyInUse` (409) when its first request is still running after
    `wait_ms` (PostgreSQL) or never stored an answer.
    """
    now = now or utcnow()
    values: dict[str, Any] = {
        "scope": claim.scope,
        "key": claim.key,
        "operation": claim.operation[:200],
        "request_hash": claim.request_hash,
        "now": now,
        "expires_at": now + TTL,
    }
    postgres = session.get_bind().dialect.name == "postgresql"
    try:
        if postgres:
            claimed = _CLAIM_PG.execute(session, {**values, "wait": f"{max(wait_ms, 1)}ms"})
        else:
            claimed = _CLAIM_SQLITE.execute(session, values)
    except Exception as e:  # raw driver errors: Prepared runs on the DBAPI cursor
        if _sqlstate(e) == _LOCK_NOT_AVAILABLE:
            raise _in_use(waited_ms=wait_ms) from None
        raise
    if claimed:
        return None
    row = session.execute(
        select(_keys.c.request_hash, _keys.c.status_code, _keys.c.response, _keys.c.headers).where(
            _keys.c.scope == claim.scope, _keys.c.key == claim.key
        )
    ).one_or_none()
    if row is None:  # swept between the two statements: let the caller retry
        raise _in_use()
    if row.request_hash != claim.request_hash:
        raise IdempotencyKeyReused(
            f"This {HEADER} was first sent with a different request; send a new key for a new "
            "request.",
            errors=[
                {"field": HEADER, "message": "used before for another request", "type": "reused"}
            ],
        )
    if row.status_code is None or row.response is None:
        raise _in_use()
    return Answer(row.status_code, row.response, dict(row.headers or {}))


def store_answer(session: Session, claim: Claim, answer: Answer) -> None:
    """Record the answer to a claimed key, in the same transaction as the claim."""
    _STORE.execute(
        session,
        {
            "b_scope": claim.scope,
            "b_key": claim.key,
            "status_code": answer.status_code,
            "response": answer.body,
            "headers": answer.headers,
        },
    )


def release(session: Session, claim: Claim) -> None:
    """Give up a claimed key that was never answered (the request that claimed it
    ended refused after committing its first transaction): a retry runs afresh."""
    session.execute(
        delete(_keys).where(
            _keys.c.scope == claim.scope,
            _keys.c.key == claim.key,
            _keys.c.status_code.is_(None),
        )
    )


def release_abandoned(
    session: Session, *, older_than: timedelta, now: datetime | None = None
) -> int:
    """Give up keys committed unanswered longer ago than `older_than`; how many.

    Only a request that calls out between two transactions commits its key before
    answering (`http.units`); one whose process died in between leaves it so, and
    its repeats would be told "still running" until the key expired. Once the
    worker has settled what that request left (`older_than`: the pending-payment
    expiry), a repeat runs afresh instead.
    """
    cutoff = (now or utcnow()) - older_than
    result = session.execute(
        delete(_keys).where(_keys.c.status_code.is_(None), _keys.c.created_at <= cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def sweep_expired(
    session: Session, *, now: datetime | None = None, batch: int = SWEEP_BATCH
) -> int:
    """Delete up to `batch` expired keys (oldest first); how many went.

    Call again while it returns `batch`: one short transaction per batch.
    """
    now = now or utcnow()
    oldest = (
        select(_keys.c.scope, _keys.c.key)
        .where(_keys.c.expires_at <= now)
        .order_by(_keys.c.expires_at)
        .limit(batch)
    )
    # The outer condition is checked again on a row a concurrent claim has just taken
    # over (PostgreSQL re-reads it), so a live key is never deleted.
    result = session.execute(
        delete(_keys).where(
            tuple_(_keys.c.scope, _keys.c.key).in_(oldest),
            _keys.c.expires_at <= now,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _in_use(*, waited_ms: int | None = None) -> IdempotencyKeyInUse:
    waited = f" (waited {waited_ms} ms)" if waited_ms is not None else ""
    return IdempotencyKeyInUse(
        f"The first request with this {HEADER} is still being processed{waited}; retry "
        "shortly to receive its answer.",
        retry_after=1,
    )


def _sqlstate(error: BaseException) -> str | None:
    orig = error.orig if isinstance(error, DBAPIError) else error
    state = getattr(orig, "sqlstate", None)
    return state if isinstance(state, str) else None


__all__ = [
    "HEADER",
    "TTL",
    "Answer",
    "Claim",
    "IdempotencyKey",
    "IdempotencyKeyInUse",
    "IdempotencyKeyReused",
    "Replay",
    "claim",
    "release",
    "release_abandoned",
    "store_answer",
    "sweep_expired",
]
