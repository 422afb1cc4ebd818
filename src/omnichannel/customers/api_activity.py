"""The timeline and service cases over HTTP, and the events endpoint web and app call."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from omnichannel.customers import audit, cases, records, timeline
from omnichannel.customers.api_deps import (
    AuditedReader,
    AuditedSession,
    Writer,
    channel_of,
    reveals,
    staff_id,
)
from omnichannel.customers.models import ServiceCase
from omnichannel.customers.rules import CaseStatus, Department, TimelineType
from omnichannel.customers.schemas_activity import (
    CaseCreate,
    CaseMessageIn,
    CaseMessageRead,
    CasePage,
    CaseRead,
    CaseUpdate,
    ChannelEvents,
    Ingested,
    TimelineEntryRead,
    TimelineNote,
    TimelinePage,
)
from omnichannel.http.deps import ChannelDep, IfMatch, SessionDep, etag, parse_if_match, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.idempotency import OptionalIdempotency
from omnichannel.http.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route)

EventSender = Annotated[Principal, Depends(require(Permission.CUSTOMERS_EVENTS))]

_READ = problem_responses(401, 403, 404, 422)
_WRITE = problem_responses(401, 403, 404, 409, 422)


# --- timeline -------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/timeline",
    response_model=TimelinePage,
    tags=["customer timeline"],
    summary="A customer's interactions in every channel, newest first",
    responses=_READ,
)
def get_timeline(
    customer_id: uuid.UUID,
    principal: AuditedReader,
    session: AuditedSession,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    type_: Annotated[
        list[TimelineType] | None, Query(alias="type", description="Only these kinds.")
    ] = None,
    channel: Annotated[
        list[str] | None, Query(max_length=20, description="Only these channel codes.")
    ] = None,
) -> TimelinePage:
    customer = records.resolve(session, customer_id)
    reveal = reveals(principal)
    found = timeline.entries(
        session,
        customer_id=customer.id,
        types=type_ or [],
        channels=channel or [],
        cursor=cursor,
        limit=limit,
    )
    page = found[:limit]
    if reveal and page:
        audit.record(
            session,
            action=audit.Action.READ,
            customer_ids=[customer.id],
            fields=["timeline"],
            purpose="timeline",
        )
    return TimelinePage(
        items=[TimelineEntryRead.of(e, reveal=reveal) for e in page],
        next_cursor=timeline.encode_cursor(page[-1]) if len(found) > limit else None,
    )


@router.post(
    "/customers/{customer_id}/timeline",
    response_model=TimelineEntryRead,
    status_code=status.HTTP_201_CREATED,
    tags=["customer timeline"],
    summary="Record a call with notes, a visit, a complaint",
    responses=_WRITE,
)
def add_note(
    customer_id: uuid.UUID, data: TimelineNote, principal: Writer, session: SessionDep
) -> TimelineEntryRead:
    entry = timeline.record_note(
        session, customer_id=customer_id, data=data, staff_id=staff_id(principal)
    )
    return TimelineEntryRead.of(entry, reveal=reveals(principal))


@router.post(
    "/customer-events",
    response_model=Ingested,
    status_code=status.HTTP_201_CREATED,
    tags=["customer timeline"],
    summary="Web and app: send interactions (product viewed, cart abandoned, ...)",
    responses=problem_responses(401, 403, 409, 422),
)
def ingest_events(
    data: ChannelEvents, _: EventSender, channel: ChannelDep, session: SessionDep
) -> Ingested:
    code = channel.channel_code or str(channel.id)  # a channel principal always has its code
    return Ingested(ids=timeline.ingest(session, channel=code, events=data.events))


# --- service cases --------------------------------------------------------------------


@router.post(
    "/customers/{customer_id}/cases",
    response_model=CaseRead,
    status_code=status.HTTP_201_CREATED,
    tags=["service cases"],
    summary="Open a service case for a customer",
    responses=_WRITE,
)
def open_case(
    customer_id: uuid.UUID,
    data: CaseCreate,
    principal: Writer,
    idem: OptionalIdempotency,
    session: SessionDep,
) -> Response:
    case = cases.open_case(
        session,
        customer_id=customer_id,
        data=data,
        channel=channel_of(principal, data.channel),
        author=principal.actor,
    )
    _, messages = cases.get_case(session, case_id=case.id, reveal=False)
    return idem.respond(
        status.HTTP_201_CREATED,
        CaseRead.of(case, messages, reveal=reveals(principal)),
        headers={"ETag": etag(case.version), "Location": f"/api/v1/cases/{case.id}"},
    )


def _case_page(found: list[ServiceCase], limit: int, reveal: bool) -> CasePage:
    page = found[:limit]
    return CasePage(
        items=[CaseRead.of(c, reveal=reveal) for c in page],
        next_cursor=encode_cursor(page[-1].id) if len(found) > limit else None,
    )


StatusQuery = Annotated[list[CaseStatus] | None, Query(alias="status", description="Any of.")]
OpenQuery = Annotated[bool, Query(alias="open", description="Only open cases.")]


@router.get(
    "/customers/{customer_id}/cases",
    response_model=CasePage,
    tags=["service cases"],
    summary="A customer's service cases",
    responses=_READ,
)
def customer_cases(
    customer_id: uuid.UUID,
    principal: AuditedReader,
    session: AuditedSession,
    status_: StatusQuery = None,
    open_only: OpenQuery = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> CasePage:
    found = cases.list_cases(
        session,
        reveal=reveals(principal),
        customer_id=customer_id,
        statuses=status_ or [],
        open_only=open_only,
        after=decode_cursor(cursor),
        limit=limit,
    )
    return _case_page(found, limit, reveals(principal))


@router.get(
    "/cases",
    response_model=CasePage,
    tags=["service cases"],
    summary="Service cases: a queue by status, assignee or department",
    responses=problem_responses(401, 403, 422),
)
def list_cases(
    principal: AuditedReader,
    session: AuditedSession,
    status_: StatusQuery = None,
    open_only: OpenQuery = False,
    assigned_to: Annotated[uuid.UUID | None, Query(description="Staff user id.")] = None,
    department: Department | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> CasePage:
    found = cases.list_cases(
        session,
        reveal=reveals(principal),
        statuses=status_ or [],
        open_only=open_only,
        assigned_staff_id=assigned_to,
        department=department.value if department else None,
        after=decode_cursor(cursor),
        limit=limit,
    )
    return _case_page(found, limit, reveals(principal))


@router.get(
    "/cases/{case_id}",
    response_model=CaseRead,
    tags=["service cases"],
    summary="One service case with its messages",
    responses=_READ,
)
def get_case(
    case_id: uuid.UUID, principal: AuditedReader, session: AuditedSession, response: Response
) -> CaseRead:
    case, messages = cases.get_case(session, case_id=case_id, reveal=reveals(principal))
    response.headers["ETag"] = etag(case.version)
    return CaseRead.of(case, messages, reveal=reveals(principal))


@router.patch(
    "/cases/{case_id}",
    response_model=CaseRead,
    tags=["service cases"],
    summary="Move a case along, re-assign it, change its deadline",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def update_case(
    case_id: uuid.UUID,
    data: CaseUpdate,
    principal: Writer,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> CaseRead:
    case = cases.update_case(
        session,
        case_id=case_id,
        data=data,
        if_version=parse_if_match(if_match),
        staff_id=staff_id(principal),
    )
    response.headers["ETag"] = etag(case.version)
    return CaseRead.of(case, reveal=reveals(principal))


@router.post(
    "/cases/{case_id}/messages",
    response_model=CaseMessageRead,
    status_code=status.HTTP_201_CREATED,
    tags=["service cases"],
    summary="Add the customer's words, a reply or an internal note",
    responses=_WRITE,
)
def add_message(
    case_id: uuid.UUID, data: CaseMessageIn, principal: Writer, session: SessionDep
) -> CaseMessageRead:
    message = cases.add_message(
        session,
        case_id=case_id,
        data=data,
        author=principal.actor,
        channel=channel_of(principal, None),
        staff_id=staff_id(principal),
    )
    return CaseMessageRead.of(message, reveal=reveals(principal))
