"""Outbox consumers over HTTP: their backlog, parked events, replay (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from omnichannel.events import service
from omnichannel.events.schemas import ConsumerRead, ParkedPage, ParkedRead
from omnichannel.http.deps import SessionDep, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.pagination import CursorQuery, LimitQuery, page_of
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, prefix="/events", tags=["events"])

Admin = Annotated[Principal, Depends(require(Permission.EVENTS_ADMIN))]
ParkedId = Annotated[
    int, Path(ge=1, le=2**63 - 1, description="The parked event's id (a 64-bit number).")
]


def _after(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.isdigit():
        raise InvalidInput(
            "The cursor is not one this API issued.",
            errors=[{"field": "cursor", "message": "malformed cursor", "type": "invalid_cursor"}],
        )
    return int(cursor)


@router.get(
    "/consumers",
    response_model=list[ConsumerRead],
    summary="Outbox consumers: position, backlog and its age, parked events, leases",
    responses=problem_responses(401, 403, 404, 422),
)
def list_consumers(
    _: Admin,
    session: SessionDep,
    consumer: Annotated[str | None, Query(max_length=100, description="Only this one.")] = None,
) -> list[ConsumerRead]:
    now = utcnow()
    return [ConsumerRead.of(c, now) for c in service.status(session, consumer=consumer)]


@router.get(
    "/parked",
    response_model=ParkedPage,
    summary="Events a consumer gave up on, oldest first",
    responses=problem_responses(401, 403, 422),
)
def list_parked(
    _: Admin,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    consumer: Annotated[str | None, Query(max_length=100, description="Only this one's.")] = None,
    include_replayed: Annotated[bool, Query(description="Replayed ones too.")] = False,
) -> ParkedPage:
    rows = service.parked_events(
        session,
        consumer=consumer,
        include_replayed=include_replayed,
        after=_after(cursor),
        limit=limit,
    )
    items, next_cursor = page_of(rows, limit, cursor_of=lambda p: str(p.id))
    return ParkedPage(items=[ParkedRead.model_validate(p) for p in items], next_cursor=next_cursor)


@router.post(
    "/parked/{parked_id}/replay",
    response_model=ParkedRead,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Deliver a parked event again (its consumer does, on its next run)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def replay(parked_id: ParkedId, _: Admin, session: SessionDep) -> ParkedRead:
    return ParkedRead.model_validate(service.replay(session, parked_id=parked_id))
