"""The sandbox provider answers by token and method, deterministically, for the
methods a provider holds money for; it remembers what it authorised, takes
idempotency keys, and can be made as slow as a real round trip. Nothing that looks
like a card number is ever taken as a token."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments import sandbox
from omnichannel.payments.errors import CardNumberRefused, UnknownPaymentProvider
from omnichannel.payments.providers import (
    AuthoriseRequest,
    AuthoriseResult,
    OperationResult,
    ProviderError,
    looks_like_card_number,
    luhn_valid,
    provider_for,
    redact_card_numbers,
    register,
)
from omnichannel.payments.rules import ONLINE, PaymentMethod, PaymentStatus

M = PaymentMethod
S = PaymentStatus
SANDBOX = sandbox.SandboxProvider()
PAN = "4111111111111111"


def authorise(
    method: PaymentMethod,
    token: str | None = None,
    amount: int = 10_000,
    *,
    reference: str | None = None,
    capture: bool = False,
    provider: sandbox.SandboxProvider = SANDBOX,
) -> AuthoriseResult:
    """Authorise under a fresh reference (a new payment) unless one is given."""
    return provider.authorise(
        AuthoriseRequest(
            reference=reference or str(uuid.uuid4()),
            method=method,
            amount=amount,
            currency="PLN",
            token=token,
            capture=capture,
        )
    )


def key() -> str:
    return str(uuid.uuid4())


def with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


# --- cards ---------------------------------------------------------------------------


def test_the_sandbox_takes_exactly_the_methods_a_provider_holds_money_for() -> None:
    assert SANDBOX.methods == ONLINE == {M.CARD, M.BLIK, M.GIFT_CARD}


def test_a_card_with_the_ok_token_is_authorised_with_a_sandbox_reference() -> None:
    r = authorise(M.CARD, sandbox.OK)
    assert (r.ok, r.status) == (True, S.AUTHORISED)
    assert r.reference is not None
    assert r.reference.startswith("sbx_")


def test_every_authorisation_gets_its_own_reference() -> None:
    refs = {authorise(M.CARD, sandbox.OK).reference for _ in range(50)}
    assert len(refs) == 50


def test_a_card_with_the_declined_token_is_declined_with_a_message() -> None:
    r = authorise(M.CARD, sandbox.DECLINED)
    assert (r.ok, r.status) == (False, S.FAILED)
    assert r.message
    assert "declined" in r.message


def test_an_unknown_card_token_is_declined_and_the_message_names_the_good_ones() -> None:
    r = authorise(M.CARD, "tok_something_else")
    assert not r.ok
    assert r.message
    assert sandbox.OK in r.message


@pytest.mark.parametrize("method", sorted(ONLINE))
def test_the_error_token_raises_a_provider_error_for_every_method(
    method: PaymentMethod,
) -> None:
    with pytest.raises(ProviderError):
        authorise(method, sandbox.ERROR)


@pytest.mark.parametrize("method", sorted(ONLINE))
def test_a_method_that_needs_a_token_refuses_to_go_without_one(method: PaymentMethod) -> None:
    with pytest.raises(InvalidInput) as e:
        authorise(method, None)
    assert e.value.errors[0]["field"] == "token"


def test_the_same_token_gives_the_same_answer_every_time() -> None:
    answers = {(r.ok, r.status) for r in (authorise(M.CARD, sandbox.OK) for _ in range(5))}
    assert answers == {(True, S.AUTHORISED)}


# --- charged at once -------------------------------------------------------------------


def test_an_authorisation_asked_to_capture_is_charged_at_once() -> None:
    r = authorise(M.CARD, sandbox.OK, capture=True)
    assert (r.ok, r.status) == (True, S.CAPTURED)
    assert r.reference is not None
    assert r.reference.startswith("sbx_")


def test_a_declined_card_is_not_charged_when_asked_to_capture() -> None:
    r = authorise(M.CARD, sandbox.DECLINED, capture=True)
    assert (r.ok, r.status) == (False, S.FAILED)


# --- lookup ----------------------------------------------------------------------------


def test_an_answered_authorisation_is_remembered_for_lookup() -> None:
    reference = str(uuid.uuid4())
    r = authorise(M.CARD, sandbox.OK, reference=reference)
    assert SANDBOX.lookup(reference) == r


def test_a_declined_authorisation_is_remembered_as_declined() -> None:
    reference = str(uuid.uuid4())
    authorise(M.CARD, sandbox.DECLINED, reference=reference)
    found = SANDBOX.lookup(reference)
    assert found is not None
    assert (found.ok, found.status) == (False, S.FAILED)


def test_a_reference_the_sandbox_never_received_is_unknown_to_lookup() -> None:
    assert SANDBOX.lookup(str(uuid.uuid4())) is None


def test_an_authorisation_that_met_an_outage_is_unknown_to_lookup() -> None:
    reference = str(uuid.uuid4())
    with pytest.raises(ProviderError):
        authorise(M.CARD, sandbox.ERROR, reference=reference)
    assert SANDBOX.lookup(reference) is None


def test_the_same_reference_authorised_twice_gives_the_same_answer() -> None:
    reference = str(uuid.uuid4())
    first = authorise(M.CARD, sandbox.OK, reference=reference)
    again = authorise(M.CARD, sandbox.OK, reference=reference)
    assert again == first  # the same hold, not a second one


def test_lookup_remembers_each_provider_s_own_authorisations() -> None:
    reference = str(uuid.uuid4())
    authorise(M.CARD, sandbox.OK, reference=reference)
    assert sandbox.SandboxProvider().lookup(reference) is None


# --- BLIK and gift cards ---------------------------------------------------------


def test_a_blik_code_authorises() -> None:
    r = authorise(M.BLIK, "123456")
    assert (r.ok, r.status) == (True, S.AUTHORISED)


def test_the_blik_code_000000_is_declined() -> None:
    r = authorise(M.BLIK, sandbox.BLIK_DECLINED)
    assert not r.ok
    assert r.message


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "sandbox_ok"])
def test_a_blik_code_is_six_digits(code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        authorise(M.BLIK, code)
    assert e.value.errors[0]["field"] == "token"


def test_a_gift_card_authorises_up_to_its_balance() -> None:
    assert authorise(M.GIFT_CARD, "sandbox_gc_5000", amount=5000).ok
    short = authorise(M.GIFT_CARD, "sandbox_gc_5000", amount=5001)
    assert not short.ok
    assert short.message
    assert "5000" in short.message


def test_an_unknown_gift_card_is_declined() -> None:
    assert not authorise(M.GIFT_CARD, "sandbox_gc_lots").ok


# --- capture, void, refund -----------------------------------------------------------


def test_capture_void_and_refund_of_a_sandbox_payment_succeed_with_their_own_references() -> None:
    ref = authorise(M.CARD, sandbox.OK).reference
    assert ref is not None
    answers = [
        SANDBOX.capture(ref, 4000, key=key()),
        SANDBOX.refund(ref, 1000, key=key()),
        SANDBOX.void(ref, key=key()),
    ]
    assert all(a.ok for a in answers)
    assert len({a.reference for a in answers} | {ref}) == 4


def test_a_reference_the_sandbox_did_not_give_is_refused() -> None:
    assert SANDBOX.capture("ch_3N7", 100, key=key()) == OperationResult(
        False, None, "Not a sandbox payment, or nothing to capture."
    )
    assert not SANDBOX.void("ch_3N7", key=key()).ok
    assert not SANDBOX.refund("ch_3N7", 100, key=key()).ok


def test_nothing_is_captured_or_refunded_for_zero() -> None:
    ref = authorise(M.CARD, sandbox.OK).reference
    assert ref is not None
    assert not SANDBOX.capture(ref, 0, key=key()).ok
    assert not SANDBOX.refund(ref, 0, key=key()).ok


def test_an_expired_authorisation_declines_its_capture_but_can_be_voided() -> None:
    r = authorise(M.CARD, sandbox.CAPTURE_DECLINED)
    assert r.ok
    assert r.reference
    assert not SANDBOX.capture(r.reference, 100, key=key()).ok
    assert SANDBOX.void(r.reference, key=key()).ok


def test_a_capture_can_meet_a_provider_outage() -> None:
    r = authorise(M.CARD, sandbox.CAPTURE_ERROR)
    assert r.ok
    assert r.reference
    with pytest.raises(ProviderError):
        SANDBOX.capture(r.reference, 100, key=key())


# --- a provider's round trip -------------------------------------------------------------


def test_every_call_takes_at_least_the_delay_it_is_given() -> None:
    slow = sandbox.SandboxProvider(delay_ms=50)
    reference = str(uuid.uuid4())
    calls: list[Callable[[], object]] = [
        lambda: authorise(M.CARD, sandbox.OK, reference=reference, provider=slow),
        lambda: slow.lookup(reference),
        lambda: slow.capture("sbx_x", 100, key=key()),
        lambda: slow.void("sbx_x", key=key()),
        lambda: slow.refund("sbx_x", 100, key=key()),
    ]
    for make_call in calls:
        started = time.perf_counter()
        make_call()
        assert time.perf_counter() - started >= 0.050


# --- the request ---------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("amount", 0), ("amount", -5), ("currency", "pln")])
def test_a_request_for_nothing_or_in_no_currency_is_refused(field: str, value: object) -> None:
    doc: dict[str, object] = {"reference": "p", "method": M.CARD, "amount": 100, "currency": "PLN"}
    doc[field] = value
    with pytest.raises(InvalidInput) as e:
        AuthoriseRequest(**doc)  # type: ignore[arg-type]
    assert e.value.errors[0]["field"] == field


# --- card numbers ----------------------------------------------------------------------


@given(body=st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_any_luhn_valid_13_to_19_digit_string_is_refused_as_a_token(body: str) -> None:
    pan = with_check_digit(body)
    with pytest.raises(CardNumberRefused) as e:
        AuthoriseRequest(reference="p", method=M.CARD, amount=100, currency="PLN", token=pan)
    assert e.value.errors[0]["field"] == "token"
    assert e.value.status == 422


@given(body=st.text(alphabet="0123456789", min_size=15, max_size=15), sep=st.sampled_from(" -"))
def test_a_card_number_in_groups_or_inside_a_longer_token_is_refused(body: str, sep: str) -> None:
    pan = with_check_digit(body)
    grouped = sep.join(pan[i : i + 4] for i in range(0, 16, 4))
    for token in (grouped, f"tok_{pan}", f"card {grouped} exp 12/29"):
        with pytest.raises(CardNumberRefused):
            AuthoriseRequest(reference="p", method=M.CARD, amount=100, currency="PLN", token=token)


@given(body=st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_a_digit_string_failing_luhn_is_not_taken_for_a_card_number(body: str) -> None:
    good = with_check_digit(body)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not looks_like_card_number(bad)


@pytest.mark.parametrize(
    "token", ["sandbox_ok", "123456", "sandbox_gc_100000000000", "tok_1N3T00LkdIwHu7ixt44h1F8k"]
)
def test_ordinary_tokens_are_not_card_numbers(token: str) -> None:
    assert not looks_like_card_number(token)


@given(st.uuids())
def test_a_sandbox_reference_never_looks_like_a_card_number(u: uuid.UUID) -> None:
    assert not looks_like_card_number(f"sbx_{u.hex}")
    assert not looks_like_card_number(f"sbx_cd_{u.hex}")


def test_digits_run_into_letters_are_part_of_an_id_not_a_card_number() -> None:
    assert not looks_like_card_number(f"a{PAN}f")
    assert looks_like_card_number(f"tok_{PAN}")
    assert looks_like_card_number(f"{PAN}")


def test_card_numbers_are_blanked_out_of_text() -> None:
    text = redact_card_numbers("paid with 4111 1111 1111 1111, ref 42")
    assert text == "paid with [card number removed], ref 42"


# --- the registry ----------------------------------------------------------------------


def test_the_sandbox_is_registered_under_its_name() -> None:
    assert provider_for("sandbox").name == "sandbox"
    assert provider_for("sandbox") is provider_for("sandbox")


def test_an_unknown_provider_is_refused_naming_the_field() -> None:
    with pytest.raises(UnknownPaymentProvider) as e:
        provider_for("payu-nope")
    assert e.value.errors[0]["field"] == "provider"


def test_a_real_provider_plugs_in_by_registering() -> None:
    class Cashless(sandbox.SandboxProvider):
        name = "test-cashless"
        methods = frozenset({M.CARD})

    register(Cashless())
    assert provider_for("test-cashless").methods == {M.CARD}
