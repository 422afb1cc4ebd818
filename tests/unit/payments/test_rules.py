"""Which methods start without a provider and how, and the one payment status an
order shows for all its payments."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from omnichannel.payments.rules import (
    OFFLINE_START,
    ONLINE,
    PaymentMethod,
    PaymentStatus,
    needs_provider,
    status_of,
)

M = PaymentMethod
S = PaymentStatus


@dataclass(frozen=True)
class P:
    """A payment as `status_of` sees it."""

    status: str
    captured: int = 0
    refunded: int = 0


def p(status: PaymentStatus, captured: int = 0, refunded: int = 0) -> P:
    return P(status.value, captured, refunded)


# --- how a payment starts ---------------------------------------------------------------


def test_every_method_is_either_asked_of_a_provider_or_started_at_once() -> None:
    assert set(ONLINE) | set(OFFLINE_START) == set(PaymentMethod)
    assert not set(ONLINE) & set(OFFLINE_START)


@pytest.mark.parametrize("method", sorted(ONLINE))
def test_a_method_whose_money_a_provider_holds_needs_the_provider(method: PaymentMethod) -> None:
    assert needs_provider(method)


@pytest.mark.parametrize("method", sorted(OFFLINE_START))
def test_a_method_of_cash_transfers_or_marketplaces_needs_no_provider(
    method: PaymentMethod,
) -> None:
    assert not needs_provider(method)


def test_a_bank_transfer_starts_pending_until_the_money_arrives() -> None:
    assert OFFLINE_START[M.BANK_TRANSFER][0] is S.PENDING


@pytest.mark.parametrize("method", [M.CASH_ON_DELIVERY, M.PAY_AT_PICKUP])
def test_paying_in_person_later_starts_due(method: PaymentMethod) -> None:
    assert OFFLINE_START[method][0] is S.DUE


@pytest.mark.parametrize("method", [M.CASH, M.MARKETPLACE])
def test_cash_at_the_till_and_marketplace_money_start_captured(method: PaymentMethod) -> None:
    assert OFFLINE_START[method][0] is S.CAPTURED


def test_every_offline_start_says_in_words_how_it_is_paid() -> None:
    assert all(message for _, message in OFFLINE_START.values())


# --- one status for the order ------------------------------------------------------------


@pytest.mark.parametrize(
    ("payments", "expected"),
    [
        ([], S.PENDING),
        ([p(S.FAILED)], S.FAILED),
        ([p(S.FAILED), p(S.VOIDED)], S.VOIDED),
        ([p(S.FAILED), p(S.AUTHORISED)], S.AUTHORISED),
        ([p(S.CAPTURED, captured=100), p(S.PENDING)], S.PENDING),
        ([p(S.CAPTURED, captured=100), p(S.DUE)], S.DUE),
        ([p(S.CAPTURED, captured=100), p(S.AUTHORISED)], S.AUTHORISED),
        ([p(S.CAPTURED, captured=100), p(S.CAPTURED, captured=50)], S.CAPTURED),
        (
            [p(S.REFUNDED, captured=100, refunded=100), p(S.CAPTURED, captured=10)],
            S.PARTIALLY_REFUNDED,
        ),
        ([p(S.REFUNDED, captured=100, refunded=100), p(S.VOIDED)], S.REFUNDED),
    ],
)
def test_the_orders_payment_status_sums_up_its_payments(
    payments: list[P], expected: PaymentStatus
) -> None:
    assert status_of(payments) == expected


@pytest.mark.parametrize("other", [S.PENDING, S.DUE, S.AUTHORISED, S.CAPTURED])
def test_authorising_counts_as_the_least_advanced_status(other: PaymentStatus) -> None:
    captured = 100 if other is S.CAPTURED else 0
    assert status_of([p(other, captured=captured), p(S.AUTHORISING)]) == S.AUTHORISING


def test_an_order_whose_only_payment_is_being_authorised_is_authorising() -> None:
    assert status_of([p(S.AUTHORISING)]) == S.AUTHORISING


def test_a_failed_authorisation_next_to_one_being_asked_for_counts_for_nothing() -> None:
    assert status_of([p(S.FAILED), p(S.AUTHORISING)]) == S.AUTHORISING


def test_refunds_come_first_even_while_another_payment_is_being_authorised() -> None:
    payments = [p(S.PARTIALLY_REFUNDED, captured=100, refunded=40), p(S.AUTHORISING)]
    assert status_of(payments) == S.PARTIALLY_REFUNDED


def test_what_a_dead_payment_took_and_gave_back_does_not_count() -> None:
    payments = [p(S.FAILED, captured=100, refunded=100), p(S.CAPTURED, captured=50)]
    assert status_of(payments) == S.CAPTURED
