"""Password hashing for staff and customers: argon2id, a few at a time.

One argon2id hash or check at the library's recommended cost takes 64 MiB of memory
and about a tenth of a second of both cores; forty at once took a server from 0.4 to
2.7 GB. The sign-in endpoints queue for a hashing turn on the event loop before they
take a thread or a connection (`http.throttle`); the bound here is the last word for
every caller, those endpoints, creating staff and the CLI alike: at most
`OMNI_PASSWORD_HASH_SLOTS` hashes at once in a process, the others wait.
"""

from __future__ import annotations

import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from omnichannel.config import get_settings

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost


@cache
def _turns() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(get_settings().password_hash_slots)


def hash_password(password: str) -> str:
    """The argon2id hash of a password, to store."""
    with _turns():
        return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """Whether `password` matches the stored hash (False for a hash that is not one)."""
    with _turns():
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash used weaker parameters than today's (rehash on sign-in)."""
    return _hasher.check_needs_rehash(password_hash)


# Checked when an e-mail has no account, so that an unknown e-mail costs as long as a
# wrong password and tells an attacker nothing.
DUMMY_HASH = _hasher.hash("not-a-real-password")
