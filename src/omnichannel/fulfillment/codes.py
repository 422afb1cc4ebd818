"""Pickup codes: what a customer shows at the counter to collect an order. Pure
values, no I/O.

A code is 6 characters drawn with `secrets` from 31 symbols that cannot be taken for
one another: digits 2-9 and the capitals without I, L and O. That is
6 × log2(31) ≈ 29.7 bits: 887,503,681 codes. It is shown as two groups of three
(`7KQ-M4W`).

Why 29.7 bits are enough: a code is only ever tried at a counter, by staff, against
one pickup, and the lockout below lets 5 wrong tries through and then one each
quarter of an hour: under a hundred a day, under a thousand over the ten days an
order may wait, a chance of about 1 in a million for someone guessing all day in
front of the staff. Staff who see a code locked re-issue it, which starts a fresh,
unknown code. The stored digest is no shortcut: without the key an HMAC tells
nothing, and whoever holds the key and the database already holds the order.

What we keep is HMAC-SHA256 under a key the caller gives (the key ring's blind-index
key, `security.crypto`), over the code and what it is for (the pickup's id), so a
digest copied onto another pickup does not open it. Comparison is in constant time.

What staff type is forgiving about case, spaces, dashes and full-width characters.
It is not forgiving about look-alikes: a code never holds 0, O, 1, I or L, so a
typed one is a misreading of a character we cannot know (D or Q? 7 or J?). Rather
than guess, such input is `malformed` and is not counted as a wrong try: it cannot
match any code, so it gives a guesser nothing, and it spares staff a lock for a typo.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: no 0/O, no 1/I/L
LENGTH = 6
GROUP = 3  # shown as two groups of three: 7KQ-M4W
ENTROPY_BITS = LENGTH * math.log2(len(ALPHABET))  # ≈ 29.7
MAX_WRONG = 5
LOCK_FOR = timedelta(minutes=15)  # as long as a sign-in's lock (security.lockout)
MIN_KEY_BYTES = 16

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_.]+")  # spaces, hyphens and dashes, _ and .
_CODE = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")
_PURPOSE = "omnichannel/pickup-code/v1"  # apart from any other digest under the same key


class Verdict(StrEnum):
    OK = "ok"  # the right code: hand the order over
    WRONG = "wrong"  # not the code, counted; tries are left
    LOCKED = "locked"  # refused unchecked while locked, or the wrong try that locked it
    MALFORMED = "malformed"  # cannot be any code (length, a look-alike): not counted


@dataclass(frozen=True, slots=True)
class Lockout:
    """How many wrong tries in a row lock a code, and for how long."""

    max_wrong: int = MAX_WRONG
    lock_for: timedelta | None = LOCK_FOR  # None: until staff re-issue the code


LOCKOUT = Lockout()


@dataclass(frozen=True, slots=True)
class Attempts:
    """A code's tries as stored with the pickup; a new or re-issued code starts empty."""

    wrong: int = 0  # wrong tries in a row: only the right code (or a new one) clears it
    locked_until: datetime | None = None  # when a lock lapses; None: at a new code


def new_code() -> str:
    """A fresh code, in the plain form `hash_code` and `format_code` take."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_code(typed: str) -> str | None:
    """The code as typed, in plain form (capitals, no separators), or None when it
    cannot be one."""
    plain = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed)).upper()
    return plain if _CODE.fullmatch(plain) else None


def format_code(code: str) -> str:
    """A code for display, in groups of three: `7KQ-M4W`."""
    plain = _plain(code)
    return "-".join(plain[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def hash_code(code: str, *, key: bytes, context: str) -> str:
    """What to store of a code: HMAC-SHA256 under `key`, bound to `context` (the
    pickup's id), in hex."""
    return _digest(_plain(code), key=key, context=context)


def verify_code(typed: str, digest: str, *, keys: Sequence[bytes], context: str) -> bool:
    """Whether `typed` is the code behind `digest` under one of `keys` (the current
    key and the retired ones: a code hashed before a key rotation still opens)."""
    plain = normalise_code(typed)
    if plain is None:
        return False
    # Every key is tried, so the time taken does not tell which one matched.
    matches = [
        hmac.compare_digest(_digest(plain, key=key, context=context), digest) for key in keys
    ]
    return any(matches)


def is_locked(attempts: Attempts, *, now: datetime, policy: Lockout = LOCKOUT) -> bool:
    """Whether tries are refused unchecked at `now`."""
    if attempts.wrong < policy.max_wrong:
        return False
    return attempts.locked_until is None or now < attempts.locked_until


def try_code(
    attempts: Attempts,
    typed: str,
    *,
    digest: str,
    keys: Sequence[bytes],
    context: str,
    now: datetime,
    policy: Lockout = LOCKOUT,
) -> tuple[Attempts, Verdict]:
    """One try at the counter: the attempts to store next, and the verdict.

    While locked nothing is checked, not even the right code. A lapsed lock lets one
    try through at a time: the count is cleared only by the right code or a new one.
    """
    if is_locked(attempts, now=now, policy=policy):
        return attempts, Verdict.LOCKED
    if normalise_code(typed) is None:
        return attempts, Verdict.MALFORMED
    if verify_code(typed, digest, keys=keys, context=context):
        return Attempts(), Verdict.OK
    wrong = attempts.wrong + 1
    if wrong < policy.max_wrong:
        return Attempts(wrong=wrong), Verdict.WRONG
    until = None if policy.lock_for is None else now + policy.lock_for
    return Attempts(wrong=wrong, locked_until=until), Verdict.LOCKED


def _plain(code: str) -> str:
    plain = normalise_code(code)
    if plain is None:
        raise ValueError(f"not a pickup code: {code!r}")
    return plain


def _digest(plain: str, *, key: bytes, context: str) -> str:
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"a pickup code's key has at least {MIN_KEY_BYTES} bytes")
    message = f"{_PURPOSE}\x1f{context}\x1f{plain}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
