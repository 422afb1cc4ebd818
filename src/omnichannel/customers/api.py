"""Customer profiles over HTTP: create, read, change, identities, addresses,
consents, lookup by identity, checkout resolution, merge and the Customer 360.

Personal fields come back only to callers with `customers:pii`, and each such read is
in the audit log; everyone else gets the same shapes with those fields null.
Identities are looked up with POST so that e-mails and phones never sit in URLs (and
so in access logs).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from omnichannel.customers import (
    consents,
    identities,
    merge,
    profiles,
    resolution,
    view,
)
from omnichannel.customers.api_deps import (
    AuditedReader,
    AuditedSession,
    Writer,
    channel_of,
    reveals,
)
from omnichannel.customers.rules import CustomerStatus
from omnichannel.customers.schemas import (
    AddressIn,
    AddressRead,
    ConsentChangeIn,
    ConsentRead,
    Consents,
    CustomerCreate,
    CustomerPage,
    CustomerRead,
    CustomerUpdate,
    IdentityAdd,
    IdentityRead,
    Lookup,
    MergeRequest,
    Resolution,
    Resolve,
)
from omnichannel.customers.schemas_privacy import Customer360, consent_reads, history_reads
from omnichannel.http.deps import IfMatch, SessionDep, etag, parse_if_match, require
from omnichannel.http.errors import problem_response, problem_responses
from omnichannel.http.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["customers"])

Identifier = Annotated[Principal, Depends(require(Permission.CUSTOMERS_IDENTIFY))]
Merger = Annotated[Principal, Depends(require(Permission.CUSTOMERS_MERGE))]

_READ = problem_responses(401, 403, 404, 422)
_WRITE = problem_responses(401, 403, 404, 409, 422)


def _read(p: profiles.Profile, principal: Principal) -> CustomerRead:
    return CustomerRead.of(p.customer, p.identities, p.addresses, reveal=reveals(principal))


@router.post(
    "/customers",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start a customer profile",
    responses=problem_responses(401, 403, 409, 422),
)
def create_customer(
    data: CustomerCreate, principal: Writer, session: SessionDep, response: Response
) -> CustomerRead:
    p = profiles.create_customer(session, data=data, channel=channel_of(principal, data.channel))
    response.headers["ETag"] = etag(p.customer.version)
    response.headers["Location"] = f"/api/v1/customers/{p.customer.id}"
    return _read(p, principal)


@router.get(
    "/customers",
    response_model=CustomerPage,
    summary="Customers in the order they were created",
    responses=problem_responses(401, 403, 422),
)
def list_customers(
    principal: AuditedReader,
    session: AuditedSession,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    status_: Annotated[CustomerStatus | None, Query(alias="status")] = None,
) -> CustomerPage:
    found = profiles.list_customers(
        session,
        reveal=reveals(principal),
        status=status_,
        after=decode_cursor(cursor),
        limit=limit,
    )
    page = found[:limit]
    return CustomerPage(
        items=[_read(p, principal) for p in page],
        next_cursor=encode_cursor(page[-1].customer.id) if len(found) > limit else None,
    )


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerRead,
    summary="One customer (a merged profile's id answers with the survivor)",
    responses=_READ,
)
def get_customer(
    customer_id: uuid.UUID, principal: AuditedReader, session: AuditedSession, response: Response
) -> CustomerRead:
    p = profiles.get_customer(session, customer_id=customer_id, reveal=reveals(principal))
    response.headers["ETag"] = etag(p.customer.version)
    return _read(p, principal)


@router.patch(
    "/customers/{customer_id}",
    response_model=CustomerRead,
    summary="Change a customer's profile",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def update_customer(
    customer_id: uuid.UUID,
    data: CustomerUpdate,
    principal: Writer,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> CustomerRead:
    p = profiles.update_customer(
        session, customer_id=customer_id, data=data, if_version=parse_if_match(if_match)
    )
    response.headers["ETag"] = etag(p.customer.version)
    return _read(p, principal)


@router.get(
    "/customers/{customer_id}/360",
    response_model=Customer360,
    summary="Customer 360: profile, consents, open cases, latest timeline, segments, "
    "recent orders and open carts",
    responses=_READ,
)
def customer_360(
    customer_id: uuid.UUID,
    principal: AuditedReader,
    session: AuditedSession,
    timeline_limit: Annotated[int, Query(ge=1, le=50, description="Latest entries.")] = 10,
) -> Customer360:
    reveal = reveals(principal)
    found = view.customer_360(
        session, customer_id=customer_id, reveal=reveal, timeline_limit=timeline_limit
    )
    return Customer360.of(found, reveal=reveal)


@router.post(
    "/customers/lookup",
    response_model=CustomerRead,
    summary="Find a customer by e-mail, phone, card or account",
    responses=_READ,
)
def lookup(
    data: Lookup, principal: AuditedReader, session: AuditedSession, request: Request
) -> CustomerRead | Response:
    p = profiles.lookup(
        session,
        type=data.type,
        value=data.value,
        namespace=data.namespace,
        reveal=reveals(principal),
    )
    if p is None:
        # Answered, not raised: the miss's audit row must be committed with the request.
        return problem_response(
            request,
            status=404,
            code="not_found",
            title="Not found",
            detail=f"No customer has this {data.type}.",
        )
    return _read(p, principal)


@router.post(
    "/customers/resolve",
    response_model=Resolution,
    summary="Checkout: the buyer's profile by identity, started if there is none",
    responses=problem_responses(401, 403, 409, 422),
)
def resolve(data: Resolve, principal: Identifier, session: SessionDep) -> Resolution:
    found = resolution.find_or_attach(
        session,
        identities=data.identities,
        given_name=data.given_name,
        family_name=data.family_name,
        channel=channel_of(principal, data.channel),
    )
    return Resolution(
        customer_id=found.customer_id,
        created=found.created,
        attached=found.attached,
        conflicts=found.conflicts,
    )


@router.post(
    "/customers/{customer_id}/identities",
    response_model=IdentityRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add an e-mail, phone, card or account to a customer",
    responses=_WRITE,
)
def add_identity(
    customer_id: uuid.UUID, data: IdentityAdd, principal: Writer, session: SessionDep
) -> IdentityRead:
    row = identities.add_identity(
        session, customer_id=customer_id, data=data, channel=channel_of(principal, None)
    )
    return IdentityRead.of(row, reveal=reveals(principal))


@router.delete(
    "/customers/{customer_id}/identities/{identity_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Detach an identity from a customer",
    responses=_WRITE,
)
def remove_identity(
    customer_id: uuid.UUID, identity_id: uuid.UUID, _: Writer, session: SessionDep
) -> Response:
    identities.remove_identity(session, customer_id=customer_id, identity_id=identity_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/customers/{customer_id}/addresses",
    response_model=AddressRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add an address (Polish postcodes NN-NNN)",
    responses=_WRITE,
)
def add_address(
    customer_id: uuid.UUID, data: AddressIn, principal: Writer, session: SessionDep
) -> AddressRead:
    row = profiles.add_address(session, customer_id=customer_id, data=data)
    return AddressRead.of(row, reveal=reveals(principal))


@router.delete(
    "/customers/{customer_id}/addresses/{address_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an address",
    responses=_WRITE,
)
def remove_address(
    customer_id: uuid.UUID, address_id: uuid.UUID, _: Writer, session: SessionDep
) -> Response:
    profiles.remove_address(session, customer_id=customer_id, address_id=address_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/customers/{customer_id}/consents",
    response_model=Consents,
    summary="Consents per purpose and every grant and withdrawal",
    responses=_READ,
)
def get_consents(
    customer_id: uuid.UUID, principal: AuditedReader, session: AuditedSession
) -> Consents:
    reveal = reveals(principal)
    current, history = consents.overview(session, customer_id=customer_id, reveal=reveal)
    return Consents(current=consent_reads(current), history=history_reads(history, reveal=reveal))


@router.post(
    "/customers/{customer_id}/consents",
    response_model=ConsentRead,
    summary="Record a grant or withdrawal of consent",
    responses=_WRITE,
)
def set_consent(
    customer_id: uuid.UUID, data: ConsentChangeIn, principal: Writer, session: SessionDep
) -> ConsentRead:
    row = consents.set_consent(
        session, customer_id=customer_id, data=data, channel=channel_of(principal, data.channel)
    )
    return ConsentRead(purpose=data.purpose, granted=row.granted, changed_at=row.changed_at)


@router.post(
    "/customers/{customer_id}/merge",
    response_model=CustomerRead,
    summary="Fold a duplicate profile into this one",
    responses=_WRITE,
)
def merge_customers(
    customer_id: uuid.UUID, data: MergeRequest, principal: Merger, session: SessionDep
) -> CustomerRead:
    survivor = merge.merge_customers(session, survivor_id=customer_id, source_id=data.source_id)
    return _read(profiles.profile(session, survivor), principal)
