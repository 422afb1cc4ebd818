"""Gift card codes and stored-value tokens: plain values, no I/O.

A gift card's code is a bearer secret, like a password: whoever holds it spends it.
It is shown once, when the card is issued, and we keep only its SHA-256 digest
(to find the card) and its last four characters (to name it on a receipt or in
the console).

A plain SHA-256 rather than the keyed blind index personal data uses
(`customers.crypto`): a blind index protects values that can be guessed (an
e-mail, a phone), where an unkeyed hash would fall to a dictionary. A code is 100
random bits: nobody can enumerate 2^100 hashes, keyed or not, and an unkeyed digest
does not tie every card to the secret key (a key rotation would otherwise have to
look each code up under every retired key, forever). Payments also sits beside
customers, not above it, so it could not import the helpers anyway.

Codes are read aloud at tills and typed from paper, so they are 20 characters in
groups of four (`7KQM-4WZX-…`) from an alphabet without look-alikes: no 0/O, no
1/I. Input is forgiving: case, spaces and dashes do not matter.

A payment token of method `gift_card` is either a gift card's code or, for a
customer's store credit (which has no code), `credit:<account id>`: the account is
only spent by the customer it belongs to, checked where the token is resolved
(`stored_value.check_spender`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 5 bits each
GROUP = 4
GROUPS = 5
LENGTH = GROUP * GROUPS  # 100 random bits
CREDIT_PREFIX = "credit:"
SANDBOX_PREFIX = "sandbox_"  # the sandbox's own tokens (`sandbox_gc_<balance>`)

_SEPARATORS = re.compile(r"[\s\-]+")
_CODE = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    """A fresh code, grouped in fours for reading aloud (`7KQ4-M9TD-…`)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(code: str) -> str | None:
    """The code as stored in the digest (capitals, no separators), or None when it
    cannot be one of ours."""
    plain = _SEPARATORS.sub("", code).upper()
    return plain if _CODE.match(plain) else None


def digest(normalised: str) -> str:
    """What the database keeps of a code: SHA-256, in hex (see the module docstring)."""
    return hashlib.sha256(f"gift_card\x1f{normalised}".encode()).hexdigest()


def last4(normalised: str) -> str:
    return normalised[-4:]


@dataclass(frozen=True, slots=True)
class Token:
    """A `gift_card` payment token, understood: a code's digest, or a store credit's
    account id."""

    digest: str | None = None
    account_id: uuid.UUID | None = None
    last4: str | None = None


def parse_token(token: str) -> Token | None:
    """The stored-value account a token names, or None when it names none of ours."""
    if token.startswith(CREDIT_PREFIX):
        try:
            return Token(account_id=uuid.UUID(token[len(CREDIT_PREFIX) :]))
        except ValueError:
            return None
    plain = normalise(token)
    if plain is None:
        return None
    return Token(digest=digest(plain), last4=last4(plain))


def is_stored_value_token(token: str | None) -> bool:
    """Whether a `gift_card` token belongs to the stored-value provider: anything but
    the sandbox's own test tokens (an unknown code is then declined by name)."""
    return token is not None and not token.startswith(SANDBOX_PREFIX)
