"""Gift cards and store credit: issuing them, and every move of their money.

Each move is one conditional UPDATE of the account (the invariant `balance >= held
>= 0` lives in its WHERE clause and in a CHECK) plus one appended ledger entry and
one outbox event, in the caller's transaction. Only the `stored_value` provider
(`stored_value_provider`) calls the moves, each in a short transaction of its own,
never inside a caller's (promise 8).

Every move is idempotent on the caller's key: an entry is unique per (account,
kind, key), so the same hold, capture, release or refund asked twice finds its
first entry and answers the same. Two racing with the same key both try; the
unique index lets one commit and the other's transaction rolls back whole
(`Duplicate`), after which the provider reads the winner's entry.

Events carry ids and amounts only: never a code, not even its last four characters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, case, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from omnichannel.db import record_event
from omnichannel.kernel import Money, new_id, utcnow
from omnichannel.kernel.errors import Conflict, InvalidInput, NotFound
from omnichannel.payments import codes
from omnichannel.payments.errors import field_error
from omnichannel.payments.models_stored_value import (
    AccountKind,
    AccountStatus,
    EntryKind,
    StoredValueAccount,
    StoredValueEntry,
)
from omnichannel.payments.providers import check_currency

A = AccountKind
E = EntryKind
AGGREGATE = "stored_value_account"
# A refund stays spendable at least this long, even on a card that had expired: the
# money came back to it, and a customer must be able to use it.
REFUND_GRACE = timedelta(days=30)
MAX_AMOUNT = 100_000_000  # one million in minor units: a typo, not a gift

_accounts: Table = StoredValueAccount.__table__  # type: ignore[assignment]
_entries: Table = StoredValueEntry.__table__  # type: ignore[assignment]


class StoredValueNotFound(NotFound):
    code = "stored_value_not_found"


class StoredValueBlocked(Conflict):
    code = "stored_value_blocked"


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class Duplicate(Exception):
    """Another transaction made this move under the same key first: this one rolls
    back, and the caller reads the first one's entry."""


@dataclass(frozen=True, slots=True)
class Issued:
    """A gift card just issued, with its code: shown this once, never again."""

    account: StoredValueAccount
    code: str


@dataclass(frozen=True, slots=True)
class Moved:
    """What a move did: `ok` with the entry that records it, or why not."""

    ok: bool
    entry_id: uuid.UUID | None = None
    message: str | None = None
    captured: bool = False  # a hold taken at once (a sale at a till)


# --- issuing and reading --------------------------------------------------------------


def issue_gift_card(
    session: Session,
    *,
    amount: int,
    currency: str,
    actor: str,
    expires_at: datetime | None = None,
) -> Issued:
    """A new gift card loaded with `amount`; its code is in the answer only."""
    code = codes.new_code()
    plain = codes.normalise(code) or ""  # what new_code makes, normalise accepts
    account = _open(
        session,
        kind=A.GIFT_CARD,
        amount=amount,
        currency=currency,
        actor=actor,
        expires_at=expires_at,
        code_digest=codes.digest(plain),
        code_last4=codes.last4(plain),
    )
    return Issued(account, code)


def issue_store_credit(
    session: Session,
    *,
    customer_id: uuid.UUID,
    amount: int,
    currency: str,
    reason: str,
    actor: str,
    expires_at: datetime | None = None,
) -> StoredValueAccount:
    """New store credit for a customer (404 when there is no such customer)."""
    return _open(
        session,
        kind=A.STORE_CREDIT,
        amount=amount,
        currency=currency,
        actor=actor,
        expires_at=expires_at,
        customer_id=customer_id,
        reason=reason,
    )


def get_account(session: Session, *, account_id: uuid.UUID) -> StoredValueAccount:
    """One account with its ledger; 404 when there is none."""
    account = session.scalar(
        select(StoredValueAccount)
        .where(StoredValueAccount.id == account_id)
        .options(selectinload(StoredValueAccount.entries))
    )
    if account is None:
        raise StoredValueNotFound(f"No gift card or store credit {account_id}.")
    return account


def find_by_code(session: Session, *, code: str) -> StoredValueAccount:
    """The gift card a code opens; 404 (the same for a malformed code and an unknown
    one: a code's shape tells nothing)."""
    plain = codes.normalise(code)
    account = None
    if plain is not None:
        account = session.scalar(
            select(StoredValueAccount).where(StoredValueAccount.code_digest == codes.digest(plain))
        )
    if account is None:
        raise StoredValueNotFound("No gift card has that code.")
    return account


