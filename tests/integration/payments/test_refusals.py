"""What a payment refuses: a declined card or code is a failed payment on record,
a declined capture changes nothing but the record, a move its status does not allow
or an amount it does not hold is a 409, bad input a 422 naming the field; and a
provider is asked only about the methods it takes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments import sandbox
from omnichannel.payments.errors import (
    PaymentAmountExceeded,
    PaymentMethodUnsupported,
    PaymentMoveRefused,
)
from omnichannel.payments.providers import AuthoriseRequest, AuthoriseResult, register
from omnichannel.payments.rules import (
    OFFLINE_START,
    PaymentMethod,
    PaymentOperationKind,
    PaymentStatus,
)
from omnichannel.payments.service import call, open_payment, record, request
from tests.integration.payments.conftest import MakeOrder
from tests.integration.payments.steps import (
    amounts,
    counts,
    events,
    move,
    operations,
    order_status,
    pay,
)

M = PaymentMethod
S = PaymentStatus
K = PaymentOperationKind
PAN = "4111111111111111"


# --- refusals ------------------------------------------------------------------------


def test_a_declined_card_records_a_failed_payment(session: Session, order_row: MakeOrder) -> None:
    order = order_row()
    p = pay(session, order, token=sandbox.DECLINED)
    assert amounts(p) == (S.FAILED, 10_000, 0, 0)
    assert p.pending_kind is None  # nothing to release: nothing was held
    assert operations(session, p) == [("authorise", 10_000, False)]
    [(sequence, type_, payload)] = events(session, p)
    assert (sequence, type_, payload["operation"]) == (1, "payment.failed", "authorise")
    assert "declined" in payload["message"]
    assert order_status(session, order) == S.FAILED


def test_a_rejected_blik_code_records_a_failed_payment(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order, M.BLIK, token=sandbox.BLIK_DECLINED)
    assert p.status == S.FAILED
    assert events(session, p)[-1][1] == "payment.failed"


def test_a_token_the_provider_finds_malformed_fails_the_payment_instead_of_leaving_it_open(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p, c = open_payment(
        session,
        order_id=order.id,
        order_number=order.number,
        method=M.BLIK,
        amount=10_000,
        currency="PLN",
        token="12345",  # a BLIK code is six digits: only the provider says so
    )
    session.commit()
    assert c is not None
    answer = call(c)
    assert (answer.ok, answer.reached) == (False, True)
    record(session, answer)
    session.commit()
    assert (p.status, p.pending_kind) == (S.FAILED, None)  # nothing held: nothing to release
    [(_, type_, payload)] = events(session, p)
    assert type_ == "payment.failed"
    assert "6 digits" in payload["message"]


def test_a_declined_capture_is_on_record_and_changes_nothing_else(
    session: Session, order_row: MakeOrder
) -> None:
    order = order_row()
    p = pay(session, order, token=sandbox.CAPTURE_DECLINED)
    change = move(session, p, K.CAPTURE)
    assert (change.succeeded, change.status, change.in_flight) == (False, S.AUTHORISED, False)
    assert change.message == "The authorisation has expired."
    assert amounts(p) == (S.AUTHORISED, 10_000, 0, 0)
    assert p.pending_kind is None
    assert order_status(session, order) == S.AUTHORISED
    assert operations(session, p)[-1] == ("capture", 10_000, False)
    last = events(session, p)[-1]
    assert (last[0], last[1], last[2]["operation"]) == (2, "payment.failed", "capture")


@pytest.mark.parametrize(
    ("setup", "move_", "status"),
    [
        ("void", K.CAPTURE, "voided"),
        ("capture", K.VOID, "captured"),
        ("none", K.REFUND, "authorised"),
        ("void", K.REFUND, "voided"),
        ("capture", K.CAPTURE, "captured"),
        ("open", K.CAPTURE, "authorising"),
        ("decline", K.VOID, "failed"),
    ],
)
def test_a_move_the_payment_cannot_make_is_a_409_naming_its_status(
    session: Session, order_row: MakeOrder, setup: str, move_: K, status: str
) -> None:
    order = order_row()
    if setup == "open":  # opened, and the provider not asked yet
        p, _ = open_payment(
            session,
            order_id=order.id,
            order_number=order.number,
            method=M.CARD,
            amount=10_000,
            currency="PLN",
            token=sandbox.OK,
        )
        session.commit()
    else:
        p = pay(session, order, token=sandbox.DECLINED if setup == "decline" else sandbox.OK)
    if setup in ("void", "capture"):
        move(session, p, K(setup))
    before = counts(session)
    with pytest.raises(PaymentMoveRefused) as e:
        request(session, payment=p, kind=move_, amount=100, reason="x")
    assert e.value.status == 409
    assert e.value.code == "payment_transition_refused"
    assert status in e.value.detail
    assert e.value.extra["payment_status"] == status
    assert counts(session) == before


def test_refunding_more_than_was_captured_is_a_409(session: Session, order_row: MakeOrder) -> None:
    order = order_row(total=10_000)
    p = pay(session, order)
    move(session, p, K.CAPTURE, 6_000)
    move(session, p, K.REFUND, 5_000, reason="returned")
    with pytest.raises(PaymentAmountExceeded) as e:
        request(session, payment=p, kind=K.REFUND, amount=1_001, reason="more")
    assert e.value.status == 409
    assert "partially_refunded" in e.value.detail
    assert e.value.errors[0]["field"] == "amount"
    with pytest.raises(PaymentAmountExceeded):
        request(session, payment=p, kind=K.CAPTURE, amount=4_001)
    assert amounts(p) == (S.PARTIALLY_REFUNDED, 10_000, 6_000, 5_000)
    assert p.pending_kind is None


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"currency": "pln"}, "currency"),
        ({"method": M.CASH, "currency": "pln"}, "currency"),
        ({"method": M.CASH, "currency": "EURO"}, "currency"),
        ({"amount": 0}, "amount"),
        ({"method": M.CASH, "amount": -1}, "amount"),
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
        "order_id": order.id,
        "order_number": order.number,
        "method": "card",
        "amount": 10_000,
        "currency": "PLN",
        "token": sandbox.OK,
    } | doc
    before = counts(session)
    with pytest.raises(InvalidInput) as e:
        open_payment(session, **args)
    assert e.value.status == 422
    assert e.value.errors[0]["field"] == field
    session.commit()
    assert counts(session) == before


def test_a_provider_is_asked_only_for_the_methods_it_takes(
    session: Session, order_row: MakeOrder
) -> None:
    class CardsOnly(sandbox.SandboxProvider):
        name = "test-cards-only"
        methods = frozenset({M.CARD})

    register(CardsOnly())
    order = order_row()
    with pytest.raises(PaymentMethodUnsupported) as e:
        open_payment(
            session,
            order_id=order.id,
            order_number=order.number,
            method=M.BLIK,
            amount=100,
            currency="PLN",
            token="123456",
            provider="test-cards-only",
        )
    assert e.value.errors[0]["field"] == "method"


def test_a_payment_of_an_offline_method_never_calls_its_provider(
    session: Session, order_row: MakeOrder
) -> None:
    asked: list[str] = []

    class Watched(sandbox.SandboxProvider):
        name = "test-watched"

        def authorise(self, request: AuthoriseRequest) -> AuthoriseResult:
            asked.append("authorise")
            return super().authorise(request)

        def lookup(self, reference: str) -> AuthoriseResult | None:
            asked.append("lookup")
            return super().lookup(reference)

    register(Watched())
    order = order_row()
    for method in OFFLINE_START:
        p = pay(session, order, method, token=None, amount=100, provider=Watched.name)
        kind = K.REFUND if p.status == S.CAPTURED else K.VOID
        move(session, p, kind, 100, reason="changed their mind")
    assert asked == []


@pytest.mark.parametrize("amount", [0, -1])
def test_nothing_is_captured_or_refunded_for_nothing(
    session: Session, order_row: MakeOrder, amount: int
) -> None:
    order = order_row()
    p = pay(session, order)
    with pytest.raises(InvalidInput):
        request(session, payment=p, kind=K.CAPTURE, amount=amount)
    move(session, p, K.CAPTURE)
    with pytest.raises(InvalidInput):
        request(session, payment=p, kind=K.REFUND, amount=amount, reason="x")
    with pytest.raises(InvalidInput) as e:
        request(session, payment=p, kind=K.REFUND, amount=100, reason="  ")
    assert e.value.errors[0]["field"] == "reason"
    assert p.pending_kind is None
