"""Gift cards and store credit over HTTP."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from omnichannel.http.deps import READS_ONLY, PrincipalDep, SessionDep, permitted, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.idempotency import OptionalIdempotency
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.payments import stored_value as service
from omnichannel.payments.schemas import (
    AccountRead,
    BalanceQuery,
    BalanceRead,
    GiftCardCreate,
    GiftCardIssued,
    StoreCreditCreate,
)
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["gift cards and store credit"])

Manager = Annotated[Principal, Depends(require(Permission.PAYMENTS_MANAGE))]


async def _balance_reader(principal: PrincipalDep) -> Principal:
    """A signed-in customer, or staff and channels holding `payments:read`."""
    if principal.kind == "customer":
        return principal
    return permitted(principal, Permission.PAYMENTS_READ)


BalanceReader = Annotated[Principal, Depends(_balance_reader)]


@router.post(
    "/gift-cards",
    response_model=GiftCardIssued,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a gift card (its code is in this answer only)",
    responses=problem_responses(400, 401, 403, 409, 422),
)
def issue_gift_card(
    data: GiftCardCreate, principal: Manager, idem: OptionalIdempotency, session: SessionDep
) -> Response:
    issued = service.issue_gift_card(
        session,
        amount=data.amount,
        currency=data.currency,
        expires_at=data.expires_at,
        actor=principal.actor,
    )
    account = service.get_account(session, account_id=issued.account.id)
    return idem.respond(
        status.HTTP_201_CREATED,
        GiftCardIssued.issued(account, issued.code),
        headers={"Location": f"/api/v1/gift-cards/{account.id}", "Cache-Control": "no-store"},
    )


@router.post(
    "/customers/{customer_id}/store-credit",
    response_model=AccountRead,
    status_code=status.HTTP_201_CREATED,
    summary="Give a customer store credit",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def issue_store_credit(
    customer_id: uuid.UUID,
    data: StoreCreditCreate,
    principal: Manager,
    idem: OptionalIdempotency,
    session: SessionDep,
) -> Response:
    created = service.issue_store_credit(
        session,
        customer_id=customer_id,
        amount=data.amount,
        currency=data.currency,
        reason=data.reason.value,
        expires_at=data.expires_at,
        actor=principal.actor,
    )
    account = service.get_account(session, account_id=created.id)
    return idem.respond(
        status.HTTP_201_CREATED,
        AccountRead.of(account),
        headers={"Location": f"/api/v1/gift-cards/{account.id}"},
    )


@router.post(
    "/gift-cards/balance",
    response_model=BalanceRead,
    summary="A gift card's balance, by its code (a POST: the code stays out of URLs and logs)",
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=READS_ONLY,
)
def balance(data: BalanceQuery, _: BalanceReader, session: SessionDep) -> BalanceRead:
    return BalanceRead.of(service.find_by_code(session, code=data.code))


@router.get(
    "/gift-cards/{account_id}",
    response_model=AccountRead,
    summary="A gift card or store credit, with its ledger",
    responses=problem_responses(401, 403, 404, 422),
)
def get_account(account_id: uuid.UUID, _: Manager, session: SessionDep) -> AccountRead:
    return AccountRead.of(service.get_account(session, account_id=account_id))


@router.post(
    "/gift-cards/{account_id}/block",
    response_model=AccountRead,
    summary="Block a gift card or store credit (lost, stolen): nothing new is paid with it",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def block(account_id: uuid.UUID, principal: Manager, session: SessionDep) -> AccountRead:
    service.block(session, account_id=account_id, actor=principal.actor)
    return AccountRead.of(service.get_account(session, account_id=account_id))
