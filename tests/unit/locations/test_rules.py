from datetime import UTC, date, datetime

import pytest

from omnichannel.locations.rules import check_intervals, is_open, normalise_postcode

WEEKLY = {d: [("10:00", "21:00")] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}


@pytest.mark.parametrize(
    ("given", "expected"), [("00-017", "00-017"), ("31021", "31-021"), (" 80-827 ", "80-827")]
)
def test_polish_postcodes_are_normalised(given: str, expected: str) -> None:
    assert normalise_postcode("PL", given) == expected


@pytest.mark.parametrize("bad", ["0-017", "000-17", "ab-cde", "00-0170"])
def test_a_malformed_polish_postcode_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="PL postcode"):
        normalise_postcode("PL", bad)


def test_intervals_that_close_before_they_open_are_refused() -> None:
    with pytest.raises(ValueError, match="closes"):
        check_intervals([("18:00", "09:00")])


def test_overlapping_intervals_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        check_intervals([("09:00", "14:00"), ("13:00", "18:00")])


def test_a_store_is_open_in_its_own_time_zone() -> None:
    # 09:30 UTC on a Monday in November is 10:30 in Warsaw (CET, UTC+1).
    assert is_open(WEEKLY, {}, "Europe/Warsaw", datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    assert not is_open(WEEKLY, {}, "Europe/Warsaw", datetime(2026, 11, 23, 8, 30, tzinfo=UTC))


def test_a_store_is_closed_on_an_ordinary_sunday_but_open_on_a_trading_one() -> None:
    ordinary = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    trading = datetime(2026, 12, 13, 12, 0, tzinfo=UTC)
    exceptions = {date(2026, 12, 13): [("10:00", "20:00")]}
    assert not is_open(WEEKLY, exceptions, "Europe/Warsaw", ordinary)
    assert is_open(WEEKLY, exceptions, "Europe/Warsaw", trading)


def test_a_holiday_closes_a_store_on_a_weekday() -> None:
    christmas_eve = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)  # a Thursday, a holiday since 2025
    assert not is_open(WEEKLY, {date(2026, 12, 24): []}, "Europe/Warsaw", christmas_eve)
