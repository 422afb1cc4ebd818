"""Segments over HTTP. Marketing defines them and sees their sizes
(`customers:segments`). Who is in a segment is people: seeing them takes the segment
right and `customers:read` too, and putting someone in (or out of) a manual segment
the segment right and `customers:write` (a segment can carry a price list: a cashier
must not make a friend an employee). The segments of one customer are part of
reading that customer (`customers:read`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy.orm import Session

from omnichannel.customers import records, segments
from omnichannel.customers.api_deps import Reader
from omnichannel.customers.models import Segment
from omnichannel.customers.schemas_segments import (
    CustomerSegments,
    MemberPage,
    Recomputed,
    SegmentCreate,
    SegmentRead,
    SegmentUpdate,
)
from omnichannel.http.deps import (
    IfMatch,
    PrincipalDep,
    SessionDep,
    etag,
    parse_if_match,
    permitted,
    require,
)
from omnichannel.http.errors import problem_responses
from omnichannel.http.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["segments"])

Marketer = Annotated[Principal, Depends(require(Permission.CUSTOMERS_SEGMENTS))]


def _members_with(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency for members of segments: the segment right and `permission` too."""

    async def check(principal: PrincipalDep) -> Principal:
        return permitted(permitted(principal, Permission.CUSTOMERS_SEGMENTS), permission)

    check.__name__ = f"require_segments_and_{permission.replace(':', '_')}"
    return check


MemberReader = Annotated[Principal, Depends(_members_with(Permission.CUSTOMERS_READ))]
MemberWriter = Annotated[Principal, Depends(_members_with(Permission.CUSTOMERS_WRITE))]

_READ = problem_responses(401, 403, 404, 422)
_WRITE = problem_responses(401, 403, 404, 409, 422)


def _read(session: Session, segment: Segment) -> SegmentRead:
    return _reads(session, [segment])[0]


def _reads(session: Session, found: list[Segment]) -> list[SegmentRead]:
    counts = segments.sizes(session, [s.id for s in found])
    return [
        SegmentRead(
            id=s.id,
            code=s.code,
            name=s.name,
            kind="rule" if s.kind == "rule" else "manual",
            rules=s.rules,
            members=counts[s.id],
            recomputed_at=s.recomputed_at,
            version=s.version,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )
        for s in found
    ]


@router.post(
    "/segments",
    response_model=SegmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Define a segment (rule-based or manual)",
    responses=problem_responses(401, 403, 409, 422),
)
def create_segment(data: SegmentCreate, _: Marketer, session: SessionDep) -> SegmentRead:
    return _read(session, segments.create_segment(session, data=data))


@router.get(
    "/segments",
    response_model=list[SegmentRead],
    summary="Every segment with its size",
    responses=problem_responses(401, 403),
)
def list_segments(_: Marketer, session: SessionDep) -> list[SegmentRead]:
    return _reads(session, segments.list_segments(session))


@router.post(
    "/segments/recompute",
    response_model=list[Recomputed],
    summary="Recompute every rule segment now",
    responses=problem_responses(401, 403),
)
def recompute_all(_: Marketer, session: SessionDep) -> list[Recomputed]:
    return [
        Recomputed(**vars(segments.recompute(session, code=code)))
        for code in segments.rule_codes(session)
    ]


@router.get("/segments/{code}", response_model=SegmentRead, summary="One segment", responses=_READ)
def get_segment(code: str, _: Marketer, session: SessionDep, response: Response) -> SegmentRead:
    segment = segments.get_segment(session, code=code)
    response.headers["ETag"] = etag(segment.version)
    return _read(session, segment)


@router.patch(
    "/segments/{code}",
    response_model=SegmentRead,
    summary="Rename a segment or change its rules",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def update_segment(
    code: str, data: SegmentUpdate, _: Marketer, session: SessionDep, if_match: IfMatch = None
) -> SegmentRead:
    segment = segments.update_segment(
        session, code=code, data=data, if_version=parse_if_match(if_match)
    )
    return _read(session, segment)


@router.delete(
    "/segments/{code}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a segment",
    responses=problem_responses(401, 403, 404),
)
def delete_segment(code: str, _: Marketer, session: SessionDep) -> Response:
    segments.delete_segment(session, code=code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/segments/{code}/recompute",
    response_model=Recomputed,
    summary="Recompute a rule segment now",
    responses=problem_responses(401, 403, 404, 409),
)
def recompute(code: str, _: Marketer, session: SessionDep) -> Recomputed:
    return Recomputed(**vars(segments.recompute(session, code=code)))


@router.get(
    "/segments/{code}/members",
    response_model=MemberPage,
    summary="Who is in a segment (customer ids)",
    responses=_READ,
)
def members(
    code: str,
    _: MemberReader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> MemberPage:
    found = segments.members(session, code=code, after=decode_cursor(cursor), limit=limit)
    page = found[:limit]
    return MemberPage(
        items=page, next_cursor=encode_cursor(page[-1]) if len(found) > limit else None
    )


@router.put(
    "/segments/{code}/members/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Put a customer in a manual segment",
    responses=_WRITE,
)
def add_member(code: str, customer_id: uuid.UUID, _: MemberWriter, session: SessionDep) -> Response:
    segments.add_member(session, code=code, customer_id=customer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/segments/{code}/members/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a customer out of a manual segment",
    responses=_WRITE,
)
def remove_member(
    code: str, customer_id: uuid.UUID, _: MemberWriter, session: SessionDep
) -> Response:
    segments.remove_member(session, code=code, customer_id=customer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/customers/{customer_id}/segments",
    response_model=CustomerSegments,
    summary="The segments a customer is in",
    responses=_READ,
)
def customer_segments(customer_id: uuid.UUID, _: Reader, session: SessionDep) -> CustomerSegments:
    cid = records.resolve(session, customer_id).id
    return CustomerSegments(
        customer_id=cid, segments=segments.segments_of(session, customer_id=cid)
    )
