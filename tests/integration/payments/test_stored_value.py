"""Gift cards and store credit through the `stored_value` provider, each call its own
short transaction: issue, hold, capture, release, refund; the same call twice does
it once; expired, blocked and short cards are declined saying why; the balance is
always what the ledger adds up to; the code is stored nowhere."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnichannel.customers.profiles import create_customer
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.db import Database, OutboxEvent
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments import codes
from omnichannel.payments import stored_value as sv
from omnichannel.payments.errors import PaymentMethodUnsupported
from omnichannel.payments.models import Payment
from omnichannel.payments.models_stored_value import StoredValueAccount, StoredValueEntry
from omnichannel.payments.providers import AuthoriseRequest, register
from omnichannel.payments.rules import PaymentMethod, PaymentOperationKind, PaymentStatus
from omnichannel.payments.service import Call, call, open_payment, record
from omnichannel.payments.stored_value_provider import (
    STORED_VALUE,
    StoreCreditNotYours,
    StoredValueProvider,
)
from tests.integration.payments.conftest import MakeOrder
from tests.integration.payments.steps import move

M = PaymentMethod
S = PaymentStatus
K = PaymentOperationKind
ACTOR = "staff:test"


@pytest.fixture
def provider(db: Database) -> Iterator[StoredValueProvider]:
    """The provider on the test's database, registered as the app registers it."""
    p = StoredValueProvider(db)
    register(p)
    return p


def gift_card(
    session: Session, amount: int = 10_000, expires_at: datetime | None = None
) -> sv.Issued:
    issued = sv.issue_gift_card(
        session, amount=amount, currency="PLN", actor=ACTOR, expires_at=expires_at
    )
    session.commit()
    return issued


def ask(
    p: StoredValueProvider,
    token: str,
    amount: int,
    *,
    ref: str | None = None,
    capture: bool = False,
) -> tuple[bool, str | None, str | None]:
    a = p.authorise(
        AuthoriseRequest(
            reference=ref or str(uuid.uuid4()),
            method=M.GIFT_CARD,
            amount=amount,
            currency="PLN",
            token=token,
            capture=capture,
        )
    )
    return a.ok, a.reference, a.message


def state(session: Session, account_id: uuid.UUID) -> tuple[int, int]:
    session.expire_all()
    a = session.get(StoredValueAccount, account_id)
    assert a is not None
    return a.balance, a.held


def ledger_agrees(session: Session, account_id: uuid.UUID) -> bool:
    return sv.ledger_sums(session, account_id=account_id) == state(session, account_id)


def event_types(session: Session, account_id: uuid.UUID) -> list[str]:
    return list(
        session.scalars(
            select(OutboxEvent.type)
            .where(OutboxEvent.aggregate_id == str(account_id))
            .order_by(OutboxEvent.sequence)
        )
    )


# --- the happy path ----------------------------------------------------------------------


def test_a_gift_card_is_held_captured_and_refunded_and_the_ledger_says_so(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session, 10_000)
    ok, ref, _ = ask(provider, card.code, 4_000)
    assert ok
    assert ref is not None
    assert state(session, card.account.id) == (10_000, 4_000)
    captured = provider.capture(ref, 4_000, key="c1")
    assert captured.ok
    assert state(session, card.account.id) == (6_000, 0)
    assert provider.refund(ref, 1_500, key="r1").ok
    assert state(session, card.account.id) == (7_500, 0)
    assert ledger_agrees(session, card.account.id)
    assert event_types(session, card.account.id) == [
        "stored_value.issued",
        "stored_value.held",
        "stored_value.captured",
        "stored_value.refunded",
    ]


def test_a_void_releases_what_the_hold_still_holds(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session, 10_000)
    _, ref, _ = ask(provider, card.code, 3_000)
    assert ref is not None
    assert provider.void(ref, key="v1").ok
    assert state(session, card.account.id) == (10_000, 0)
    assert provider.void(ref, key="v2").ok  # nothing left to release is a yes
    assert ledger_agrees(session, card.account.id)
    assert event_types(session, card.account.id)[-1] == "stored_value.released"


def test_a_sale_at_the_till_spends_the_card_at_once(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session, 5_000)
    ref = str(uuid.uuid4())
    ok, _, _ = ask(provider, card.code, 2_000, ref=ref, capture=True)
    assert ok
    assert state(session, card.account.id) == (3_000, 0)
    looked = provider.lookup(ref)
    assert looked is not None
    assert looked.status is S.CAPTURED
    assert ledger_agrees(session, card.account.id)


def test_a_code_is_accepted_however_it_is_typed(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session)
    assert ask(provider, card.code.lower().replace("-", " "), 100)[0]


# --- the same call twice -------------------------------------------------------------------


