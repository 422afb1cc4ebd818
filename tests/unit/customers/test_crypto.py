"""Sealing personal values, blind indexes and the key ring, without a database."""

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnichannel.config import Settings
from omnichannel.customers.crypto import KeyRing, KeyUnavailable, new_secret_key

OLD, NEW = secrets.token_bytes(32), secrets.token_bytes(32)


@given(st.text(max_size=2000))
def test_any_text_opens_to_itself(text: str) -> None:
    ring = KeyRing(NEW)
    assert ring.open(ring.seal(text, context="t.c"), context="t.c") == text


def test_a_sealed_value_shows_only_its_key_id_and_never_the_same_twice() -> None:
    ring = KeyRing(NEW)
    a, b = (ring.seal("anna.nowak@example.com", context="t.c") for _ in range(2))
    assert a != b
    assert a.startswith(f"{ring.current.id}:")
    assert "anna" not in a
    assert "example" not in a


def test_a_value_moved_to_another_column_does_not_open() -> None:
    ring = KeyRing(NEW)
    sealed = ring.seal("Anna", context="customers.given_name")
    with pytest.raises(KeyUnavailable):
        ring.open(sealed, context="customers.notes")


def test_a_tampered_value_does_not_open() -> None:
    ring = KeyRing(NEW)
    key_id, body = ring.seal("Anna", context="c").split(":")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(KeyUnavailable):
        ring.open(f"{key_id}:{flipped}", context="c")


def test_a_retired_key_still_opens_what_it_sealed_but_never_seals() -> None:
    old_value = KeyRing(OLD).seal("Anna", context="c")
    rotated = KeyRing(NEW, [OLD])
    assert rotated.open(old_value, context="c") == "Anna"
    assert rotated.seal("Anna", context="c").startswith(f"{rotated.current.id}:")
    assert not rotated.is_current(old_value)


def test_a_value_under_a_key_no_longer_configured_fails_loudly() -> None:
    old_value = KeyRing(OLD).seal("Anna", context="c")
    with pytest.raises(KeyUnavailable, match="not configured"):
        KeyRing(NEW).open(old_value, context="c")


def test_blind_indexes_are_stable_keyed_and_cover_every_key_of_the_ring() -> None:
    ring = KeyRing(NEW, [OLD])
    digest = ring.blind_index("email", "anna@example.com")
    assert digest == KeyRing(NEW).blind_index("email", "anna@example.com")
    assert digest != KeyRing(OLD).blind_index("email", "anna@example.com")
    assert digest != ring.blind_index("phone", "anna@example.com")
    assert ring.blind_indexes("email", "anna@example.com") == [
        digest,
        KeyRing(OLD).blind_index("email", "anna@example.com"),
    ]


def test_without_a_configured_key_outside_production_the_ring_says_it_is_insecure() -> None:
    assert KeyRing.from_settings(Settings(env="test", _env_file=None)).insecure
    ring = KeyRing.from_settings(
        Settings(env="prod", secret_key=new_secret_key(), retired_secret_keys=new_secret_key())
    )
    assert not ring.insecure
    assert len(ring.keys) == 2


def test_production_refuses_to_start_without_a_key_or_with_a_malformed_one() -> None:
    with pytest.raises(ValueError, match="OMNI_SECRET_KEY must be set"):
        Settings(env="prod", _env_file=None)
    with pytest.raises(ValueError, match="32"):
        Settings(env="prod", secret_key="too-short")
    with pytest.raises(ValueError, match="32"):
        Settings(secret_key=new_secret_key(), retired_secret_keys=f"{new_secret_key()},abc")
