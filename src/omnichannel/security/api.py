"""Staff sign-in and staff accounts over HTTP."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from omnichannel.http import throttle
from omnichannel.http.deps import PrincipalDep, SessionDep, SettingsDep, bearer_scheme, require
from omnichannel.http.errors import problem_response, problem_responses
from omnichannel.http.routing import Route
from omnichannel.kernel import Forbidden, Principal
from omnichannel.security import service, signin
from omnichannel.security.rules import Permission
from omnichannel.security.schemas import (
    LoginRequest,
    StaffCreate,
    StaffRead,
    StaffUpdate,
    TokenRead,
)

router = APIRouter(route_class=Route, tags=["staff"])

StaffReader = Annotated[Principal, Depends(require(Permission.STAFF_READ))]
StaffManager = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]


@router.post(
    "/auth/login",
    response_model=TokenRead,
    summary="Sign in a staff user",
    description="Five wrong passwords in a row lock the account for 15 minutes (429 "
    "`account_locked` with `Retry-After`, the right password included); too many attempts "
    "from one address or at one e-mail are a 429 `rate_limited`, too many sign-ins at once "
    "a 503 `sign_in_busy`, both with `Retry-After`.",
    responses=problem_responses(401, 422, 429, 503),
    dependencies=[throttle.SIGN_IN],
)
def login(
    data: LoginRequest, session: SessionDep, settings: SettingsDep, request: Request
) -> TokenRead | JSONResponse:
    try:
        token, row = signin.login(
            session,
            email=data.email,
            password=data.password,
            ttl=timedelta(minutes=settings.staff_token_ttl_minutes),
        )
    except (signin.InvalidCredentials, signin.AccountLocked) as e:
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
    return TokenRead(access_token=token, expires_at=row.expires_at)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the current token",
    responses=problem_responses(401),
)
def logout(
    principal: PrincipalDep,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Response:
    if principal.kind != "staff" or bearer is None:
        raise Forbidden("Only a staff bearer token can be signed out.")
    service.logout(session, token=bearer.credentials)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/auth/me",
    response_model=StaffRead,
    summary="The signed-in staff user",
    responses=problem_responses(401, 403),
)
def me(principal: PrincipalDep, session: SessionDep) -> StaffRead:
    if principal.kind != "staff":
        raise Forbidden("This endpoint is for staff; channels use GET /api/v1/channel.")
    return StaffRead.model_validate(service.get_staff(session, staff_id=principal.id))


@router.get(
    "/staff",
    response_model=list[StaffRead],
    summary="List staff users",
    responses=problem_responses(401, 403),
)
def list_staff(_: StaffReader, session: SessionDep) -> list[StaffRead]:
    return [StaffRead.model_validate(u) for u in service.list_staff(session)]


@router.post(
    "/staff",
    response_model=StaffRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a staff user",
    responses=problem_responses(401, 403, 409, 422),
)
def create_staff(data: StaffCreate, _: StaffManager, session: SessionDep) -> StaffRead:
    return StaffRead.model_validate(service.create_staff(session, data=data))


@router.get(
    "/staff/{staff_id}",
    response_model=StaffRead,
    summary="One staff user",
    responses=problem_responses(401, 403, 404, 422),
)
def get_staff(staff_id: uuid.UUID, _: StaffReader, session: SessionDep) -> StaffRead:
    return StaffRead.model_validate(service.get_staff(session, staff_id=staff_id))


@router.patch(
    "/staff/{staff_id}",
    response_model=StaffRead,
    summary="Change a staff user",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_staff(
    staff_id: uuid.UUID, data: StaffUpdate, principal: StaffManager, session: SessionDep
) -> StaffRead:
    if staff_id == principal.id and (
        data.active is False or (data.role is not None and data.role != principal.role)
    ):
        raise Forbidden("You cannot deactivate or demote yourself; ask another admin.")
    return StaffRead.model_validate(service.update_staff(session, staff_id=staff_id, data=data))