def test_every_call_asked_twice_moves_the_money_once_and_answers_the_same(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session, 10_000)
    payment = str(uuid.uuid4())
    first = ask(provider, card.code, 4_000, ref=payment)
    assert ask(provider, card.code, 4_000, ref=payment) == first
    assert state(session, card.account.id) == (10_000, 4_000)
    ref = first[1]
    assert ref is not None
    one = provider.capture(ref, 1_000, key="c")
    assert provider.capture(ref, 1_000, key="c") == one
    assert state(session, card.account.id) == (9_000, 3_000)
    refund = provider.refund(ref, 500, key="r")
    assert provider.refund(ref, 500, key="r") == refund
    release = provider.void(ref, key="v")
    assert provider.void(ref, key="v") == release
    assert state(session, card.account.id) == (9_500, 0)
    assert ledger_agrees(session, card.account.id)
    looked = provider.lookup(payment)
    assert looked is not None
    assert (looked.ok, looked.reference) == (True, ref)
    assert provider.lookup(str(uuid.uuid4())) is None


def test_a_capture_or_refund_beyond_the_hold_is_declined(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session, 10_000)
    _, ref, _ = ask(provider, card.code, 3_000)
    assert ref is not None
    assert not provider.capture(ref, 3_001, key="c").ok
    assert not provider.refund(ref, 1, key="r").ok  # nothing captured yet
    assert not provider.capture("not-ours", 1, key="x").ok
    assert not provider.capture(str(uuid.uuid4()), 1, key="x").ok
    assert state(session, card.account.id) == (10_000, 3_000)


# --- declines that say why -----------------------------------------------------------------


def test_a_card_with_too_little_left_is_declined_saying_how_much_is_left(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session, 5_000)
    assert ask(provider, card.code, 2_000)[0]
    ok, ref, message = ask(provider, card.code, 3_001)
    assert (ok, ref) == (False, None)
    assert message == "Not enough on this gift card: 30.00 PLN left, 30.01 PLN needed."
    assert state(session, card.account.id) == (5_000, 2_000)


def test_unknown_blocked_and_expired_cards_are_declined_by_name(
    session: Session, provider: StoredValueProvider
) -> None:
    assert ask(provider, codes.new_code(), 100)[2] == "Unknown gift card code."
    assert ask(provider, "nonsense", 100)[2] == "Unknown gift card code."
    blocked = gift_card(session)
    sv.block(session, account_id=blocked.account.id, actor=ACTOR)
    session.commit()
    assert ask(provider, blocked.code, 100)[2] == "This gift card is blocked."
    old = gift_card(session, expires_at=utcnow() + timedelta(days=1))
    session.execute(
        update(StoredValueAccount)
        .where(StoredValueAccount.id == old.account.id)
        .values(expires_at=utcnow() - timedelta(days=1))
    )
    session.commit()
    message = ask(provider, old.code, 100)[2]
    assert message is not None
    assert message.startswith("This gift card expired on ")
    euro = sv.issue_gift_card(session, amount=1_000, currency="EUR", actor=ACTOR)
    session.commit()
    assert ask(provider, euro.code, 100)[2] == "This gift card holds EUR, not PLN."


def test_a_refund_to_an_expired_card_keeps_it_spendable_for_a_while(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session, 5_000, expires_at=utcnow() + timedelta(days=1))
    _, ref, _ = ask(provider, card.code, 5_000)
    assert ref is not None
    assert provider.capture(ref, 5_000, key="c").ok
    session.execute(
        update(StoredValueAccount)
        .where(StoredValueAccount.id == card.account.id)
        .values(expires_at=utcnow() - timedelta(days=1))
    )
    session.commit()
    assert provider.refund(ref, 2_000, key="r").ok
    session.expire_all()
    account = session.get(StoredValueAccount, card.account.id)
    assert account is not None
    assert account.expires_at is not None
    assert account.expires_at > utcnow() + sv.REFUND_GRACE - timedelta(minutes=1)
    assert ask(provider, card.code, 2_000)[0]


def test_a_blocked_card_is_blocked_once(session: Session) -> None:
    card = gift_card(session)
    sv.block(session, account_id=card.account.id, actor=ACTOR)
    with pytest.raises(sv.StoredValueBlocked):
        sv.block(session, account_id=card.account.id, actor=ACTOR)
    with pytest.raises(sv.StoredValueNotFound):
        sv.block(session, account_id=uuid.uuid4(), actor=ACTOR)


