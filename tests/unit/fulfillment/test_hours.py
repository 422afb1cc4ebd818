"""Time counted in a store's opening hours: open or not, SLAs, overdue figures, days."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from omnichannel.fulfillment import hours
from omnichannel.fulfillment.hours import (
    Hours,
    NeverOpens,
    add_open_days,
    add_open_hours,
    is_open,
    next_opening,
    open_hours_between,
    parse_hours,
)
from omnichannel.locations import rules as locations

WARSAW = ZoneInfo("Europe/Warsaw")
MON_TO_SAT = ("mon", "tue", "wed", "thu", "fri", "sat")
EVERY_DAY = (*MON_TO_SAT, "sun")


def store(exceptions: dict[str, list[list[str]]] | None = None) -> Hours:
    """A store open Monday to Saturday, 9 to 21, closed on Sundays and holidays."""
    weekly = {d: [["09:00", "21:00"]] for d in MON_TO_SAT}
    return parse_hours({"weekly": weekly, "exceptions": exceptions or {}}, timezone="Europe/Warsaw")


def round_the_clock() -> Hours:
    """A site that never closes, holidays included."""
    weekly = {d: [["00:00", "24:00"]] for d in EVERY_DAY}
    return parse_hours({"weekly": weekly}, timezone="Europe/Warsaw", holidays=hours.no_holidays)


def warsaw(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WARSAW)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- open or closed ----------------------------------------------------------------------


def test_a_store_is_open_from_its_opening_time_until_just_before_its_closing_time() -> None:
    monday = store()
    assert not is_open(monday, warsaw(2026, 12, 7, 8, 59))
    assert is_open(monday, warsaw(2026, 12, 7, 9, 0))
    assert is_open(monday, warsaw(2026, 12, 7, 20, 59))
    assert not is_open(monday, warsaw(2026, 12, 7, 21, 0))


def test_a_store_whose_week_has_no_sunday_is_closed_on_sundays() -> None:
    assert not is_open(store(), warsaw(2026, 12, 6, 12))


def test_a_trading_sunday_in_the_exceptions_opens_the_store() -> None:
    trading = store({"2026-12-13": [["10:00", "20:00"]]})
    assert is_open(trading, warsaw(2026, 12, 13, 12))
    assert not is_open(trading, warsaw(2026, 12, 13, 20, 30))


def test_a_store_is_closed_on_a_public_holiday() -> None:
    independence_day = warsaw(2026, 11, 11, 12)  # a Wednesday
    assert not is_open(store(), independence_day)


def test_an_exception_opens_a_store_on_a_holiday() -> None:
    opened = store({"2026-11-11": [["10:00", "16:00"]]})
    assert is_open(opened, warsaw(2026, 11, 11, 12))
    assert not is_open(opened, warsaw(2026, 11, 11, 17))


def test_christmas_eve_is_a_closed_holiday_from_2025_and_an_ordinary_day_before() -> None:
    assert not is_open(store(), warsaw(2026, 12, 24, 12))
    assert is_open(store(), warsaw(2024, 12, 24, 12))


def test_the_times_are_read_on_the_stores_own_clock() -> None:
    assert is_open(store(), utc(2026, 12, 7, 8, 0))  # 9:00 in Warsaw
    assert not is_open(store(), utc(2026, 12, 7, 20, 0))  # 21:00 in Warsaw


def test_the_next_opening_after_saturday_closing_is_monday_morning() -> None:
    assert next_opening(store(), warsaw(2026, 12, 5, 21)) == warsaw(2026, 12, 7, 9)


def test_the_next_opening_of_an_open_store_is_now() -> None:
    now = warsaw(2026, 12, 7, 12)
    assert next_opening(store(), now) == now
    assert next_opening(store(), now).tzinfo is UTC


# --- open hours: SLAs and overdue figures ---------------------------------------------


def test_an_order_on_saturday_evening_with_a_four_hour_sla_is_due_on_monday_at_noon() -> None:
    due = add_open_hours(store(), warsaw(2026, 12, 5, 20), hours=4)
    assert due == warsaw(2026, 12, 7, 12)
    assert due.tzinfo is UTC


def test_a_four_hour_sla_skips_a_holiday() -> None:
    tuesday_evening = warsaw(2026, 11, 10, 20)
    assert add_open_hours(store(), tuesday_evening, hours=4) == warsaw(2026, 11, 12, 12)


def test_an_order_placed_before_opening_is_counted_from_the_opening() -> None:
    assert add_open_hours(store(), warsaw(2026, 12, 7, 6), hours=4) == warsaw(2026, 12, 7, 13)


def test_an_sla_that_ends_at_closing_time_is_due_at_closing_not_next_morning() -> None:
    assert add_open_hours(store(), warsaw(2026, 12, 7, 17), hours=4) == warsaw(2026, 12, 7, 21)


def test_christmas_eve_with_short_hours_counts_two_hours_then_waits_for_monday() -> None:
    short = store({"2026-12-24": [["09:00", "14:00"]]})
    assert add_open_hours(short, warsaw(2026, 12, 24, 12), hours=4) == warsaw(2026, 12, 28, 11)
    assert not is_open(short, warsaw(2026, 12, 24, 14))


def test_an_sla_over_the_spring_clock_change_counts_open_hours_not_clock_hours() -> None:
    saturday = warsaw(2026, 3, 28, 20)  # 19:00 UTC; Sunday the clocks go forward
    due = add_open_hours(store(), saturday, hours=4)
    assert due == warsaw(2026, 3, 30, 12)
    assert due == utc(2026, 3, 30, 10)
    assert due - saturday == timedelta(hours=39)  # 40 in a week without a change


def test_an_sla_over_the_autumn_clock_change_counts_open_hours_not_clock_hours() -> None:
    saturday = warsaw(2026, 10, 24, 20)
    due = add_open_hours(store(), saturday, hours=4)
    assert due == utc(2026, 10, 26, 11)
    assert due - saturday == timedelta(hours=41)


def test_a_day_of_the_spring_change_has_23_open_hours_and_of_the_autumn_one_25() -> None:
    site = round_the_clock()
    assert open_hours_between(site, warsaw(2026, 3, 29), warsaw(2026, 3, 30)) == 23
    assert open_hours_between(site, warsaw(2026, 10, 25), warsaw(2026, 10, 26)) == 25
    assert add_open_hours(site, warsaw(2026, 10, 25), hours=24) == warsaw(2026, 10, 25, 23)


def test_hours_in_the_skipped_hour_begin_when_the_clock_jumps() -> None:
    night = parse_hours(
        {"exceptions": {"2026-03-29": [["02:30", "04:00"]]}}, timezone="Europe/Warsaw"
    )
    assert next_opening(night, warsaw(2026, 3, 28)) == utc(2026, 3, 29, 1)  # 03:00 summer time
    assert open_hours_between(night, warsaw(2026, 3, 28), warsaw(2026, 3, 30)) == 1


def test_overdue_by_counts_only_the_open_hours_since_the_due_time() -> None:
    due, now = warsaw(2026, 12, 7, 12), warsaw(2026, 12, 8, 10)
    assert open_hours_between(store(), due, now) == 10  # 9 on Monday, 1 on Tuesday
    assert open_hours_between(store(), now, due) == -10


def test_no_open_hours_pass_while_the_store_is_closed() -> None:
    assert open_hours_between(store(), warsaw(2026, 12, 5, 21), warsaw(2026, 12, 7, 9)) == 0


# --- open days: collect-by ----------------------------------------------------------------


def test_an_order_ready_at_noon_is_kept_until_the_close_of_the_third_open_day_after() -> None:
    ready = warsaw(2026, 12, 7, 15)  # Monday
    assert add_open_days(store(), ready, days=3) == warsaw(2026, 12, 10, 21)


def test_an_order_ready_before_opening_has_that_whole_day_too() -> None:
    ready = warsaw(2026, 12, 7, 7)
    assert add_open_days(store(), ready, days=3) == warsaw(2026, 12, 9, 21)


def test_open_days_skip_christmas_and_the_sunday_after_it() -> None:
    ready = warsaw(2026, 12, 23, 15)  # 24-26 December are holidays, 27th a Sunday
    assert add_open_days(store(), ready, days=2) == warsaw(2026, 12, 29, 21)


def test_open_days_are_counted_in_whole_days() -> None:
    with pytest.raises(ValueError, match="at least one"):
        add_open_days(store(), warsaw(2026, 12, 7, 7), days=0)


# --- what cannot be read or counted ------------------------------------------------------


def test_hours_that_never_open_have_no_next_opening_but_are_simply_closed() -> None:
    closed = parse_hours({"weekly": {}}, timezone="Europe/Warsaw")
    with pytest.raises(NeverOpens):
        next_opening(closed, warsaw(2026, 12, 7))
    assert not is_open(closed, warsaw(2026, 12, 7, 12))
    assert open_hours_between(closed, warsaw(2026, 12, 7), warsaw(2027, 12, 7)) == 0


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"weekly": {"monday": [["09:00", "21:00"]]}}, "not a day of the week"),
        ({"exceptions": {"24.12.2026": []}}, "not a date"),
        ({"weekly": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "overlap"),
        ({"weekly": {"mon": [["21:00", "09:00"]]}}, "opens at 21:00"),
        ({"weekly": {"mon": [["9am", "9pm"]]}}, "HH:MM"),
        ({"weekly": {"mon": ["09:00-21:00"]}}, "pairs"),
        ({"weekly": [["09:00", "21:00"]]}, "not an object of days"),
    ],
)
def test_opening_hours_that_cannot_be_read_are_refused_by_name(
    doc: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hours(doc, timezone="Europe/Warsaw")


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        parse_hours({}, timezone="Europe/Atlantis")


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_open(store(), datetime(2026, 12, 7, 12))  # noqa: DTZ001


def test_parsed_hours_are_an_immutable_value() -> None:
    assert store() == store()
    assert hash(store()) == hash(store())
    with pytest.raises(TypeError):
        store().exceptions[date(2026, 12, 31)] = ()  # type: ignore[index]


# --- properties --------------------------------------------------------------------------


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def _weeks(draw: st.DrawFn) -> Hours:
    """Random weekly tables on the quarter hour, night hours and 24:00 included, at
    least one day open; Polish holidays close them."""
    days = {}
    for name in EVERY_DAY:
        chosen = draw(st.sets(st.sampled_from(range(0, 24 * 60 + 1, 15)), max_size=6))
        edges = sorted(chosen)[: len(chosen) // 2 * 2]
        days[name] = [[_hhmm(a), _hhmm(b)] for a, b in zip(edges[::2], edges[1::2], strict=True)]
    assume(any(days.values()))
    return parse_hours({"weekly": days}, timezone="Europe/Warsaw")


_instants = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis adds the zone
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
_durations = st.integers(min_value=0, max_value=200 * 60).map(lambda minutes: minutes / 60)


@given(opening=_weeks(), start=_instants, n=_durations)
def test_adding_n_open_hours_then_counting_them_gives_n_back(
    opening: Hours, start: datetime, n: float
) -> None:
    due = add_open_hours(opening, start, hours=n)
    assert open_hours_between(opening, start, due) == pytest.approx(n, abs=1e-6)


@given(opening=_weeks(), start=_instants, n=_durations)
def test_a_due_time_is_inside_open_time_or_at_the_close_of_an_interval(
    opening: Hours, start: datetime, n: float
) -> None:
    due = add_open_hours(opening, start, hours=n)
    assert due >= start
    assert is_open(opening, due) or is_open(opening, due - timedelta(microseconds=1))


@given(opening=_weeks(), start=_instants, n=_durations, more=_durations)
def test_more_open_hours_are_never_due_earlier(
    opening: Hours, start: datetime, n: float, more: float
) -> None:
    assert add_open_hours(opening, start, hours=n) <= add_open_hours(opening, start, hours=n + more)


@given(opening=_weeks(), a=_instants, b=_instants, c=_instants)
def test_open_hours_between_add_up(opening: Hours, a: datetime, b: datetime, c: datetime) -> None:
    whole = open_hours_between(opening, a, c)
    parts = open_hours_between(opening, a, b) + open_hours_between(opening, b, c)
    assert whole == pytest.approx(parts, abs=1e-6)


@given(opening=_weeks(), at=_instants)
def test_the_next_opening_is_open_and_not_before_now(opening: Hours, at: datetime) -> None:
    opens = next_opening(opening, at)
    assert opens >= at
    assert is_open(opening, opens)
    assert open_hours_between(opening, at, opens) == 0


@given(opening=_weeks(), at=_instants)
def test_open_or_not_agrees_with_the_wall_clock_on_days_without_a_clock_change(
    opening: Hours, at: datetime
) -> None:
    at = at.replace(microsecond=0)  # the wall-clock reading ends 24:00 a microsecond early
    local = at.astimezone(WARSAW)
    midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=WARSAW)
    assume(midnight.utcoffset() == (midnight + timedelta(days=1)).utcoffset())
    weekly = {
        name: [(_hhmm(a), _hhmm(b)) for a, b in day]
        for name, day in zip(locations.WEEKDAYS, opening.weekly, strict=True)
    }
    holidays: dict[date, list[tuple[str, str]]] = {d: [] for d in opening.holidays(local.year)}
    assert is_open(opening, at) == locations.is_open(weekly, holidays, "Europe/Warsaw", at)
