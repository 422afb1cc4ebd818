from datetime import UTC, datetime, timedelta

import pytest

from omnichannel.kernel import FrozenClock, new_id, utcnow


def test_new_ids_are_version_7_and_increase_in_creation_order() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_utcnow_is_timezone_aware() -> None:
    assert utcnow().tzinfo is not None


def test_a_frozen_clock_moves_only_when_advanced() -> None:
    clock = FrozenClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    before = clock.now()
    clock.advance(timedelta(minutes=15))
    assert clock.now() - before == timedelta(minutes=15)


def test_a_frozen_clock_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FrozenClock(datetime(2026, 11, 23, 12, 0))  # noqa: DTZ001
