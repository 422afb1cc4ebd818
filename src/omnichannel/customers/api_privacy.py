"""GDPR over HTTP: a person's data export and erasure, and the audit log of who read
or changed personal data."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from omnichannel.customers import audit, privacy, profiles
from omnichannel.customers.api_deps import AuditedSession, audited
from omnichannel.customers.schemas import CustomerRead
from omnichannel.customers.schemas_privacy import AuditEntryRead, AuditPage, CustomerExport
from omnichannel.http.deps import SessionDep, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal, utcnow
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["privacy"])

Officer = Annotated[Principal, Depends(require(Permission.CUSTOMERS_PRIVACY))]
AuditedOfficer = Annotated[Principal, Depends(audited(Permission.CUSTOMERS_PRIVACY))]
Auditor = Annotated[Principal, Depends(require(Permission.CUSTOMERS_AUDIT))]


@router.get(
    "/customers/{customer_id}/export",
    response_model=CustomerExport,
    summary="Everything held about a customer (GDPR Art. 15 and 20)",
    responses=problem_responses(401, 403, 404, 422),
)
def export(customer_id: uuid.UUID, _: AuditedOfficer, session: AuditedSession) -> CustomerExport:
    return CustomerExport.of(privacy.export(session, customer_id=customer_id), at=utcnow())


@router.post(
    "/customers/{customer_id}/erase",
    response_model=CustomerRead,
    summary="Erase a customer's personal data (GDPR Art. 17)",
    responses=problem_responses(401, 403, 404, 422),
)
def erase(customer_id: uuid.UUID, _: Officer, session: SessionDep) -> CustomerRead:
    customer = privacy.erase(session, customer_id=customer_id)
    p = profiles.profile(session, customer)
    return CustomerRead.of(p.customer, p.identities, p.addresses, reveal=True)


@router.get(
    "/customer-audit",
    response_model=AuditPage,
    summary="Who read or changed personal data, newest first",
    responses=problem_responses(401, 403, 422),
)
def audit_log(
    _: Auditor,
    session: SessionDep,
    customer_id: uuid.UUID | None = None,
    actor: Annotated[str | None, Query(max_length=128, examples=["staff:…"])] = None,
    action: audit.Action | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> AuditPage:
    found = audit.entries(
        session,
        customer_id=customer_id,
        actor=actor,
        action=action,
        before=decode_cursor(cursor),
        limit=limit,
    )
    page = found[:limit]
    return AuditPage(
        items=[AuditEntryRead.of(e) for e in page],
        next_cursor=encode_cursor(page[-1].id) if len(found) > limit else None,
    )