def test_issuing_refuses_what_cannot_be(session: Session) -> None:
    for amount in (0, -1, sv.MAX_AMOUNT + 1):
        with pytest.raises(InvalidInput):
            sv.issue_gift_card(session, amount=amount, currency="PLN", actor=ACTOR)
    with pytest.raises(InvalidInput):
        sv.issue_gift_card(session, amount=100, currency="zł", actor=ACTOR)
    with pytest.raises(InvalidInput):
        sv.issue_gift_card(session, amount=100, currency="PLN", actor=ACTOR, expires_at=utcnow())


# --- store credit ----------------------------------------------------------------------------


def test_store_credit_is_spent_only_by_its_own_customer(
    session: Session, provider: StoredValueProvider, order_row: MakeOrder
) -> None:
    anna = create_customer(session, data=CustomerCreate(given_name="Anna")).customer.id
    jan = create_customer(session, data=CustomerCreate(given_name="Jan")).customer.id
    credit = sv.issue_store_credit(
        session, customer_id=anna, amount=5_000, currency="PLN", reason="goodwill", actor=ACTOR
    )
    session.commit()
    token = f"credit:{credit.id}"
    order = order_row(total=2_000)

    def open_for(customer: uuid.UUID | None) -> tuple[Payment, Call | None]:
        return open_payment(
            session,
            order_id=order.id,
            order_number=order.number,
            method=M.GIFT_CARD,
            amount=2_000,
            currency="PLN",
            token=token,
            customer_id=customer,
        )

    for stranger in (jan, None):
        with pytest.raises(StoreCreditNotYours):
            open_for(stranger)
        session.rollback()
    payment, c = open_for(anna)
    session.commit()
    assert c is not None
    change = record(session, call(c))
    session.commit()
    assert (change.succeeded, change.payment.provider) == (True, STORED_VALUE)
    assert state(session, credit.id) == (5_000, 2_000)
    move(session, change.payment, K.CAPTURE)
    assert state(session, credit.id) == (3_000, 0)
    assert ledger_agrees(session, credit.id)
    assert payment is change.payment


def test_store_credit_for_a_customer_who_does_not_exist_is_a_404(session: Session) -> None:
    with pytest.raises(sv.CustomerNotFound):
        sv.issue_store_credit(
            session,
            customer_id=uuid.uuid4(),
            amount=100,
            currency="PLN",
            reason="goodwill",
            actor=ACTOR,
        )


def test_the_stored_value_provider_takes_only_gift_cards(
    session: Session, provider: StoredValueProvider, order_row: MakeOrder
) -> None:
    order = order_row(total=1_000)
    with pytest.raises(PaymentMethodUnsupported):
        open_payment(
            session,
            order_id=order.id,
            order_number=order.number,
            method=M.CARD,
            amount=1_000,
            currency="PLN",
            token="tok",
            provider=STORED_VALUE,
        )


# --- the code is a secret ----------------------------------------------------------------------


def test_no_gift_card_code_is_stored_anywhere(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session, 10_000)
    _, ref, _ = ask(provider, card.code, 1_000)
    assert ref is not None
    assert provider.capture(ref, 1_000, key="c").ok
    plain = codes.normalise(card.code)
    assert plain is not None

    stored: list[str] = []
    for table in (StoredValueAccount, StoredValueEntry, OutboxEvent):
        for row in session.execute(select(table.__table__)):
            stored += [str(v) for v in row]
    text = " ".join(stored).upper().replace("-", "")
    assert plain not in text
    assert plain[:8] not in text  # not even a part of it beyond the last four
    account = session.get(StoredValueAccount, card.account.id)
    assert account is not None
    assert account.code_last4 == plain[-4:]
    payloads = " ".join(str(p) for p in session.scalars(select(OutboxEvent.payload)))
    assert plain[-4:] not in payloads.upper()  # events carry ids and amounts only


# --- the ledger ---------------------------------------------------------------------------------


def test_the_balance_is_always_the_sum_of_the_ledger(
    session: Session, provider: StoredValueProvider
) -> None:
    card = gift_card(session, 20_000)
    refs = []
    for amount in (1_000, 2_500, 4_000, 7_000):
        ok, ref, _ = ask(provider, card.code, amount)
        assert ok
        assert ref is not None
        refs.append(ref)
    assert not ask(provider, card.code, 6_000)[0]
    provider.capture(refs[0], 1_000, key="a")
    provider.capture(refs[1], 1_000, key="b")
    provider.void(refs[1], key="b2")
    provider.void(refs[2], key="c")
    provider.capture(refs[3], 7_000, key="d")
    provider.refund(refs[3], 3_000, key="e")
    provider.refund(refs[0], 1_000, key="f")
    assert state(session, card.account.id) == (20_000 - 1_000 - 1_000 - 7_000 + 3_000 + 1_000, 0)
    for account_id in session.scalars(select(StoredValueAccount.id)):
        assert ledger_agrees(session, account_id)
