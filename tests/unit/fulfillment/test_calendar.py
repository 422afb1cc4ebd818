"""Working days: Poland's public holidays, Easter's and the fixed ones alike."""

from datetime import date

from omnichannel.fulfillment import calendar


def test_easter_falls_where_the_church_calendars_put_it() -> None:
    assert calendar.easter_sunday(2026) == date(2026, 4, 5)
    assert calendar.easter_sunday(2027) == date(2027, 3, 28)
    assert calendar.easter_sunday(2038) == date(2038, 4, 25)


def test_the_movable_holidays_follow_easter() -> None:
    days = calendar.polish_holidays(2026)
    assert {date(2026, 4, 6), date(2026, 5, 24), date(2026, 6, 4)} <= days


def test_christmas_eve_is_a_holiday_from_2025_only() -> None:
    assert date(2026, 12, 24) in calendar.polish_holidays(2026)
    assert date(2024, 12, 24) not in calendar.polish_holidays(2024)


def test_a_store_closed_on_sundays_and_holidays_opens_next_on_a_working_day() -> None:
    saturday_before_easter = date(2026, 4, 4)
    assert calendar.is_open(saturday_before_easter)
    assert calendar.next_open_day(saturday_before_easter, after=True) == date(2026, 4, 7)
    assert calendar.add_open_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
