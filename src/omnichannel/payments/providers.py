"""The payment provider interface, and the registry the payment service finds one in.

A provider moves the money; we keep what it answered. Card data never comes to us:
the provider's client-side SDK turns a card (or a wallet) into an opaque `token`
that we hand on once and never store. A request whose token looks like a card
number is refused before any provider sees it.

Real providers (PayU, Przelewy24, Stripe…) implement `PaymentProvider` in a module
of their own and are `register`ed at start-up. The only built-in one is `sandbox`:
a deterministic stand-in for the demo and the tests, never for real money.

The rules that depend on what already happened (capture at most what is authorised,
refund at most what is captured, void only before capture) are kept by the payment
service on the payment row, for every provider; a provider only says yes or no.

Every call carries our idempotency key (the payment's id for an authorisation, the
operation's key for the rest), so a call repeated after a crash or a timeout cannot
move the money twice; `lookup` says what became of an authorisation we asked for
when its answer never reached us. No call is ever made inside a database
transaction (promise 8): see `payments.operations`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments.errors import (
    CardNumberRefused,
    UnknownPaymentProvider,
    field_error,
)
from omnichannel.payments.rules import PaymentMethod, PaymentStatus

SANDBOX = "sandbox"

# Digits, optionally grouped by single spaces or dashes ("4111 1111 1111 1111").
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d)*")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_TOKEN_LENGTH = 2048


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number carries in its last digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_numbers(text: str) -> list[re.Match[str]]:
    found = []
    for m in _DIGIT_RUN.finditer(text):
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        if before.isalnum() or after.isalnum():
            continue  # digits inside a longer word: part of a hex id, not a card
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(m)
    return found


def looks_like_card_number(text: str) -> bool:
    """True if the text holds 13 to 19 digits standing on their own (spaces or dashes
    between them allowed) that pass the Luhn check: a card number, as far as anyone
    can tell. Digits run into letters ("a3411…9f", a hex id) do not count, or random
    provider ids would be refused one time in a few hundred."""
    return bool(_card_numbers(text))


def redact_card_numbers(text: str) -> str:
    """The text with anything that looks like a card number blanked out."""
    for m in reversed(_card_numbers(text)):
        text = text[: m.start()] + "[card number removed]" + text[m.end() :]
    return text


class ProviderError(Exception):
    """The provider could not be reached, or failed: a transient error. Whether anything
    happened is unknown; asking again with the same idempotency key is safe."""


@dataclass(frozen=True, slots=True)
class AuthoriseRequest:
    """Ask a provider to take (or expect) an amount for one payment."""

    reference: str  # our payment id: the provider's idempotency key
    method: PaymentMethod
    amount: int  # minor units
    currency: str  # ISO 4217
    token: str | None = None  # from the provider's client-side SDK; never a card number
    description: str = ""  # shown on the customer's statement or transfer title
    capture: bool = False  # take the money at once (a sale at a till), not only hold it

    def __post_init__(self) -> None:
        if not isinstance(self.method, PaymentMethod):
            raise InvalidInput(
                f"Unknown payment method {self.method!r}.",
                errors=[field_error("method", "unknown payment method", "enum")],
            )
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise InvalidInput(
                "A payment is for a positive amount in minor units.",
                errors=[field_error("amount", "must be a positive integer", "greater_than")],
            )
        check_currency(self.currency)
        if self.token is not None:
            check_token(self.token)


def check_currency(currency: str) -> None:
    """Refuse anything but three capital letters (422)."""
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise InvalidInput(
            f"Currency {currency!r} is not an ISO 4217 code.",
            errors=[field_error("currency", "three capital letters", "currency")],
        )


def check_token(token: str, *, field: str = "token") -> None:
    """Refuse a token that is too long or looks like a card number (422)."""
    if looks_like_card_number(token):
        raise CardNumberRefused(
            "That looks like a card number. Card data never comes to us: send the token "
            "the payment provider's form returned.",
            errors=[field_error(field, "looks like a card number", "card_number")],
        )
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidInput(
            f"A provider token is at most {MAX_TOKEN_LENGTH} characters.",
            errors=[field_error(field, "too long", "string_too_long")],
        )


@dataclass(frozen=True, slots=True)
class AuthoriseResult:
    """What the provider answered to an authorisation.

    When `ok`, `status` says where the money is: AUTHORISED (held on the card),
    PENDING (waiting for the customer, e.g. a bank transfer), DUE (paid in person
    later) or CAPTURED (taken at once, e.g. cash at the till). When declined, the
    status is FAILED and `message` says why, in words for the customer.
    """

    ok: bool
    status: PaymentStatus
    reference: str | None  # the provider's id for this payment
    message: str | None = None

    @classmethod
    def declined(cls, message: str, reference: str | None = None) -> AuthoriseResult:
        return cls(False, PaymentStatus.FAILED, reference, message)


@dataclass(frozen=True, slots=True)
class OperationResult:
    """What the provider answered to a capture, void or refund."""

    ok: bool
    reference: str | None = None  # the provider's id for this operation, if it has one
    message: str | None = None


class PaymentProvider(Protocol):
    """A payment service provider. Every call is synchronous and may raise
    `ProviderError` when the provider cannot be reached."""

    @property
    def name(self) -> str:
        """As stored in `payments.provider`; never changes."""
        ...

    @property
    def methods(self) -> frozenset[PaymentMethod]:
        """The payment methods it handles."""
        ...

    def authorise(self, request: AuthoriseRequest) -> AuthoriseResult:
        """Take or hold `request.amount`; idempotent on `request.reference`."""
        ...

    def lookup(self, reference: str) -> AuthoriseResult | None:
        """What became of the authorisation asked for under `reference` (our payment
        id); None if the provider never received it."""
        ...

    def capture(self, reference: str, amount: int, *, key: str) -> OperationResult:
        """Take `amount` of the authorisation `reference`; idempotent on `key`."""
        ...

    def void(self, reference: str, *, key: str) -> OperationResult:
        """Release the authorisation `reference`; idempotent on `key`."""
        ...

    def refund(self, reference: str, amount: int, *, key: str) -> OperationResult:
        """Give back `amount` of what was captured; idempotent on `key`."""
        ...


_registry: dict[str, PaymentProvider] = {}


def register(provider: PaymentProvider) -> None:
    """Make a provider available under its name (at start-up; replaces a namesake)."""
    _registry[provider.name] = provider


def provider_for(name: str) -> PaymentProvider:
    """The registered provider of that name; 422 `unknown_payment_provider` if none."""
    provider = _registry.get(name)
    if provider is None and name == SANDBOX:
        # Imported here: the sandbox module builds on this one (a cycle otherwise).
        from omnichannel.payments.sandbox import SandboxProvider

        provider = _registry.setdefault(SANDBOX, SandboxProvider())
    if provider is None:
        raise UnknownPaymentProvider(
            f"No payment provider is called {name!r}.",
            errors=[field_error("provider", "unknown payment provider", "unknown_provider")],
        )
    return provider
