"""The lock after wrong passwords, for every kind of account (staff, customers).

Five wrong passwords in a row lock an account for 15 minutes: the fifth and every
attempt during the lock are a 429 `account_locked` with `retry_after` seconds. The
count is written with one Core UPDATE: it is no edit of the account, so it neither
bumps a versioned row (an admin's concurrent edit still succeeds) nor races with
another sign-in (two wrong passwords at once both count).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil
from typing import Any

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from omnichannel.kernel.errors import DomainError

MAX_FAILED_LOGINS = 5
LOCK_FOR = timedelta(minutes=15)


class AccountLocked(DomainError):
    status = 429
    code = "account_locked"
    title = "Too many attempts"


def count_failure(session: Session, account: Any, *, key: Any, now: datetime) -> datetime | None:
    """One more wrong password on `account` (a mapped row with `failed_logins` and
    `locked_until`, found by its `key` column); the lock it may have set."""
    model = type(account)
    failed = model.failed_logins + 1
    locked_until: datetime | None = session.execute(
        update(model)
        .where(key == getattr(account, key.key))
        .values(
            failed_logins=failed,
            locked_until=case(
                (failed >= MAX_FAILED_LOGINS, now + LOCK_FOR), else_=model.locked_until
            ),
        )
        .returning(model.locked_until)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.expire(account)
    return locked_until


def refuse_if_locked(until: datetime | None, now: datetime) -> None:
    """Raise `AccountLocked` while `until` is in the future."""
    if until is not None and until > now:
        seconds = max(1, ceil((until - now).total_seconds()))
        raise AccountLocked(
            "Too many wrong passwords: this account is locked; try again in "
            f"{ceil(seconds / 60)} minutes.",
            retry_after=seconds,
        )