def block(session: Session, *, account_id: uuid.UUID, actor: str) -> StoredValueAccount:
    """Block an account (a lost or stolen card): nothing new is held on it; holds
    already taken may still be captured or released. 409 if it is blocked already."""
    now = utcnow()
    row = session.execute(
        update(_accounts)
        .where(_accounts.c.id == account_id, _accounts.c.status == AccountStatus.ACTIVE.value)
        .values(status=AccountStatus.BLOCKED.value, version=_accounts.c.version + 1, updated_at=now)
        .returning(_accounts.c.version)
    ).one_or_none()
    if row is None:
        get_account(session, account_id=account_id)  # 404 when there is none
        raise StoredValueBlocked(f"Gift card or store credit {account_id} is blocked already.")
    account = _fresh(session, account_id)
    _event(session, account, "stored_value.blocked", row.version, {"actor": actor})
    return account


def available(account: StoredValueAccount) -> int:
    return account.balance - account.held


def is_expired(account: StoredValueAccount, now: datetime | None = None) -> bool:
    return account.expires_at is not None and account.expires_at <= (now or utcnow())


def ledger_sums(session: Session, *, account_id: uuid.UUID) -> tuple[int, int]:
    """(balance, held) as the ledger adds them up: always the account's own."""
    row = session.execute(
        select(
            func.coalesce(func.sum(_entries.c.balance_change), 0),
            func.coalesce(func.sum(_entries.c.held_change), 0),
        ).where(_entries.c.account_id == account_id)
    ).one()
    return int(row[0]), int(row[1])


# --- the moves the provider makes ------------------------------------------------------


def hold(
    session: Session,
    *,
    token: codes.Token,
    amount: int,
    currency: str,
    key: str,
    actor: str,
    capture: bool = False,
) -> Moved:
    """Hold `amount` (with `capture`, spend it at once) with one conditional UPDATE:
    the account active, not expired, in the currency, with that much left. On a no,
    the message says which of those failed (how much is left, when it expired)."""
    earlier = _hold_of(session, key)
    if earlier is not None:
        return earlier
    now = utcnow()
    c = _accounts.c
    where = [
        c.status == AccountStatus.ACTIVE.value,
        c.currency == currency,
        or_(c.expires_at.is_(None), c.expires_at > now),
        c.balance - c.held >= amount,
        *_named_by(token),
    ]
    values: dict[str, Any] = {"version": c.version + (2 if capture else 1), "updated_at": now}
    if capture:
        values["balance"] = c.balance - amount
    else:
        values["held"] = c.held + amount
    row = session.execute(
        update(_accounts).where(*where).values(**values).returning(c.id, c.version)
    ).one_or_none()
    if row is None:
        return Moved(False, message=_why_not(session, token, amount, currency, now))
    held = _append(session, row.id, E.HOLD, amount, 0, amount, key, actor, now=now)
    account = _fresh(session, row.id)
    version = row.version - (1 if capture else 0)
    _event(session, account, "stored_value.held", version, _moved(held))
    if not capture:
        return Moved(True, held.id, "Gift card amount held")
    spent = _append(
        session, row.id, E.CAPTURE, amount, -amount, -amount, key, actor, hold_id=held.id, now=now
    )
    _event(session, account, "stored_value.captured", row.version, _moved(spent))
    return Moved(True, held.id, "Paid with the gift card", captured=True)


def capture(session: Session, *, hold_id: uuid.UUID, amount: int, key: str, actor: str) -> Moved:
    """Spend `amount` of a hold: what it still holds goes down, and the balance."""
    found = _hold(session, hold_id)
    if isinstance(found, Moved):
        return found
    earlier = _entry(session, found.account_id, E.CAPTURE, key)
    if earlier is not None:
        return Moved(True, earlier.id, "Captured")
    left = found.amount - _moved_from(session, found, E.CAPTURE, E.RELEASE)
    if amount > left:
        return Moved(False, message=f"Only {left} of this hold is left to capture.")
    c = _accounts.c
    version = _update(
        session,
        found.account_id,
        c.held >= amount,
        balance=c.balance - amount,
        held=c.held - amount,
    )
    if version is None:
        return Moved(False, message="The account no longer holds that much.")
    entry = _append(
        session, found.account_id, E.CAPTURE, amount, -amount, -amount, key, actor, found.id
    )
    account = _fresh(session, found.account_id)
    _event(session, account, "stored_value.captured", version, _moved(entry))
    return Moved(True, entry.id, "Captured")


