"""Customer sign-in over HTTP, for the web shop and the app.

The storefront registers and signs customers in with its channel API key (scope
`customers:identify`); the customer then calls with their own `omct_` bearer token.
The rules (who may register which e-mail, lockout, token lifetime) are in
`customers.accounts`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, Security, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from omnichannel.customers import accounts
from omnichannel.customers.api_deps import AuditedSession
from omnichannel.customers.schemas_accounts import (
    AccountCreate,
    AccountLogin,
    CustomerSelf,
    CustomerSession,
)
from omnichannel.http import throttle
from omnichannel.http.deps import (
    CustomerDep,
    SessionDep,
    bearer_scheme,
    channel_only,
    customer_only,
    get_principal,
    require,
)
from omnichannel.http.errors import problem_response, problem_responses
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal, Unauthenticated
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, prefix="/customers/auth", tags=["customer-auth"])

Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]


async def _storefront(
    principal: Annotated[Principal, Depends(require(Permission.CUSTOMERS_IDENTIFY))],
) -> Principal:
    """A channel's API key allowed to identify customers: the web shop or the app."""
    return channel_only(principal)


Storefront = Annotated[Principal, Depends(_storefront)]


def _audited_customer(request: Request, session: AuditedSession, bearer: Bearer) -> Principal:
    """The signed-in customer, authenticated in the transaction that audits their read."""
    if bearer is None:
        raise Unauthenticated("Sign in first: send the customer's bearer token.")
    return customer_only(get_principal(request, session, bearer, None))


AuditedCustomer = Annotated[Principal, Depends(_audited_customer)]


def _channel(principal: Principal) -> str:
    return principal.channel_code or ""  # a channel principal always has its code


@router.post(
    "/register",
    response_model=CustomerSession,
    status_code=status.HTTP_201_CREATED,
    summary="Sign a customer up: a new profile with an account, signed in",
    responses=problem_responses(401, 403, 409, 422, 429, 503),
    dependencies=[throttle.SIGN_IN],  # it hashes a password, and probes which e-mails exist
)
def register(data: AccountCreate, channel: Storefront, session: SessionDep) -> CustomerSession:
    done = accounts.register(
        session,
        email=data.email,
        password=data.password,
        given_name=data.given_name,
        family_name=data.family_name,
        channel=_channel(channel),
    )
    return CustomerSession(
        customer_id=done.customer_id, access_token=done.token, expires_at=done.row.expires_at
    )


@router.post(
    "/login",
    response_model=CustomerSession,
    summary="Sign a customer in with e-mail and password",
    description="Five wrong passwords in a row lock the account for 15 minutes (429 with "
    "`Retry-After`); an unknown e-mail and a wrong password get the same 401. Too many "
    "attempts from one address or at one e-mail are a 429 `rate_limited`, too many sign-ins "
    "at once a 503 `sign_in_busy`, both with `Retry-After`.",
    responses=problem_responses(401, 403, 422, 429, 503),
    dependencies=[throttle.SIGN_IN],
)
def login(
    data: AccountLogin, channel: Storefront, session: SessionDep, request: Request
) -> CustomerSession | JSONResponse:
    try:
        token, row = accounts.login(
            session, email=data.email, password=data.password, channel=_channel(channel)
        )
    except (accounts.InvalidCredentials, accounts.AccountLocked) as e:
        # Answered, not raised: the count of wrong passwords must be committed.
        retry = e.extra.get("retry_after")
        return problem_response(
            request,
            status=e.status,
            code=e.code,
            title=e.title,
            detail=e.detail,
            extra=e.extra,
            headers={"Retry-After": str(retry)} if retry else {"WWW-Authenticate": "Bearer"},
        )
    return CustomerSession(
        customer_id=row.customer_id, access_token=token, expires_at=row.expires_at
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign the customer out: revoke their current token",
    responses=problem_responses(401, 403),
)
def logout(_: CustomerDep, session: SessionDep, bearer: Bearer) -> Response:
    if bearer is not None:  # always: a customer is only ever authenticated by one
        accounts.logout(session, token=bearer.credentials)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    response_model=CustomerSelf,
    summary="The signed-in customer: their name and e-mails",
    responses=problem_responses(401, 403),
)
def me(customer: AuditedCustomer, session: AuditedSession) -> CustomerSelf:
    found = accounts.own_profile(session, customer_id=customer.id)
    return CustomerSelf.of(found.customer, found.identities)
