"""Pickup codes: drawn, shown, typed, hashed, checked, and locked after wrong tries."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnichannel.fulfillment.codes import (
    ALPHABET,
    ENTROPY_BITS,
    LENGTH,
    LOCKOUT,
    Attempts,
    Lockout,
    Verdict,
    format_code,
    hash_code,
    is_locked,
    new_code,
    normalise_code,
    try_code,
    verify_code,
)

KEY = b"k" * 32
RETIRED = b"r" * 32
PICKUP = "0b6f3c1e-pickup"
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
CODE = "7KQM4W"
DIGEST = hash_code(CODE, key=KEY, context=PICKUP)


def attempt(
    state: Attempts, typed: str, *, at: datetime = NOW, policy: Lockout = LOCKOUT
) -> tuple[Attempts, Verdict]:
    """One try at the counter for the pickup whose code is CODE."""
    return try_code(state, typed, digest=DIGEST, keys=[KEY], context=PICKUP, now=at, policy=policy)


def wrong_tries(n: int, *, policy: Lockout = LOCKOUT) -> Attempts:
    state = Attempts()
    for _ in range(n):
        state, _ = attempt(state, "222222", policy=policy)
    return state


# --- the code ---------------------------------------------------------------------------


def test_a_new_code_has_six_characters_from_the_alphabet() -> None:
    code = new_code()
    assert len(code) == LENGTH == 6
    assert set(code) <= set(ALPHABET)


def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 31


def test_a_code_carries_almost_thirty_bits() -> None:
    assert round(ENTROPY_BITS, 1) == 29.7
    assert len(ALPHABET) ** LENGTH == 887_503_681
    assert math.isclose(2**ENTROPY_BITS, 887_503_681)


def test_a_code_is_shown_in_two_groups_of_three() -> None:
    assert format_code("7kqm4w") == "7KQ-M4W"


def test_staff_may_type_a_code_in_any_case_with_spaces_or_dashes() -> None:
    for typed in ("7kq-m4w", " 7KQ M4W ", "7-K-Q-M-4-W", "7kq–m4w", "７ＫＱＭ４Ｗ"):
        assert normalise_code(typed) == CODE


def test_a_look_alike_typed_by_mistake_is_refused_rather_than_guessed() -> None:
    for typed in ("7KQ-M40", "7KQ-M4O", "7KQ-M41", "7KQ-M4I", "7KQ-M4L"):
        assert normalise_code(typed) is None


def test_a_code_of_the_wrong_length_is_not_a_code() -> None:
    assert normalise_code("7KQM4") is None
    assert normalise_code("7KQM4WX") is None
    with pytest.raises(ValueError, match="not a pickup code"):
        format_code("7KQM4")


# --- the digest ---------------------------------------------------------------------------


def test_only_a_keyed_digest_is_kept_and_it_never_shows_the_code() -> None:
    assert len(DIGEST) == 64
    assert CODE not in DIGEST.upper()
    assert hash_code("7kq-m4w", key=KEY, context=PICKUP) == DIGEST


def test_the_digest_depends_on_the_key_and_on_the_pickup() -> None:
    assert hash_code(CODE, key=RETIRED, context=PICKUP) != DIGEST
    assert not verify_code(CODE, DIGEST, keys=[KEY], context="another-pickup")


def test_a_code_hashed_before_a_key_rotation_still_verifies() -> None:
    old = hash_code(CODE, key=RETIRED, context=PICKUP)
    assert verify_code(CODE, old, keys=[KEY, RETIRED], context=PICKUP)
    assert not verify_code(CODE, old, keys=[KEY], context=PICKUP)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        hash_code(CODE, key=b"short", context=PICKUP)


# --- the lockout ------------------------------------------------------------------------


def test_the_right_code_opens_and_clears_the_count() -> None:
    state, verdict = attempt(wrong_tries(3), "7kq m4w")
    assert verdict is Verdict.OK
    assert state == Attempts()


def test_a_wrong_code_is_counted() -> None:
    state, verdict = attempt(Attempts(), "222222")
    assert verdict is Verdict.WRONG
    assert state == Attempts(wrong=1)


def test_the_fifth_wrong_try_locks_the_code_for_a_quarter_of_an_hour() -> None:
    state, verdict = attempt(wrong_tries(4), "222222")
    assert verdict is Verdict.LOCKED
    assert state == Attempts(wrong=5, locked_until=NOW + timedelta(minutes=15))


def test_a_locked_code_refuses_even_the_right_code_without_counting() -> None:
    locked = wrong_tries(5)
    state, verdict = attempt(locked, CODE, at=NOW + timedelta(minutes=14))
    assert verdict is Verdict.LOCKED
    assert state == locked


def test_after_the_lock_the_right_code_opens() -> None:
    state, verdict = attempt(wrong_tries(5), CODE, at=NOW + timedelta(minutes=15))
    assert verdict is Verdict.OK
    assert state == Attempts()


def test_after_the_lock_one_more_wrong_try_locks_it_again() -> None:
    later = NOW + timedelta(minutes=20)
    state, verdict = attempt(wrong_tries(5), "222222", at=later)
    assert verdict is Verdict.LOCKED
    assert state.locked_until == later + timedelta(minutes=15)


def test_a_lock_without_a_period_lasts_until_the_code_is_reissued() -> None:
    until_reissued = Lockout(lock_for=None)
    locked = wrong_tries(5, policy=until_reissued)
    a_year_later = NOW + timedelta(days=365)
    assert is_locked(locked, now=a_year_later, policy=until_reissued)
    assert attempt(locked, CODE, at=a_year_later, policy=until_reissued)[1] is Verdict.LOCKED
    assert not is_locked(Attempts(), now=a_year_later, policy=until_reissued)


def test_a_malformed_try_is_not_counted() -> None:
    state, verdict = attempt(wrong_tries(4), "7KQ-M4O")
    assert verdict is Verdict.MALFORMED
    assert state == Attempts(wrong=4)


def test_the_number_of_wrong_tries_is_a_setting() -> None:
    three = Lockout(max_wrong=3)
    state, verdict = attempt(wrong_tries(2, policy=three), "222222", policy=three)
    assert verdict is Verdict.LOCKED
    assert state.wrong == 3


# --- properties --------------------------------------------------------------------------

_codes = st.text(alphabet=ALPHABET, min_size=LENGTH, max_size=LENGTH)
_separators = st.sampled_from(["", " ", "-", "  ", " - "])


@st.composite
def _typed(draw: st.DrawFn, code: str) -> str:
    """`code` as staff might type it: any case, separators between any characters."""
    out = draw(_separators)
    for ch in code:
        out += (ch.lower() if draw(st.booleans()) else ch) + draw(_separators)
    return out


@given(data=st.data())
def test_a_new_code_verifies_against_its_own_digest_however_it_is_typed(
    data: st.DataObject,
) -> None:
    code = new_code()
    digest = hash_code(code, key=KEY, context=PICKUP)
    typed = data.draw(_typed(code))
    assert verify_code(typed, digest, keys=[KEY], context=PICKUP)
    assert verify_code(format_code(code), digest, keys=[KEY], context=PICKUP)


@given(code=_codes, other=_codes)
def test_another_code_never_verifies(code: str, other: str) -> None:
    digest = hash_code(code, key=KEY, context=PICKUP)
    assert verify_code(other, digest, keys=[KEY], context=PICKUP) == (other == code)


_tries = st.lists(
    st.tuples(
        st.sampled_from([CODE, "222222", "7KQ-M4O"]),  # right, wrong, malformed
        st.integers(min_value=0, max_value=30),  # minutes since the try before
    ),
    max_size=40,
)
_policies = st.builds(
    Lockout,
    max_wrong=st.integers(min_value=1, max_value=6),
    lock_for=st.one_of(st.none(), st.integers(1, 30).map(lambda m: timedelta(minutes=m))),
)


@given(tries=_tries, policy=_policies)
def test_no_try_gets_through_while_a_code_is_locked(
    tries: list[tuple[str, int]], policy: Lockout
) -> None:
    state, at = Attempts(), NOW
    for typed, minutes in tries:
        at += timedelta(minutes=minutes)
        locked = is_locked(state, now=at, policy=policy)
        after, verdict = attempt(state, typed, at=at, policy=policy)
        if locked:
            assert (after, verdict) == (state, Verdict.LOCKED)
        else:
            assert verdict is not Verdict.LOCKED or after.wrong >= policy.max_wrong
            assert (verdict is Verdict.OK) == (typed == CODE)
        state = after


_guesses = st.lists(
    st.tuples(st.sampled_from(["222222", "ZZZ-ZZZ", "7KQ-M4O"]), st.integers(0, 30)),
    max_size=60,
)


@given(guesses=_guesses, policy=_policies)
def test_a_guesser_gets_the_first_tries_then_one_per_lock_period(
    guesses: list[tuple[str, int]], policy: Lockout
) -> None:
    state, at, checked = Attempts(), NOW, 0
    for typed, minutes in guesses:
        at += timedelta(minutes=minutes)
        after, _ = attempt(state, typed, at=at, policy=policy)
        checked += after != state  # a guess was compared with the code
        state = after
    lapsed = 0 if policy.lock_for is None else (at - NOW) // policy.lock_for
    assert checked <= policy.max_wrong + lapsed