def release(session: Session, *, hold_id: uuid.UUID, key: str, actor: str) -> Moved:
    """Give back what a hold still holds (a void); nothing left is a yes too."""
    found = _hold(session, hold_id)
    if isinstance(found, Moved):
        return found
    earlier = _entry(session, found.account_id, E.RELEASE, key)
    if earlier is not None:
        return Moved(True, earlier.id, "Released")
    left = found.amount - _moved_from(session, found, E.CAPTURE, E.RELEASE)
    if left <= 0:
        return Moved(True, None, "Nothing is held any more.")
    c = _accounts.c
    version = _update(session, found.account_id, c.held >= left, held=c.held - left)
    if version is None:
        return Moved(False, message="The account no longer holds that much.")
    entry = _append(session, found.account_id, E.RELEASE, left, 0, -left, key, actor, found.id)
    account = _fresh(session, found.account_id)
    _event(session, account, "stored_value.released", version, _moved(entry))
    return Moved(True, entry.id, "Released")


def refund(session: Session, *, hold_id: uuid.UUID, amount: int, key: str, actor: str) -> Moved:
    """Put `amount` of what a hold captured back on the account it came from, blocked
    or expired as it may be; an account that expires within REFUND_GRACE (or has
    expired) is extended to then, so the money that came back can be spent."""
    found = _hold(session, hold_id)
    if isinstance(found, Moved):
        return found
    earlier = _entry(session, found.account_id, E.REFUND, key)
    if earlier is not None:
        return Moved(True, earlier.id, "Refunded")
    taken = _moved_from(session, found, E.CAPTURE) - _moved_from(session, found, E.REFUND)
    if amount > taken:
        return Moved(False, message=f"Only {taken} of this payment is left to refund.")
    c = _accounts.c
    until = utcnow() + REFUND_GRACE
    version = _update(
        session,
        found.account_id,
        balance=c.balance + amount,
        expires_at=case(
            (c.expires_at < until, literal(until, c.expires_at.type)), else_=c.expires_at
        ),
    )
    if version is None:  # the hold's account is gone: it cascades, so never
        return Moved(False, message="The gift card no longer exists.")
    entry = _append(session, found.account_id, E.REFUND, amount, amount, 0, key, actor, found.id)
    account = _fresh(session, found.account_id)
    payload = _moved(entry) | {"expires_at": _iso(account.expires_at)}
    _event(session, account, "stored_value.refunded", version, payload)
    return Moved(True, entry.id, "Refunded")


def find_hold(session: Session, *, key: str) -> Moved | None:
    """The hold made under `key` (a payment id), or None if none was."""
    return _hold_of(session, key)


# --- the steps the moves share -----------------------------------------------------------


