"""Staff sign-in: a password for a bearer token, and the lock after wrong ones.

The rules are the customers' (`customers.accounts`): an unknown e-mail, a wrong
password and a deactivated account get one 401 and cost as long. Five wrong
passwords in a row lock the account for 15 minutes: the fifth and every attempt
during the lock are a 429 `account_locked` with `retry_after` seconds, without the
password being checked, so the right password is refused too until the lock ends; a
wrong password right after a lock locks it again at once; a right one resets the
count. Refusals change the count, so the caller commits them (the endpoint answers
the refusal instead of raising it).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnichannel.kernel import Unauthenticated, new_id, utcnow
from omnichannel.security import lockout, passwords
from omnichannel.security.models import StaffToken, StaffUser
from omnichannel.security.service import TOKEN_PREFIX, hash_token

MAX_FAILED_LOGINS = lockout.MAX_FAILED_LOGINS
LOCK_FOR = lockout.LOCK_FOR
AccountLocked = lockout.AccountLocked
_WRONG = "E-mail or password is wrong."


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


def login(
    session: Session, *, email: str, password: str, ttl: timedelta, now: datetime | None = None
) -> tuple[str, StaffToken]:
    """Check a staff password and issue a bearer token, returned once, stored hashed."""
    now = now or utcnow()
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        passwords.verify(passwords.DUMMY_HASH, password)
        raise InvalidCredentials(_WRONG)
    lockout.refuse_if_locked(user.locked_until, now)
    if not passwords.verify(user.password_hash, password):
        lockout.refuse_if_locked(
            lockout.count_failure(session, user, key=StaffUser.id, now=now), now
        )
        raise InvalidCredentials(_WRONG)
    if not user.active:
        raise InvalidCredentials(_WRONG)
    if user.failed_logins or user.locked_until is not None:
        _reset(session, user)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = StaffToken(
        id=new_id(),
        staff_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    return token, row


# The reset, like the count (`lockout`), is no edit of the account: a Core UPDATE.


def _reset(session: Session, user: StaffUser) -> None:
    session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    session.expire(user, ["failed_logins", "locked_until"])
