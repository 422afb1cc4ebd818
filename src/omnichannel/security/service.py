"""Staff use cases: accounts, bearer tokens, and turning a token into a Principal.
Signing in (a password for a token, and the lock after wrong ones) is `signin`."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from omnichannel.db import record_event
from omnichannel.db.base import flush_edit
from omnichannel.kernel import Conflict, NotFound, Principal, Unauthenticated, new_id, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.locations import service as locations
from omnichannel.security import passwords
from omnichannel.security.models import StaffLocationScope, StaffToken, StaffUser
from omnichannel.security.rules import SCOPED_ROLES, Role, permissions_for
from omnichannel.security.rules import Permission as Permission  # for other domains' routers
from omnichannel.security.schemas import StaffCreate, StaffUpdate

TOKEN_PREFIX = "omst_"  # noqa: S105 - a public prefix, not a secret


class EmailTaken(Conflict):
    code = "email_taken"


def hash_token(token: str) -> str:
    """Tokens and API keys carry 256 random bits, so a plain SHA-256 is a safe lookup key."""
    return hashlib.sha256(token.encode()).hexdigest()


def _load(session: Session, staff_id: uuid.UUID) -> StaffUser:
    user = session.scalar(
        select(StaffUser).where(StaffUser.id == staff_id).options(selectinload(StaffUser.scopes))
    )
    if user is None:
        raise NotFound(f"Staff user {staff_id} does not exist.")
    return user


def _check_scope(
    role: Role, location_ids: Sequence[uuid.UUID], location_types: dict[uuid.UUID, str]
) -> None:
    wanted = SCOPED_ROLES.get(role)
    if wanted is None:
        if location_ids:
            raise InvalidInput(
                f"Role {role} acts on every location; it takes no location_ids.",
                errors=[
                    {
                        "field": "location_ids",
                        "message": "must be empty for this role",
                        "type": "not_scoped",
                    }
                ],
            )
        return
    if not location_ids:
        raise InvalidInput(
            f"Role {role} must be scoped to at least one {wanted}.",
            errors=[
                {
                    "field": "location_ids",
                    "message": f"at least one {wanted} required",
                    "type": "missing",
                }
            ],
        )
    for i, loc in enumerate(location_ids):
        kind = location_types.get(loc)
        if kind != wanted:
            reason = "does not exist" if kind is None else f"is a {kind}, not a {wanted}"
            raise InvalidInput(
                f"Location {loc} {reason}.",
                errors=[
                    {"field": f"location_ids.{i}", "message": reason, "type": "invalid_location"}
                ],
            )


def list_staff(session: Session) -> list[StaffUser]:
    """Every staff user, by e-mail."""
    return list(
        session.scalars(
            select(StaffUser).options(selectinload(StaffUser.scopes)).order_by(StaffUser.email)
        )
    )


def get_staff(session: Session, *, staff_id: uuid.UUID) -> StaffUser:
    """One staff user."""
    return _load(session, staff_id)


def create_staff(session: Session, *, data: StaffCreate) -> StaffUser:
    """Create a staff account, scoped to stores or warehouses where the role needs it."""
    _check_scope(
        data.role,
        data.location_ids,
        locations.location_kinds(session, location_ids=data.location_ids),
    )
    if session.scalar(select(StaffUser.id).where(StaffUser.email == data.email)) is not None:
        raise EmailTaken(
            f"A staff user with e-mail {data.email} already exists.",
            errors=[{"field": "email", "message": "already in use", "type": "duplicate"}],
        )
    user = StaffUser(
        id=new_id(),
        email=data.email,
        full_name=data.full_name,
        password_hash=passwords.hash_password(data.password),
        role=data.role.value,
        scopes=[StaffLocationScope(location_id=loc) for loc in dict.fromkeys(data.location_ids)],
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        aggregate_type="staff",
        aggregate_id=user.id,
        sequence=user.version,
        type="staff.created",
        payload={"id": str(user.id), "role": user.role},
    )
    return user


def update_staff(session: Session, *, staff_id: uuid.UUID, data: StaffUpdate) -> StaffUser:
    """Change a staff account; deactivating it or changing its password ends its sessions."""
    user = _load(session, staff_id)
    role = data.role or Role(user.role)
    location_ids = data.location_ids if data.location_ids is not None else user.location_ids
    if (
        data.role is not None
        and data.role != Role(user.role)
        and data.location_ids is None
        and role not in SCOPED_ROLES
    ):
        location_ids = []
    _check_scope(role, location_ids, locations.location_kinds(session, location_ids=location_ids))
    if data.full_name is not None:
        user.full_name = data.full_name
    if data.password is not None:
        user.password_hash = passwords.hash_password(data.password)
    if data.active is not None:
        user.active = data.active
    user.role = role.value
    if sorted(location_ids) != sorted(user.location_ids):
        user.scopes = [StaffLocationScope(location_id=loc) for loc in dict.fromkeys(location_ids)]
    if data.password is not None or data.active is False:
        _revoke_all(session, user.id)
    if not flush_edit(session, user):
        return user
    record_event(
        session,
        aggregate_type="staff",
        aggregate_id=user.id,
        sequence=user.version,
        type="staff.updated",
        payload={"id": str(user.id), "role": user.role, "active": user.active},
    )
    return user


def _revoke_all(session: Session, staff_id: uuid.UUID) -> None:
    session.execute(
        update(StaffToken)
        .where(StaffToken.staff_id == staff_id, StaffToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def logout(session: Session, *, token: str) -> None:
    """Revoke one bearer token."""
    session.execute(
        update(StaffToken)
        .where(StaffToken.token_hash == hash_token(token), StaffToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def authenticate_token(session: Session, *, token: str) -> Principal:
    """The staff principal a bearer token stands for; 401 if it is unknown, expired or revoked."""
    row = session.execute(
        select(StaffUser, StaffToken.expires_at, StaffToken.revoked_at)
        .join(StaffToken, StaffToken.staff_id == StaffUser.id)
        .where(StaffToken.token_hash == hash_token(token))
        .options(selectinload(StaffUser.scopes))
    ).one_or_none()
    if row is None:
        raise Unauthenticated("The bearer token is not valid.")
    user, expires_at, revoked_at = row
    if revoked_at is not None or expires_at <= utcnow() or not user.active:
        raise Unauthenticated("The bearer token has expired or been revoked.")
    role = Role(user.role)
    return Principal(
        kind="staff",
        id=user.id,
        name=user.full_name,
        role=role.value,
        permissions=permissions_for(role),
        location_ids=frozenset(user.location_ids) if role in SCOPED_ROLES else None,
    )