def _open(
    session: Session,
    *,
    kind: AccountKind,
    amount: int,
    currency: str,
    actor: str,
    expires_at: datetime | None,
    code_digest: str | None = None,
    code_last4: str | None = None,
    customer_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> StoredValueAccount:
    _check_amount(amount)
    check_currency(currency)
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(
            "An expiry is in the future.",
            errors=[field_error("expires_at", "must be in the future", "greater_than")],
        )
    account = StoredValueAccount(
        id=new_id(),
        kind=kind.value,
        currency=currency,
        balance=amount,
        held=0,
        status=AccountStatus.ACTIVE.value,
        expires_at=expires_at,
        code_digest=code_digest,
        code_last4=code_last4,
        customer_id=customer_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        # The only reference an account holds: a store credit's customer. The request
        # rolls back whole on this error, so nothing half-written stays.
        raise CustomerNotFound(f"Customer {customer_id} does not exist.") from None
    entry = _append(
        session,
        account.id,
        E.ISSUE,
        amount,
        amount,
        0,
        str(account.id),
        actor,
        now=now,
        reason=reason,
    )
    payload = _moved(entry) | {
        "customer_id": str(customer_id) if customer_id else None,
        "expires_at": _iso(expires_at),
    }
    if reason is not None:
        payload["reason"] = reason
    _event(session, account, "stored_value.issued", 1, payload)
    return account


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidInput(
            f"An amount is a positive number of minor units, at most {MAX_AMOUNT}.",
            errors=[field_error("amount", f"1 to {MAX_AMOUNT}", "range")],
        )


def _named_by(token: codes.Token) -> list[Any]:
    c = _accounts.c
    if token.digest is not None:
        return [c.code_digest == token.digest]
    return [c.id == token.account_id, c.kind == A.STORE_CREDIT.value]


def _why_not(
    session: Session, token: codes.Token, amount: int, currency: str, now: datetime
) -> str:
    account = session.scalar(select(StoredValueAccount).where(*_named_by(token)))
    what = "store credit" if token.digest is None else "gift card"
    if account is None:
        return "Unknown store credit." if token.digest is None else "Unknown gift card code."
    if account.status == AccountStatus.BLOCKED.value:
        return f"This {what} is blocked."
    if account.expires_at is not None and account.expires_at <= now:
        return f"This {what} expired on {account.expires_at.date().isoformat()}."
    if account.currency != currency:
        return f"This {what} holds {account.currency}, not {currency}."
    left = available(account)
    return (
        f"Not enough on this {what}: {_money(left, currency)} left, "
        f"{_money(amount, currency)} needed."
    )


def _money(amount: int, currency: str) -> str:
    exponent = Money(amount, currency).exponent
    return f"{amount / 10**exponent:.{exponent}f} {currency}"


def _update(session: Session, account_id: uuid.UUID, *where: Any, **values: Any) -> int | None:
    """One conditional UPDATE of an account, its version bumped; the new version, or
    None when the condition did not hold."""
    c = _accounts.c
    row = session.execute(
        update(_accounts)
        .where(c.id == account_id, *where)
        .values(version=c.version + 1, updated_at=utcnow(), **values)
        .returning(c.version)
    ).one_or_none()
    return None if row is None else int(row.version)


def _append(
    session: Session,
    account_id: uuid.UUID,
    kind: EntryKind,
    amount: int,
    balance_change: int,
    held_change: int,
    key: str,
    actor: str,
    hold_id: uuid.UUID | None = None,
    *,
    now: datetime | None = None,
    reason: str | None = None,
) -> StoredValueEntry:
    entry = StoredValueEntry(
        id=new_id(),
        account_id=account_id,
        kind=kind.value,
        amount=amount,
        balance_change=balance_change,
        held_change=held_change,
        key=key,
        hold_id=hold_id,
        reason=reason,
        actor=actor,
        at=now or utcnow(),
    )
    session.add(entry)
    try:
        session.flush()
    except IntegrityError:
        raise Duplicate(f"{kind.value} {key} of account {account_id}") from None
    return entry


def _fresh(session: Session, account_id: uuid.UUID) -> StoredValueAccount:
    account = session.get(StoredValueAccount, account_id, populate_existing=True)
    if account is None:  # just updated in this transaction: it exists
        raise StoredValueNotFound(f"No gift card or store credit {account_id}.")
    return account


def _entry(
    session: Session, account_id: uuid.UUID, kind: EntryKind, key: str
) -> StoredValueEntry | None:
    return session.scalar(
        select(StoredValueEntry).where(
            StoredValueEntry.account_id == account_id,
            StoredValueEntry.kind == kind.value,
            StoredValueEntry.key == key,
        )
    )


def _hold_of(session: Session, key: str) -> Moved | None:
    """The answer a hold under `key` was given, if one was made."""
    rows = session.execute(
        select(_entries.c.id, _entries.c.kind, _entries.c.hold_id).where(
            _entries.c.key == key, _entries.c.kind.in_([E.HOLD.value, E.CAPTURE.value])
        )
    ).all()
    held = next((r for r in rows if r.kind == E.HOLD.value), None)
    if held is None:
        return None
    at_once = any(r.kind == E.CAPTURE.value and r.hold_id == held.id for r in rows)
    message = "Paid with the gift card" if at_once else "Gift card amount held"
    return Moved(True, held.id, message, captured=at_once)


def _hold(session: Session, hold_id: uuid.UUID) -> StoredValueEntry | Moved:
    found = session.get(StoredValueEntry, hold_id)
    if found is None or found.kind != E.HOLD.value:
        return Moved(False, message="Not a gift card authorisation of ours.")
    return found


def _moved_from(session: Session, held: StoredValueEntry, *kinds: EntryKind) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(_entries.c.amount), 0)).where(
            _entries.c.hold_id == held.id, _entries.c.kind.in_([k.value for k in kinds])
        )
    )
    return int(total or 0)


def _moved(entry: StoredValueEntry) -> dict[str, Any]:
    return {
        "entry_id": str(entry.id),
        "amount": entry.amount,
        "key": entry.key,
        "hold_id": str(entry.hold_id) if entry.hold_id else None,
    }


def _event(
    session: Session,
    account: StoredValueAccount,
    type_: str,
    sequence: int,
    payload: dict[str, Any],
) -> None:
    record_event(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=account.id,
        sequence=sequence,
        type=type_,
        payload={
            "account_id": str(account.id),
            "kind": account.kind,
            "currency": account.currency,
            "balance": account.balance,
            "held": account.held,
            "status": account.status,
            **payload,
        },
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
