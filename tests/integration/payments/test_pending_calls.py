"""A provider call is made between two transactions, so it can be left pending: by
an outage, by a crash, or by another request still waiting for its answer. One call
is in flight per payment; an answer is recorded once; what is left pending is found
by its age and settled later under the same idempotency key."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.db import Database, unit_of_work
from omnichannel.kernel import utcnow
from omnichannel.orders.models import Order
from omnichannel.payments import sandbox
from omnichannel.payments.errors import (
    PaymentAlreadySettled,
    PaymentAmountExceeded,
    PaymentInProgress,
)
from omnichannel.payments.models import Payment, PaymentOperation
from omnichannel.payments.providers import (
    AuthoriseRequest,
    AuthoriseResult,
    OperationResult,
    ProviderError,
    register,
)
from omnichannel.payments.rules import PaymentOperationKind, PaymentStatus
from omnichannel.payments.service import (
    UNANSWERED,
    ask_again,
    call,
    get_payment,
    in_flight,
    open_payment,
    pending_call,
    record,
    request,
)
from tests.integration.payments.conftest import MakeOrder, order_doc
from tests.integration.payments.steps import amounts, counts, events, move, operations, pay

S = PaymentStatus
K = PaymentOperationKind
JOIN_TIMEOUT_S = 30


class Flaky(sandbox.SandboxProvider):
    """A sandbox that can stop answering captures, or lose its answers to
    authorisations it did take, and remembers what it was asked."""

    name = "test-flaky"

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.loses_answers = False
        self.capture_keys: list[str] = []
        self.voided: list[str] = []  # references released

    def authorise(self, request: AuthoriseRequest) -> AuthoriseResult:
        result = super().authorise(request)
        if self.loses_answers:
            raise ProviderError("the answer never came back")
        return result

    def capture(self, reference: str, amount: int, *, key: str) -> OperationResult:
        self.capture_keys.append(key)
        if self.down:
            raise ProviderError("not answering")
        return super().capture(reference, amount, key=key)

    def void(self, reference: str, *, key: str) -> OperationResult:
        self.voided.append(reference)
        return super().void(reference, key=key)


@pytest.fixture
def flaky() -> Flaky:
    provider = Flaky()
    register(provider)
    return provider


def opened(session: Session, order: Order, **fields: object) -> Payment:
    """A card payment opened and committed, its authorisation not yet asked for."""
    payment, _ = open_payment(
        session,
        order_id=order.id,
        order_number=order.number,
        method="card",
        amount=order.total,
        currency=order.currency,
        token=sandbox.OK,
        **fields,  # type: ignore[arg-type]
    )
    session.commit()
    return payment


# --- an outage ---------------------------------------------------------------------------


def test_a_provider_outage_on_authorisation_fails_the_payment_and_leaves_a_void_pending(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order, token=sandbox.ERROR)
    assert amounts(p) == (S.FAILED, 10_000, 0, 0)
    assert (p.pending_kind, p.pending_amount) == ("void", 10_000)  # in case it was taken
    assert operations(session, p) == [("authorise", 10_000, False)]
    [(_, type_, payload)] = events(session, p)
    assert (type_, payload["message"]) == ("payment.failed", UNANSWERED)


def test_a_void_left_by_an_outage_releases_nothing_when_nothing_was_authorised(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order, token=sandbox.ERROR)
    answer = ask_again(pending_call(p))
    assert answer is not None
    change = record(session, answer)
    session.commit()
    assert (change.succeeded, change.status) == (True, S.FAILED)  # failed stays failed
    assert p.pending_kind is None
    assert operations(session, p) == [("authorise", 10_000, False), ("void", 10_000, True)]


def test_an_authorisation_whose_answer_was_lost_is_released_when_the_provider_answers_again(
    session: Session, order_row: MakeOrder, flaky: Flaky
) -> None:
    order = order_row()
    flaky.loses_answers = True
    p = pay(session, order, provider=flaky.name)
    assert (p.status, p.pending_kind) == (S.FAILED, "void")
    flaky.loses_answers = False
    answer = ask_again(pending_call(p))
    assert answer is not None
    change = record(session, answer)
    session.commit()
    taken = flaky.lookup(str(p.id))
    assert taken is not None
    assert flaky.voided == [taken.reference]  # the hold it did make, released
    assert (change.succeeded, change.status, p.pending_kind) == (True, S.FAILED, None)


def test_an_outage_while_capturing_leaves_the_capture_pending(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order, token=sandbox.CAPTURE_ERROR)
    before = counts(session)
    change = move(session, p, K.CAPTURE)
    assert (change.in_flight, change.succeeded, change.status) == (True, False, S.AUTHORISED)
    assert amounts(p) == (S.AUTHORISED, 10_000, 0, 0)
    assert (p.pending_kind, p.pending_amount) == ("capture", 10_000)
    assert counts(session) == before  # nothing on record until the provider answers


def test_a_capture_left_pending_is_made_later_under_the_same_key(
    session: Session, order_row: MakeOrder, flaky: Flaky
) -> None:
    order = order_row()
    p = pay(session, order, provider=flaky.name)
    flaky.down = True
    assert move(session, p, K.CAPTURE).in_flight
    flaky.down = False
    answer = ask_again(pending_call(p))
    assert answer is not None
    change = record(session, answer)
    session.commit()
    assert (change.succeeded, change.status, change.in_flight) == (True, S.CAPTURED, False)
    assert amounts(p) == (S.CAPTURED, 10_000, 10_000, 0)
    assert p.pending_kind is None
    assert len(flaky.capture_keys) == 2
    assert len(set(flaky.capture_keys)) == 1  # asked again, not asked for a second capture
    assert operations(session, p) == [("authorise", 10_000, True), ("capture", 10_000, True)]


# --- a crash -----------------------------------------------------------------------------


def test_an_authorisation_the_provider_never_received_is_unknown_when_asked_again(
    session: Session, order_row: MakeOrder
) -> None:
    p = opened(session, order_row())
    assert ask_again(pending_call(p)) is None


def test_an_authorisation_whose_answer_a_crash_lost_is_looked_up_and_recorded(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    payment, c = open_payment(
        session,
        order_id=order.id,
        order_number=order.number,
        method="card",
        amount=10_000,
        currency="PLN",
        token=sandbox.OK,
    )
    session.commit()
    assert c is not None
    lost = call(c)  # answered, and the process died before recording it
    answer = ask_again(pending_call(get_payment(session, payment_id=payment.id)))
    assert answer is not None
    record(session, answer)
    session.commit()
    assert amounts(payment) == (S.AUTHORISED, 10_000, 0, 0)
    assert payment.provider_ref == lost.reference
    assert payment.pending_kind is None


# --- one call at a time, one record per answer --------------------------------------------


def test_while_a_call_is_pending_a_second_request_on_the_payment_is_a_409(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order)
    first = request(session, payment=p, kind=K.CAPTURE, amount=4_000)
    session.commit()
    for kind, amount in ((K.CAPTURE, 1_000), (K.VOID, None)):
        with pytest.raises(PaymentInProgress) as e:
            request(
                session, payment=get_payment(session, payment_id=p.id), kind=kind, amount=amount
            )
        assert (e.value.status, e.value.code) == (409, "payment_in_progress")
        assert e.value.extra["payment_status"] == "authorised"
    record(session, call(first))
    session.commit()
    move(session, p, K.CAPTURE)  # answered: the payment is free to move again
    assert amounts(p) == (S.CAPTURED, 10_000, 10_000, 0)


def test_an_answer_is_recorded_once_and_recording_it_again_is_a_409(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order)
    c = request(session, payment=p, kind=K.CAPTURE)
    session.commit()
    answer = call(c)
    record(session, answer)
    session.commit()
    before = counts(session)
    with pytest.raises(PaymentAlreadySettled) as e:
        record(session, answer)  # the worker, asking again, answers the same call
    assert (e.value.status, e.value.code) == (409, "payment_already_settled")
    session.rollback()
    assert counts(session) == before
    assert amounts(get_payment(session, payment_id=p.id)) == (S.CAPTURED, 10_000, 10_000, 0)


def test_a_payment_with_no_call_in_flight_has_no_call_to_ask_again(
    session: Session, order_row: MakeOrder
) -> None:
    p = pay(session, order_row())
    with pytest.raises(PaymentAlreadySettled):
        pending_call(p)


def test_in_flight_lists_only_payments_pending_longer_than_the_given_age(
    session: Session, order_row: MakeOrder
) -> None:
    now = utcnow()
    old = opened(session, order_row(), now=now - timedelta(minutes=10))
    older = opened(session, order_row(), now=now - timedelta(hours=1))
    opened(session, order_row(), now=now - timedelta(seconds=5))  # still being answered
    pay(session, order_row())  # answered: nothing in flight
    found = in_flight(session, older_than=timedelta(minutes=5))
    assert [p.id for p in found] == [older.id, old.id]  # oldest first
    assert [p.id for p in in_flight(session, older_than=timedelta(minutes=5), limit=1)] == [
        older.id
    ]
    assert in_flight(session, older_than=timedelta(hours=2)) == []


# --- under contention ----------------------------------------------------------------------


def test_two_refunds_at_once_cannot_give_back_more_than_was_captured(
    committing_db: Database,
) -> None:
    entered, go_on = threading.Event(), threading.Event()

    class Slow(sandbox.SandboxProvider):
        """Holds the first refund inside the provider call until told to go on."""

        name = "test-slow-refunds"

        def refund(self, reference: str, amount: int, *, key: str) -> OperationResult:
            entered.set()
            go_on.wait(JOIN_TIMEOUT_S)
            return super().refund(reference, amount, key=key)

    register(Slow())
    with unit_of_work(committing_db, actor="test") as s:
        ch = create_channel(s, data=ChannelCreate(code="web", name="Web", type="web"))
        order = Order(**order_doc(ch.id, 10_000))
        s.add(order)
        s.flush()
        payment, c = open_payment(
            s,
            order_id=order.id,
            order_number=order.number,
            method="card",
            amount=10_000,
            currency="PLN",
            token=sandbox.OK,
            provider=Slow.name,
            capture=True,
        )
        payment_id = payment.id
    assert c is not None
    answer = call(c)
    with unit_of_work(committing_db, actor="test") as s:
        record(s, answer)

    outcomes: list[str] = []

    def refund_6000() -> None:
        try:
            with unit_of_work(committing_db, actor="test") as s:
                p = get_payment(s, payment_id=payment_id)
                c = request(s, payment=p, kind=K.REFUND, amount=6_000, reason="returned")
            answer = call(c)  # no transaction open while the provider thinks
            with unit_of_work(committing_db, actor="test") as s:
                record(s, answer)
            outcomes.append("refunded")
        except (PaymentInProgress, PaymentAmountExceeded) as e:
            outcomes.append(e.code)

    first = threading.Thread(target=refund_6000, daemon=True)
    second = threading.Thread(target=refund_6000, daemon=True)
    first.start()
    try:
        assert entered.wait(JOIN_TIMEOUT_S)
        second.start()
        second.join(timeout=JOIN_TIMEOUT_S)
        # The first holds no row and no transaction while the provider thinks, so
        # the second is answered at once instead of waiting for it.
        assert not second.is_alive()
    finally:
        go_on.set()
        first.join(timeout=JOIN_TIMEOUT_S)
        second.join(timeout=JOIN_TIMEOUT_S)
    assert len(outcomes) == 2
    assert outcomes.count("refunded") == 1
    assert set(outcomes) - {"refunded"} <= {"payment_in_progress", "payment_amount_exceeded"}
    with unit_of_work(committing_db, read_only=True) as s:
        payment = get_payment(s, payment_id=payment_id)
        assert (payment.captured, payment.refunded) == (10_000, 6_000)
        assert payment.refunded <= payment.captured
        assert payment.pending_kind is None
        refunds = s.scalar(
            select(func.count()).where(
                PaymentOperation.payment_id == payment_id, PaymentOperation.kind == "refund"
            )
        )
        assert refunds == 1
