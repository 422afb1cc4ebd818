"""Request dependencies: the unit of work, who is asking, and what they may do.

Domain routers use the `Annotated` aliases below; the request owns the transaction
(commit at the end, rollback on any error), services only flush.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Protocol

import anyio.to_thread
from fastapi import Depends, Header, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from omnichannel.config import Settings
from omnichannel.db import Database, unit_of_work
from omnichannel.http.routing import RequestUnit, begin
from omnichannel.kernel import Forbidden, Principal, Unauthenticated
from omnichannel.kernel.auth import OutsideYourLocations

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Mark a POST that only reads (a query too big for a URL) with
# `openapi_extra=READS_ONLY`: it then runs in a read-only transaction too.
READS_ONLY = {"x-read-only": True}

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="Staff: a token from `POST /api/v1/auth/login`. Customers: an `omct_` token "
    "from `POST /api/v1/customers/auth/login`.",
)
api_key_scheme = APIKeyHeader(
    name="X-Api-Key", auto_error=False, description="Channels: an API key issued to the channel."
)


# Dependencies that only look at what the request already holds are `async def`: a
# plain `def` dependency costs a hop to the thread pool and back, per request.


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> AsyncIterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back
    when it raises. Safe methods read without taking the writer lock."""
    route = request.scope.get("route")
    marked = bool((getattr(route, "openapi_extra", None) or {}).get("x-read-only"))
    async with _unit_of(db, read_only=request.method in _SAFE_METHODS or marked) as session:
        yield session


async def get_writing_session(
    db: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[Session]:
    """Like `get_session`, but a writer's whatever the method: a read that must record
    itself (an audit row) in its own transaction."""
    async with _unit_of(db, read_only=False) as session:
        yield session


@asynccontextmanager
async def _unit_of(db: Database, *, read_only: bool) -> AsyncIterator[Session]:
    """The request's unit of work.

    A request first waits its turn on the event loop (`Database.turn`: a free pool
    connection, and on SQLite the writer's turn), holding no thread; the commit and
    the rollback run in the thread pool, never on the event loop: in the endpoint's
    own thread when a `routing.Route` endpoint answers with a rendered response,
    otherwise here.
    """
    turn = await db.take_turn(writes=not read_only)
    try:
        # no I/O yet: the transaction begins at the first statement
        current = RequestUnit(unit_of_work(db, read_only=read_only), read_only, turn)
        session = current.unit.__enter__()
    except BaseException:
        turn.release()
        raise
    begin(current)
    try:
        yield session
    except GeneratorExit as exc:  # closed without an answer: no awaiting here
        current.finish(exc)
        raise
    except BaseException as exc:
        if current.ended or not await anyio.to_thread.run_sync(current.finish, exc):
            raise
    else:
        if not current.ended:
            await anyio.to_thread.run_sync(current.finish, None)
    finally:
        turn.release()  # once: a unit that ended early gave it back already


# scope="function": the transaction commits when the endpoint returns, before the
# response is sent, so a client never sees a 201 for a change whose commit failed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


class Authenticator(Protocol):
    """Who a credential belongs to: exactly one of a bearer token or an API key."""

    def __call__(
        self, session: Session, *, bearer: str | None, api_key: str | None
    ) -> Principal: ...


def get_principal(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    """Authenticate the caller: a staff or customer bearer token, or a channel API key,
    through the `Authenticator` the application installed as `app.state.authenticate`."""
    if bearer is not None and api_key is not None:
        raise Unauthenticated("Send either a bearer token or an API key, not both.")
    if bearer is None and api_key is None:
        raise Unauthenticated("This endpoint needs a bearer token or a channel API key.")
    authenticate: Authenticator = request.app.state.authenticate
    principal = authenticate(
        session, bearer=bearer.credentials if bearer is not None else None, api_key=api_key
    )
    session.info["actor"] = principal.actor
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]

# A read that writes its audit row (personal data): a writer's transaction even for GET.
AuditedSession = Annotated[Session, Depends(get_writing_session, scope="function")]


def _audited_principal(
    request: Request,
    session: AuditedSession,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    return get_principal(request, session, bearer, api_key)


def permitted(principal: Principal, permission: str) -> Principal:
    """The principal, if it holds `permission`; otherwise 403 naming what is missing."""
    if not principal.can(permission):
        who = {
            "staff": f"role {principal.role}",
            "channel": f"this API key of channel {principal.channel_code}",
            "customer": "a signed-in customer",
        }[principal.kind]
        raise Forbidden(f"{who} may not do this (needs {permission}).", required=permission)
    return principal


def require(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only principals holding `permission`."""

    async def check(principal: PrincipalDep) -> Principal:
        return permitted(principal, permission)

    check.__name__ = f"require_{permission.replace(':', '_')}"
    return check


def audited(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Like `require`, for endpoints that take `AuditedSession`: the caller is
    authenticated in that writer's session, so the request opens one, not two."""

    async def check(principal: Annotated[Principal, Depends(_audited_principal)]) -> Principal:
        return permitted(principal, permission)

    check.__name__ = f"audited_{permission.replace(':', '_')}"
    return check


def require_staff(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Like `require`, for staff only: back-office reads (the stock ledger, price lists
    and promotions) that no channel needs, whatever scope its key carries."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.kind != "staff":
            raise Forbidden(
                f"This is a back-office read for staff (needs {permission}); a channel or a "
                "customer reads what it shows through its own endpoints.",
                required=permission,
            )
        return permitted(principal, permission)

    check.__name__ = f"require_staff_{permission.replace(':', '_')}"
    return check


def require_location_access(principal: Principal, location_id: uuid.UUID) -> None:
    """Scoped roles act only on their own stores or warehouses (the same refusal as
    `security.reach` gives for orders, carts and holds)."""
    if not principal.can_act_on_location(location_id):
        raise OutsideYourLocations(
            f"Your role is scoped to other locations than {location_id}.",
            location_id=str(location_id),
        )


def channel_only(principal: Principal) -> Principal:
    """The principal, if it is a channel authenticated by its API key."""
    if principal.kind != "channel":
        raise Forbidden("This endpoint is for channels: authenticate with the channel's API key.")
    return principal


async def get_channel_principal(principal: PrincipalDep) -> Principal:
    """Only a channel, authenticated by its API key."""
    return channel_only(principal)


ChannelDep = Annotated[Principal, Depends(get_channel_principal)]


def customer_only(principal: Principal) -> Principal:
    """The principal, if it is a customer signed in with their own bearer token."""
    if principal.kind != "customer":
        raise Forbidden(
            "This endpoint is for signed-in customers: authenticate with the customer's token."
        )
    return principal


async def get_customer_principal(principal: PrincipalDep) -> Principal:
    """Only a signed-in customer (an `omct_` bearer token)."""
    return customer_only(principal)


CustomerDep = Annotated[Principal, Depends(get_customer_principal)]


def etag(version: int) -> str:
    """The weak ETag of an aggregate at a version."""
    return f'W/"{version}"'


def parse_if_match(if_match: str | None) -> int | None:
    """The version an If-Match header names; None when absent or `*`, -1 when foreign."""
    if not if_match or if_match.strip() == "*":
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    return int(raw) if raw.isdigit() else -1


IfMatch = Annotated[
    str | None,
    Header(
        description='ETag from an earlier GET, e.g. `W/"3"`; the write fails with 412 if it changed.'
    ),
]

CartToken = Annotated[
    str | None,
    Header(
        alias="X-Cart-Token",
        max_length=100,
        description="The token of an anonymous cart, or of a cart opened by handoff code.",
    ),
]
