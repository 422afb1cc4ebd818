"""Personal data at rest: AES-256-GCM per value, keyed HMAC blind indexes, a key ring.

Every personal value is stored as `<key id>:<base64url(nonce | ciphertext | tag)>`,
sealed under the key ring's current key with a fresh 96-bit nonce and the column's
name as associated data, so a value copied into another column does not open. The
key id travels with the value: after a rotation the retired keys still open old
values while new writes use the current key, and `rotation.rotate` re-seals the
rest.

Exact lookups (an e-mail, a phone, a loyalty card, a city for segments) go through
a blind index: HMAC-SHA256 of the normalised value under a key derived from the same
secret. A lookup computes the digest under every key of the ring, so it still finds
values indexed before a rotation.

From one 32-byte secret, HKDF-SHA256 derives the AES key, the HMAC key and the key
id, each with its own label: knowing one tells nothing of the others.

It lives in `security`, under every domain that keeps personal data: customers'
profiles, orders' contacts and the free text people type (order and stock movement
reasons), all sealed with the one ring. `customers.crypto` re-exports it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from omnichannel.config import Settings, decode_secret_key, get_settings

log = logging.getLogger("omnichannel.customers")  # where operators look for key warnings

# Used when no OMNI_SECRET_KEY is configured outside production (dev, test). It is
# public, so it protects nothing: `omni demo` writes a real key to .env instead.
_DEVELOPMENT_SECRET = hashlib.sha256(b"omnichannel public development key").digest()
_NONCE_BYTES = 12


class KeyUnavailable(RuntimeError):
    """A value sealed under a key the ring does not hold, or one that fails to open."""


def _derive(secret: bytes, label: str, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label.encode()).derive(
        secret
    )


@dataclass(frozen=True, slots=True)
class Key:
    id: str  # 8 hex characters, stored in front of every value sealed with this key
    aead: AESGCM
    index_key: bytes
    # Pickup codes' HMAC key: apart from the blind index's, so neither digest can be
    # made to stand for the other (fulfillment.codes).
    code_key: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> Key:
        if len(secret) != 32:
            raise ValueError("a secret key has 32 bytes")
        return cls(
            id=_derive(secret, "omnichannel/pii/key-id/v1", 4).hex(),
            aead=AESGCM(_derive(secret, "omnichannel/pii/aes-256-gcm/v1")),
            index_key=_derive(secret, "omnichannel/pii/blind-index/v1"),
            code_key=_derive(secret, "omnichannel/pickup-code/v1"),
        )


class KeyRing:
    """The current key (seals and indexes) and retired keys (only open and find)."""

    def __init__(self, current: bytes, retired: Sequence[bytes] = (), *, insecure: bool = False):
        self.current = Key.from_secret(current)
        self.keys: dict[str, Key] = {self.current.id: self.current}
        secrets_by_id = {self.current.id: current}
        for secret in retired:
            key = Key.from_secret(secret)
            if key.id in secrets_by_id:
                if secrets_by_id[key.id] != secret:
                    raise ValueError("two secret keys share a key id; generate another one")
                continue  # the same key listed twice
            secrets_by_id[key.id] = secret
            self.keys[key.id] = key
        self.insecure = insecure

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """The ring OMNI_SECRET_KEY and OMNI_RETIRED_SECRET_KEYS describe."""
        if settings.secret_key is None:
            return cls(_DEVELOPMENT_SECRET, insecure=True)
        retired = settings.retired_secret_keys
        return cls(
            decode_secret_key(settings.secret_key.get_secret_value()),
            [
                decode_secret_key(part)
                for part in (retired.get_secret_value().split(",") if retired else [])
                if part.strip()
            ],
        )

    # --- sealing ---------------------------------------------------------------------

    def seal(self, plaintext: str, *, context: str) -> str:
        """Encrypt under the current key; `context` (the column) is authenticated too."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self.current.aead.encrypt(nonce, plaintext.encode(), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{self.current.id}:{body}"

    def open(self, value: str, *, context: str) -> str:
        """Decrypt a sealed value with whichever key of the ring sealed it."""
        key_id, _, body = value.partition(":")
        key = self.keys.get(key_id)
        if key is None:
            raise KeyUnavailable(
                f"a value is sealed with key {key_id!r}, which is not configured: "
                "add its secret to OMNI_RETIRED_SECRET_KEYS"
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = key.aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise KeyUnavailable(f"a value of {context} does not open with key {key_id}") from None
        return plain.decode()

    def is_current(self, value: str) -> bool:
        """Whether a sealed value is already under the current key."""
        return value.startswith(f"{self.current.id}:")

    # --- blind indexes -----------------------------------------------------------------

    def _digest(self, key: Key, kind: str, normalised: str) -> str:
        message = f"{kind}\x1f{normalised}".encode()
        return hmac.new(key.index_key, message, hashlib.sha256).hexdigest()

    def blind_index(self, kind: str, normalised: str) -> str:
        """The digest to store: HMAC-SHA256 under the current key, in hex."""
        return self._digest(self.current, kind, normalised)

    def blind_indexes(self, kind: str, normalised: str) -> list[str]:
        """Every digest the value may be stored under (current key first)."""
        return [self._digest(k, kind, normalised) for k in self.keys.values()]

    def code_keys(self) -> list[bytes]:
        """Every key a pickup code may be hashed under (current first): a code issued
        before a rotation still opens its pickup."""
        return [k.code_key for k in self.keys.values()]


def new_secret_key() -> str:
    """A fresh secret key, as OMNI_SECRET_KEY expects it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


# --- the process's ring ----------------------------------------------------------------

_ring: KeyRing | None = None


def keyring() -> KeyRing:
    """The process-wide key ring, built from the settings on first use."""
    global _ring
    if _ring is None:
        settings = get_settings()
        _ring = KeyRing.from_settings(settings)
        if _ring.insecure:
            log.warning(
                "OMNI_SECRET_KEY is not set: personal data is sealed with the public "
                "development key (OMNI_ENV=%s). Set a key before storing real customers.",
                settings.env,
            )
    return _ring


def install(ring: KeyRing | None) -> None:
    """Replace the process's ring (None: rebuild from the settings on next use)."""
    global _ring
    _ring = ring


@contextmanager
def using(ring: KeyRing) -> Iterator[KeyRing]:
    """Use another ring for the block (tests, key rotation)."""
    previous = _ring
    install(ring)
    try:
        yield ring
    finally:
        install(previous)


# --- column types ------------------------------------------------------------------------


class Sealed(TypeDecorator[str]):
    """A text column whose values are stored sealed; Python sees plaintext."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().seal(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().open(value, context=self.context)


class SealedJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object stored sealed (an address, the free-form data of an event)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return keyring().seal(text, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        doc: dict[str, Any] = json.loads(keyring().open(value, context=self.context))
        return doc
