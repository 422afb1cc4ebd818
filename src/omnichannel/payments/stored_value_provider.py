"""`stored_value`: the payment provider whose money is in our own database.

Gift cards and store credit are paid with like a card (method `gift_card`): the
checkout commits, asks the provider, and records the answer in a second
transaction. This provider's "remote side" is our own tables, so each call runs
its own short unit of work on the Database it was built with, never inside the
caller's transaction (promise 8): the caller has committed before it calls, and the
hold it takes commits before the caller records the answer. The payment row keeps
the hold's entry id as its `provider_ref`; every capture, void and refund names it.

Tokens (see `payments.codes`): a gift card's code, or `credit:<account id>` for a
customer's store credit. The provider interface carries no customer, so the check
that a customer spends only their own store credit is made where the token is
resolved, in the caller's first transaction (`check_spender`, called by
`payments.open_payment` with the order's customer).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from omnichannel.db import Database, unit_of_work
from omnichannel.db.session import DatabaseBusy, turn_in_thread
from omnichannel.kernel.errors import Forbidden
from omnichannel.payments import codes
from omnichannel.payments import stored_value as sv
from omnichannel.payments.errors import field_error
from omnichannel.payments.models_stored_value import AccountKind, StoredValueAccount
from omnichannel.payments.providers import (
    SANDBOX,
    AuthoriseRequest,
    AuthoriseResult,
    OperationResult,
    ProviderError,
)
from omnichannel.payments.rules import PaymentMethod, PaymentStatus

STORED_VALUE = "stored_value"
ACTOR = "provider:stored_value"
log = logging.getLogger(__name__)


class StoreCreditNotYours(Forbidden):
    code = "store_credit_not_yours"


def provider_for_payment(method: PaymentMethod, token: str | None) -> str:
    """The provider a payment goes to: `stored_value` for a gift card's code or a
    store credit, the sandbox for everything else (its `sandbox_gc_<balance>` test
    tokens included)."""
    if method is PaymentMethod.GIFT_CARD and codes.is_stored_value_token(token):
        return STORED_VALUE
    return SANDBOX


def check_spender(session: Session, *, token: str | None, customer_id: uuid.UUID | None) -> None:
    """403 unless a `credit:` token names store credit of `customer_id` (a gift card
    code is spent by whoever holds it, so it needs no check). Read in the caller's
    transaction: the account's owner never changes."""
    parsed = codes.parse_token(token) if token else None
    if parsed is None or parsed.account_id is None:
        return
    owner = session.scalar(
        select(StoredValueAccount.customer_id).where(
            StoredValueAccount.id == parsed.account_id,
            StoredValueAccount.kind == AccountKind.STORE_CREDIT.value,
        )
    )
    if customer_id is None or owner != customer_id:
        raise StoreCreditNotYours(
            "Store credit is spent only by its own customer, on their own order.",
            errors=[field_error("token", "not this customer's store credit", "forbidden")],
        )


class StoredValueProvider:
    """Gift cards and store credit (see the module docstring)."""

    name = STORED_VALUE
    methods = frozenset({PaymentMethod.GIFT_CARD})

    def __init__(self, db: Database) -> None:
        self.db = db

    def authorise(self, request: AuthoriseRequest) -> AuthoriseResult:
        token = codes.parse_token(request.token or "")
        if token is None:
            return AuthoriseResult.declined("Unknown gift card code.")
        hold = partial(
            sv.hold,
            token=token,
            amount=request.amount,
            currency=request.currency,
            key=request.reference,
            actor=ACTOR,
            capture=request.capture,
        )
        moved = self._move(hold, lambda s: sv.find_hold(s, key=request.reference))
        return _authorised(moved)

    def lookup(self, reference: str) -> AuthoriseResult | None:
        with self._unit(read_only=True) as session:
            moved = sv.find_hold(session, key=reference)
        return None if moved is None else _authorised(moved)

    def capture(self, reference: str, amount: int, *, key: str) -> OperationResult:
        hold_id = _hold_id(reference)
        if hold_id is None:
            return OperationResult(False, None, "Not a gift card authorisation of ours.")
        return _operation(
            self._move(partial(sv.capture, hold_id=hold_id, amount=amount, key=key, actor=ACTOR))
        )

    def void(self, reference: str, *, key: str) -> OperationResult:
        hold_id = _hold_id(reference)
        if hold_id is None:
            return OperationResult(False, None, "Not a gift card authorisation of ours.")
        return _operation(self._move(partial(sv.release, hold_id=hold_id, key=key, actor=ACTOR)))

    def refund(self, reference: str, amount: int, *, key: str) -> OperationResult:
        hold_id = _hold_id(reference)
        if hold_id is None:
            return OperationResult(False, None, "Not a gift card authorisation of ours.")
        return _operation(
            self._move(partial(sv.refund, hold_id=hold_id, amount=amount, key=key, actor=ACTOR))
        )

    # --- one short transaction per call ------------------------------------------------

    def _move(
        self,
        move: Callable[[Session], sv.Moved],
        again: Callable[[Session], sv.Moved | None] | None = None,
    ) -> sv.Moved:
        """Make the move in a transaction of its own. One that lost a race to the same
        key rolls back and answers what the winner recorded (asked again, the move
        finds its entry)."""
        try:
            with self._unit() as session:
                return move(session)
        except sv.Duplicate:
            with self._unit() as session:
                found = again(session) if again is not None else move(session)
            if found is None:
                raise ProviderError("stored value: a move raced and left nothing") from None
            return found

    @contextmanager
    def _unit(self, *, read_only: bool = False) -> Iterator[Session]:
        """A unit of work of our own. Called from a request's thread, it first takes a
        turn at the database on the server's event loop, as every later transaction
        of a request does (decisions 24): a thread-pool thread must not wait for
        SQLite's writer lock. A database that cannot be reached or stays busy is a
        provider that did not answer: the payment service asks again later."""
        turn = turn_in_thread(self.db, writes=not read_only)
        try:
            with unit_of_work(self.db, read_only=read_only, actor=ACTOR) as session:
                yield session
        except (OperationalError, DatabaseBusy) as e:
            log.warning("stored value: the database did not answer: %s", type(e).__name__)
            raise ProviderError("stored value: the database did not answer") from e
        finally:
            if turn is not None:
                turn.release()


def _hold_id(reference: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(reference)
    except ValueError:
        return None


def _authorised(moved: sv.Moved) -> AuthoriseResult:
    if not moved.ok or moved.entry_id is None:
        return AuthoriseResult.declined(moved.message or "The gift card was declined.")
    status = PaymentStatus.CAPTURED if moved.captured else PaymentStatus.AUTHORISED
    return AuthoriseResult(True, status, str(moved.entry_id), moved.message)


def _operation(moved: sv.Moved) -> OperationResult:
    return OperationResult(moved.ok, str(moved.entry_id) if moved.entry_id else None, moved.message)
