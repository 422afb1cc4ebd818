"""Payments of an order through the sandbox provider: authorise, capture, void,
refund, paying in person, transfers; declines write nothing; amounts stay in range;
every operation is on record and in the outbox; no card number is ever stored."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.db import Database, OutboxEvent, unit_of_work
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import payments, sandbox
from omnichannel.orders.errors import (
    CardNumberRefused,
    PaymentAmountExceeded,
    PaymentDeclined,
    PaymentMethodUnsupported,
    PaymentMoveRefused,
    PaymentProviderUnavailable,
)
from omnichannel.orders.models import Order, Payment, PaymentOperation
from omnichannel.orders.providers import OperationResult, looks_like_card_number, register
from omnichannel.orders.rules import PaymentMethod, PaymentStatus
from tests.integration.orders.conftest import MakeOrder, order_doc

M = PaymentMethod
S = PaymentStatus
PAN = "4111111111111111"
JOIN_TIMEOUT_S = 30


def pay(
    session: Session,
    order: Order,
    method: PaymentMethod = M.CARD,
    token: str | None = sandbox.OK,
    amount: int | None = None,
) -> Payment:
    return payments.start_payment(
        session,
        order=order,
        method=method,
        amount=order.total if amount is None else amount,
        currency=order.currency,
        token=token,
    )


def operations(session: Session, payment: Payment) -> list[tuple[str, int, bool]]:
    rows = session.execute(
        select(PaymentOperation.kind, PaymentOperation.amount, PaymentOperation.succeeded)
        .where(PaymentOperation.payment_id == payment.id)
        .order_by(PaymentOperation.at, PaymentOperation.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def events(session: Session, payment: Payment) -> list[tuple[int, str, dict[str, Any]]]:
    rows = session.execute(
        select(OutboxEvent.sequence, OutboxEvent.type, OutboxEvent.payload)
        .where(OutboxEvent.aggregate_type == "payment", OutboxEvent.aggregate_id == str(payment.id))
        .order_by(OutboxEvent.sequence)
    )
    return [tuple(r) for r in rows]


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Payment)) or 0,
        session.scalar(select(func.count()).select_from(PaymentOperation)) or 0,
        session.scalar(select(func.count()).select_from(OutboxEvent)) or 0,
    )


def amounts(p: Payment) -> tuple[str, int, int, int]:
    return (p.status, p.amount, p.captured, p.refunded)


# --- the happy paths ---------------------------------------------------------------


def test_a_card_payment_is_authorised_captured_and_refunded_in_two_parts(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row(total=10_000)
    p = pay(session, order)
    assert amounts(p) == (S.AUTHORISED, 10_000, 0, 0)
    assert order.payment_status == S.AUTHORISED

    c = payments.capture(session, payment=p)
    assert (c.succeeded, c.previous_status, c.status, c.amount) == (
        True,
        S.AUTHORISED,
        S.CAPTURED,
        10_000,
    )
    assert order.payment_status == S.CAPTURED

    r1 = payments.refund(session, payment=p, amount=2_500, reason="one mug arrived broken")
    assert (r1.status, r1.order_payment_status) == (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED)
    r2 = payments.refund(session, payment=p, amount=7_500, reason="the rest returned")
    assert amounts(p) == (S.REFUNDED, 10_000, 10_000, 10_000)
    assert order.payment_status == S.REFUNDED
    session.commit()

    assert operations(session, p) == [
        ("authorise", 10_000, True),
        ("capture", 10_000, True),
        ("refund", 2_500, True),
        ("refund", 7_500, True),
    ]
    assert [(s, t) for s, t, _ in events(session, p)] == [
        (1, "payment.authorised"),
        (2, "payment.captured"),
        (3, "payment.refunded"),
        (4, "payment.refunded"),
    ]
    last = events(session, p)[-1][2]
    assert last["reason"] == "the rest returned"
    assert (last["captured"], last["refunded"], last["order_payment_status"]) == (
        10_000,
        10_000,
        "refunded",
    )
    assert r2.message is not None
    assert r2.message.startswith("the rest returned")


def test_a_partial_capture_takes_less_than_was_authorised_and_the_rest_later(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row(total=10_000)
    p = pay(session, order)
    payments.capture(session, payment=p, amount=7_000)  # a line was cancelled before shipping
    assert amounts(p) == (S.CAPTURED, 10_000, 7_000, 0)
    payments.capture(session, payment=p)  # the second parcel: all that is left
    assert amounts(p) == (S.CAPTURED, 10_000, 10_000, 0)


def test_an_authorisation_is_voided_when_the_order_is_cancelled(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order)
    v = payments.void(session, payment=p)
    assert (v.succeeded, v.status, v.order_payment_status) == (True, S.VOIDED, S.VOIDED)
    assert amounts(p) == (S.VOIDED, 10_000, 0, 0)
    assert [t for _, t, _ in events(session, p)] == ["payment.authorised", "payment.voided"]


def test_pay_at_pickup_is_due_until_the_goods_are_collected_and_the_cash_taken(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row(total=5_990, fulfilment="pickup")
    p = pay(session, order, M.PAY_AT_PICKUP, token=None)
    assert amounts(p) == (S.DUE, 5_990, 0, 0)
    assert order.payment_status == S.DUE
    payments.capture(session, payment=p)
    assert amounts(p) == (S.CAPTURED, 5_990, 5_990, 0)
    assert order.payment_status == S.CAPTURED
    assert [t for _, t, _ in events(session, p)] == ["payment.due", "payment.captured"]


def test_cash_on_delivery_not_collected_is_voided(session: Session, order_row: MakeOrder) -> None:
    order = order_row()
    p = pay(session, order, M.CASH_ON_DELIVERY, token=None)
    payments.void(session, payment=p)
    assert order.payment_status == S.VOIDED


def test_cash_at_the_till_is_captured_at_once(session: Session, order_row: MakeOrder) -> None:
    order = order_row(total=1_250, kind="pos", fulfilment="carry_out")
    p = pay(session, order, M.CASH, token=None)
    assert amounts(p) == (S.CAPTURED, 1_250, 1_250, 0)
    assert operations(session, p) == [("capture", 1_250, True)]
    assert [t for _, t, _ in events(session, p)] == ["payment.captured"]
    assert order.payment_status == S.CAPTURED


def test_a_bank_transfer_is_pending_until_the_money_arrives(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order, M.BANK_TRANSFER, token=None)
    assert (p.status, order.payment_status) == (S.PENDING, S.PENDING)
    change = payments.confirm_transfer(session, payment=p)
    assert change.succeeded
    assert amounts(p) == (S.CAPTURED, 10_000, 10_000, 0)
    assert order.payment_status == S.CAPTURED
    assert [t for _, t, _ in events(session, p)] == ["payment.pending", "payment.captured"]


def test_a_transfer_that_never_arrives_fails_the_payment(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order, M.BANK_TRANSFER, token=None)
    change = payments.confirm_transfer(session, payment=p, received=False)
    assert (change.succeeded, p.status, order.payment_status) == (False, S.FAILED, S.FAILED)
    assert operations(session, p)[-1] == ("capture", 10_000, False)
    assert events(session, p)[-1][1] == "payment.failed"


def test_a_gift_card_and_a_card_pay_one_order_together(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row(total=10_000)
    gift = pay(session, order, M.GIFT_CARD, token="sandbox_gc_3000", amount=3_000)
    card = pay(session, order, M.CARD, amount=7_000)
    assert order.payment_status == S.AUTHORISED
    payments.capture(session, payment=gift)
    assert order.payment_status == S.AUTHORISED  # the card is not captured yet
    payments.capture(session, payment=card)
    assert order.payment_status == S.CAPTURED
    payments.refund(session, payment=gift, amount=3_000, reason="goodwill")
    assert order.payment_status == S.PARTIALLY_REFUNDED


def test_a_payment_joins_the_orders_loaded_payments(session: Session, order_row: MakeOrder) -> None:
    order = order_row(payments=[])  # as checkout places it: the collection is loaded
    p = pay(session, order)
    assert order.payments == [p]


# --- refusals ------------------------------------------------------------------------


def test_a_declined_card_raises_402_and_writes_nothing(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    before = counts(session)
    with pytest.raises(PaymentDeclined) as e, session.begin_nested():
        pay(session, order, token=sandbox.DECLINED)
    assert (e.value.status, e.value.code) == (402, "payment_declined")
    assert "declined" in e.value.detail
    assert counts(session) == before
    session.refresh(order)
    assert order.payment_status == S.PENDING


def test_a_rejected_blik_code_raises_402(session: Session, order_row: MakeOrder) -> None:
    order = order_row()
    with pytest.raises(PaymentDeclined):
        pay(session, order, M.BLIK, token="000000")


def test_a_provider_outage_raises_503_and_writes_nothing(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    before = counts(session)
    with pytest.raises(PaymentProviderUnavailable) as e:
        pay(session, order, token=sandbox.ERROR)
    assert e.value.status == 503
    assert counts(session) == before


def test_a_declined_capture_is_on_record_and_changes_nothing_else(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order, token=sandbox.CAPTURE_DECLINED)
    change = payments.capture(session, payment=p)
    assert (change.succeeded, change.status) == (False, S.AUTHORISED)
    assert change.message == "The authorisation has expired."
    assert amounts(p) == (S.AUTHORISED, 10_000, 0, 0)
    assert order.payment_status == S.AUTHORISED
    assert operations(session, p)[-1] == ("capture", 10_000, False)
    last = events(session, p)[-1]
    assert (last[0], last[1], last[2]["operation"]) == (2, "payment.failed", "capture")


def test_a_provider_outage_while_capturing_raises_503_and_writes_nothing(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order, token=sandbox.CAPTURE_ERROR)
    before = counts(session)
    with pytest.raises(PaymentProviderUnavailable):
        payments.capture(session, payment=p)
    assert counts(session) == before
    assert amounts(p) == (S.AUTHORISED, 10_000, 0, 0)


@pytest.mark.parametrize(
    ("setup", "move", "status"),
    [
        ("void", "capture", "voided"),
        ("capture", "void", "captured"),
        ("none", "refund", "authorised"),
        ("void", "refund", "voided"),
        ("capture", "capture", "captured"),
    ],
)
def test_a_move_the_payment_cannot_make_is_a_409_naming_its_status(
    session: Session, order_row: MakeOrder, setup: str, move: str, status: str
) -> None:
    order = order_row()
    p = pay(session, order)
    if setup == "void":
        payments.void(session, payment=p)
    elif setup == "capture":
        payments.capture(session, payment=p)
    before = counts(session)
    moves = {
        "capture": lambda: payments.capture(session, payment=p),
        "void": lambda: payments.void(session, payment=p),
        "refund": lambda: payments.refund(session, payment=p, amount=100, reason="x"),
    }
    with pytest.raises(PaymentMoveRefused) as e:
        moves[move]()
    assert e.value.status == 409
    assert e.value.code == "payment_transition_refused"
    assert status in e.value.detail
    assert e.value.extra["payment_status"] == status
    assert counts(session) == before


def test_refunding_more_than_was_captured_is_a_409(session: Session, order_row: MakeOrder) -> None:
    order = order_row(total=10_000)
    p = pay(session, order)
    payments.capture(session, payment=p, amount=6_000)
    payments.refund(session, payment=p, amount=5_000, reason="returned")
    with pytest.raises(PaymentAmountExceeded) as e:
        payments.refund(session, payment=p, amount=1_001, reason="more")
    assert e.value.status == 409
    assert "partially_refunded" in e.value.detail
    assert e.value.errors[0]["field"] == "amount"
    with pytest.raises(PaymentAmountExceeded):
        payments.capture(session, payment=p, amount=4_001)
    assert amounts(p) == (S.PARTIALLY_REFUNDED, 10_000, 6_000, 5_000)


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"currency": "EUR"}, "currency"),
        ({"amount": 10_001}, "amount"),
        ({"amount": 0}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"token": None}, "token"),
        ({"provider": "payu-nope"}, "provider"),
    ],
)
def test_a_payment_that_cannot_be_is_refused_naming_the_field(
    session: Session, order_row: MakeOrder, doc: dict[str, Any], field: str
) -> None:
    order = order_row(total=10_000)
    args: dict[str, Any] = {
        "order": order,
        "method": "card",
        "amount": 10_000,
        "currency": "PLN",
        "token": sandbox.OK,
    } | doc
    before = counts(session)
    with pytest.raises(InvalidInput) as e:
        payments.start_payment(session, **args)
    assert e.value.errors[0]["field"] == field
    assert counts(session) == before


def test_a_provider_is_asked_only_for_the_methods_it_takes(
    session: Session, order_row: MakeOrder
) -> None:
    class CardsOnly(sandbox.SandboxProvider):
        name = "test-cards-only"
        methods = frozenset({M.CARD})

    register(CardsOnly())
    order = order_row()
    with pytest.raises(PaymentMethodUnsupported):
        payments.start_payment(
            session,
            order=order,
            method=M.BLIK,
            amount=100,
            currency="PLN",
            token="123456",
            provider="test-cards-only",
        )


@pytest.mark.parametrize("amount", [0, -1])
def test_nothing_is_captured_or_refunded_for_nothing(
    session: Session, order_row: MakeOrder, amount: int
) -> None:
    order = order_row()
    p = pay(session, order)
    with pytest.raises(InvalidInput):
        payments.capture(session, payment=p, amount=amount)
    payments.capture(session, payment=p)
    with pytest.raises(InvalidInput):
        payments.refund(session, payment=p, amount=amount, reason="x")
    with pytest.raises(InvalidInput) as e:
        payments.refund(session, payment=p, amount=100, reason="  ")
    assert e.value.errors[0]["field"] == "reason"


# --- card data -----------------------------------------------------------------------


def test_no_card_number_ever_reaches_the_database(session: Session, order_row: MakeOrder) -> None:
    order = order_row()
    with pytest.raises(CardNumberRefused) as e:
        pay(session, order, token=PAN)
    assert e.value.errors[0]["field"] == "token"
    with pytest.raises(CardNumberRefused):
        pay(session, order, token="4111-1111-1111-1111")
    p = pay(session, order)
    payments.capture(session, payment=p)
    payments.refund(session, payment=p, amount=100, reason=f"customer says card {PAN}")
    session.commit()

    stored: list[str] = []  # every text stored (ids are uuids: not text we were given)
    for table in (Payment, PaymentOperation):
        for row in session.execute(select(table.__table__)):
            stored += [v for v in row if isinstance(v, str)]
    for (payload,) in session.execute(select(OutboxEvent.payload)):
        stored += [str(v) for k, v in payload.items() if not k.endswith("_id")]
    assert stored
    assert [s for s in stored if looks_like_card_number(s)] == []
    assert not any(sandbox.OK in s for s in stored)  # nor any other token


# --- amounts stay in range -------------------------------------------------------------

Move = tuple[str, int]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from([M.CARD, M.PAY_AT_PICKUP, M.CASH, M.BANK_TRANSFER]),
    moves=st.lists(
        st.tuples(
            st.sampled_from(["capture", "capture_all", "void", "refund", "confirm"]),
            st.integers(min_value=1, max_value=6_000),
        ),
        max_size=8,
    ),
)
def test_any_sequence_of_moves_keeps_the_amounts_in_range_and_on_record(
    session: Session, order_row: MakeOrder, method: PaymentMethod, moves: list[Move]
) -> None:
    order = order_row(total=10_000)
    token = sandbox.OK if method is M.CARD else None
    p = pay(session, order, method, token=token)
    for move, amount in moves:
        try:
            with session.begin_nested():  # a refusal undoes only itself, as a request's would
                if move == "capture":
                    payments.capture(session, payment=p, amount=amount)
                elif move == "capture_all":
                    payments.capture(session, payment=p)
                elif move == "void":
                    payments.void(session, payment=p)
                elif move == "refund":
                    payments.refund(session, payment=p, amount=amount, reason="test")
                else:
                    payments.confirm_transfer(session, payment=p)
        except (PaymentMoveRefused, PaymentAmountExceeded):
            session.refresh(p)
        assert 0 <= p.refunded <= p.captured <= p.amount
        ops = session.execute(
            select(PaymentOperation.kind, PaymentOperation.amount).where(
                PaymentOperation.payment_id == p.id, PaymentOperation.succeeded
            )
        ).all()
        assert sum(a for k, a in ops if k == "capture") == p.captured
        assert sum(a for k, a in ops if k == "refund") == p.refunded
        assert order.payment_status == payments.payment_status_of([p]) == p.status
        seqs = [s for s, _, _ in events(session, p)]
        assert seqs == list(range(1, len(operations(session, p)) + 1))


# --- one status for the order ------------------------------------------------------------


def _p(status: S, amount: int = 100, captured: int = 0, refunded: int = 0) -> Payment:
    return Payment(status=status.value, amount=amount, captured=captured, refunded=refunded)


@pytest.mark.parametrize(
    ("payments_", "expected"),
    [
        ([], S.PENDING),
        ([_p(S.FAILED)], S.FAILED),
        ([_p(S.FAILED), _p(S.VOIDED)], S.VOIDED),
        ([_p(S.FAILED), _p(S.AUTHORISED)], S.AUTHORISED),
        ([_p(S.CAPTURED, captured=100), _p(S.PENDING)], S.PENDING),
        ([_p(S.CAPTURED, captured=100), _p(S.DUE)], S.DUE),
        ([_p(S.CAPTURED, captured=100), _p(S.AUTHORISED)], S.AUTHORISED),
        ([_p(S.CAPTURED, captured=100), _p(S.CAPTURED, captured=50)], S.CAPTURED),
        (
            [_p(S.REFUNDED, captured=100, refunded=100), _p(S.CAPTURED, captured=10)],
            S.PARTIALLY_REFUNDED,
        ),
        ([_p(S.REFUNDED, captured=100, refunded=100), _p(S.VOIDED)], S.REFUNDED),
    ],
)
def test_the_orders_payment_status_sums_up_its_payments(
    payments_: list[Payment], expected: PaymentStatus
) -> None:
    assert payments.payment_status_of(payments_) == expected


# --- under contention ----------------------------------------------------------------------


def test_two_refunds_at_once_cannot_give_back_more_than_was_captured(
    committing_db: Database,
) -> None:
    entered, go_on = threading.Event(), threading.Event()

    class Slow(sandbox.SandboxProvider):
        """Holds the first refund inside the provider call until told to go on."""

        name = "test-slow-refunds"

        def refund(self, reference: str, amount: int) -> OperationResult:
            entered.set()
            go_on.wait(JOIN_TIMEOUT_S)
            return super().refund(reference, amount)

    register(Slow())
    with unit_of_work(committing_db, actor="test") as s:
        ch = create_channel(s, data=ChannelCreate(code="web", name="Web", type="web"))
        order = Order(**order_doc(ch.id, 10_000))
        s.add(order)
        s.flush()
        p = payments.start_payment(
            s,
            order=order,
            method=M.CARD,
            amount=10_000,
            currency="PLN",
            token=sandbox.OK,
            provider=Slow.name,
        )
        payments.capture(s, payment=p)
        payment_id = p.id

    outcomes: list[str] = []

    def refund_6000() -> None:
        try:
            with unit_of_work(committing_db, actor="test") as s:
                payment = payments.get_payment(s, payment_id=payment_id)
                payments.refund(s, payment=payment, amount=6_000, reason="returned")
            outcomes.append("refunded")
        except PaymentAmountExceeded:
            outcomes.append("refused")

    first = threading.Thread(target=refund_6000, daemon=True)
    first.start()
    assert entered.wait(JOIN_TIMEOUT_S)
    second = threading.Thread(target=refund_6000, daemon=True)
    second.start()
    second.join(timeout=0.3)  # it waits for the payment row: the first holds it
    go_on.set()
    for t in (first, second):
        t.join(timeout=JOIN_TIMEOUT_S)
    assert sorted(outcomes) == ["refunded", "refused"]
    with unit_of_work(committing_db, read_only=True) as s:
        payment = payments.get_payment(s, payment_id=payment_id)
        assert (payment.captured, payment.refunded) == (10_000, 6_000)
        refunds = s.scalar(
            select(func.count()).where(
                PaymentOperation.payment_id == payment_id, PaymentOperation.kind == "refund"
            )
        )
        assert refunds == 1
