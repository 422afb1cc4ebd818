"""Payment methods, statuses and the moves between them: plain values, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol


class PaymentMethod(StrEnum):
    CARD = "card"
    BLIK = "blik"
    BANK_TRANSFER = "bank_transfer"
    CASH_ON_DELIVERY = "cash_on_delivery"
    PAY_AT_PICKUP = "pay_at_pickup"
    GIFT_CARD = "gift_card"  # gift card or store credit
    CASH = "cash"  # at the till
    MARKETPLACE = "marketplace"  # settled by the marketplace


class PaymentStatus(StrEnum):
    AUTHORISING = "authorising"  # the provider is being asked (between two transactions)
    PENDING = "pending"  # waiting for the customer (a bank transfer)
    AUTHORISED = "authorised"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"
    DUE = "due"  # paid in person later (cash on delivery, pay at pickup)


class PaymentOperationKind(StrEnum):
    AUTHORISE = "authorise"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


M = PaymentMethod
S = PaymentStatus
K = PaymentOperationKind

# Methods whose money a provider holds: it must say yes before the order goes on, and
# every later move (capture, void, refund) is a call to it. Called with no database
# transaction open (promise 8).
ONLINE = frozenset({M.CARD, M.BLIK, M.GIFT_CARD})

# Every other method starts without asking anyone: how it starts, and what the
# payment says. Later moves of these are records of what people did with cash or a
# transfer (the courier took the cash, the counter refunded it), not provider calls.
OFFLINE_START: dict[PaymentMethod, tuple[PaymentStatus, str]] = {
    M.BANK_TRANSFER: (S.PENDING, "Awaiting the bank transfer"),
    M.CASH_ON_DELIVERY: (S.DUE, "To be paid in cash on delivery"),
    M.PAY_AT_PICKUP: (S.DUE, "To be paid when collected"),
    M.CASH: (S.CAPTURED, "Paid in cash at the till"),
    M.MARKETPLACE: (S.CAPTURED, "Settled by the marketplace"),
}

# Paid later, in person: the order is confirmed without an authorisation.
PAY_LATER = frozenset({M.CASH_ON_DELIVERY, M.PAY_AT_PICKUP})

# Where each move may start from.
CAN_CAPTURE = frozenset({S.AUTHORISED, S.DUE, S.CAPTURED, S.PARTIALLY_REFUNDED, S.REFUNDED})
CAN_VOID = frozenset({S.AUTHORISED, S.DUE, S.PENDING})
CAN_REFUND = frozenset({S.CAPTURED, S.PARTIALLY_REFUNDED})
# What a successful authorisation may leave the payment in.
STARTED = frozenset({S.AUTHORISED, S.PENDING, S.DUE, S.CAPTURED})
# No longer standing: they count for nothing in the order's status.
DEAD = frozenset({S.VOIDED, S.FAILED})
# Settled enough for an order to go ahead.
SETTLED = frozenset({S.AUTHORISED, S.CAPTURED, S.DUE})


def needs_provider(method: PaymentMethod) -> bool:
    """Whether starting (and moving) a payment of this method is a provider call."""
    return method in ONLINE


class Amounts(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def captured(self) -> int: ...
    @property
    def refunded(self) -> int: ...


def status_of(payments: Iterable[Amounts]) -> PaymentStatus:
    """One status for an order from all its payments: refunds first, then the least
    advanced of those still standing (authorising < pending < due < authorised <
    captured). Voided and failed payments count only when nothing else stands."""
    every = list(payments)
    live = [p for p in every if S(p.status) not in DEAD]
    if not live:
        if not every:
            return S.PENDING
        return S.VOIDED if any(S(p.status) is S.VOIDED for p in every) else S.FAILED
    captured = sum(p.captured for p in live)
    refunded = sum(p.refunded for p in live)
    if refunded:
        return S.REFUNDED if refunded >= captured else S.PARTIALLY_REFUNDED
    statuses = {S(p.status) for p in live}
    for status in (S.AUTHORISING, S.PENDING, S.DUE, S.AUTHORISED):
        if status in statuses:
            return status
    return S.CAPTURED
