"""Time counted in a store's opening hours: is it open, when does it open next, when
are N open hours up, how many open hours lie between two instants, and when does
the X-th open day end. Pure: aware datetimes in, aware UTC datetimes out.

A location's `opening_hours` document holds a weekly table and exceptions by date,
in the location's own time zone:

    {"weekly": {"mon": [["09:00", "21:00"]], ...},
     "exceptions": {"2026-12-24": [["09:00", "14:00"]], "2026-12-25": []}}

Which hours a day has, in order of precedence:

1. an exception for the date replaces everything else (a short Christmas Eve, a
   stocktaking day closed, a store that opens on a holiday);
2. a public holiday closes the store (Poland's by default: shops are closed by law);
3. otherwise the weekly table; a weekday it lacks (or lists empty) is closed, which
   is how the Sunday trading ban reads: no "sun", closed on Sundays.

Hours are wall-clock times, and the clock changes twice a year. An interval runs
from the first instant the clock shows its opening time to the first instant it
shows its closing time, so a day is 23 or 25 hours long where it should be. A time
the clock skips in spring (02:30 in Warsaw) reads as the jump itself (03:00); a
time it shows twice in autumn reads as the first of the two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from omnichannel.fulfillment.calendar import polish_holidays
from omnichannel.locations.rules import WEEKDAYS, check_intervals, parse_hhmm

Day = tuple[tuple[int, int], ...]  # (opens, closes) in minutes after local midnight
Span = tuple[datetime, datetime]  # an open interval in UTC: [begin, end)
Holidays = Callable[[int], frozenset[date]]

_ONE_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)
# How long a search for open time goes on past the last exception before it gives up.
# Every weekday comes 52 times a year and a year has fewer than 15 holidays, so a
# table with any open weekday opens well within it.
_QUIET = timedelta(days=400)


class NeverOpens(ValueError):
    """Opening hours with no open time ahead: no weekday and no future exception."""


def no_holidays(year: int) -> frozenset[date]:
    """For a location that keeps its weekly hours on public holidays."""
    return frozenset()


@dataclass(frozen=True, slots=True)
class Hours:
    """A location's opening hours, read once: its zone, the week, the exceptions."""

    zone: ZoneInfo
    weekly: tuple[Day, ...]  # seven days, Monday first
    # A mapping cannot be hashed; leaving it out of the hash keeps equal values equal.
    exceptions: Mapping[date, Day] = field(hash=False)
    holidays: Holidays = polish_holidays


def parse_hours(
    doc: Mapping[str, Any], *, timezone: str, holidays: Holidays = polish_holidays
) -> Hours:
    """A location's `opening_hours` document, checked; ValueError says what is wrong."""
    weekly_doc, exceptions_doc = _table(doc, "weekly"), _table(doc, "exceptions")
    unknown = sorted(set(weekly_doc) - set(WEEKDAYS))
    if unknown:
        raise ValueError(f"not a day of the week: {', '.join(unknown)} (use {', '.join(WEEKDAYS)})")
    exceptions = {_date(key): _day(intervals) for key, intervals in exceptions_doc.items()}
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not a time zone: {timezone!r}") from None
    return Hours(
        zone=zone,
        weekly=tuple(_day(weekly_doc.get(name) or []) for name in WEEKDAYS),
        exceptions=MappingProxyType(exceptions),
        holidays=holidays,
    )


def is_open(opening: Hours, at: datetime) -> bool:
    """Whether the location is open at the instant `at`."""
    at = _utc(at)
    return any(begin <= at for begin, _ in _spans(opening, at, until=at))


def next_opening(opening: Hours, at: datetime) -> datetime:
    """The instant the location next opens: `at` itself while it is open."""
    at = _utc(at)
    begin, _ = next(_spans(opening, at))
    return max(begin, at)


def add_open_hours(opening: Hours, start: datetime, *, hours: float) -> datetime:
    """The instant `hours` of open time have passed since `start` (an SLA's due time).

    It always falls inside open time or at the close of an interval; zero hours from
    a closed moment is the next opening."""
    if hours < 0:
        raise ValueError("open hours to add cannot be negative")
    start = _utc(start)
    left = timedelta(hours=hours)
    for begin, end in _spans(opening, start):
        begin = max(begin, start)
        if left <= end - begin:
            return begin + left
        left -= end - begin
    raise AssertionError("unreachable: open spans go on for ever or raise NeverOpens")


def open_hours_between(opening: Hours, a: datetime, b: datetime) -> float:
    """Open hours from `a` to `b` (an order's "overdue by"); negative when `b` is first."""
    a, b = _utc(a), _utc(b)
    if b < a:
        return -open_hours_between(opening, b, a)
    total = timedelta()
    for begin, end in _spans(opening, a, until=b):
        if begin >= b:
            break
        total += min(end, b) - max(begin, a)
    return total / _HOUR


def add_open_days(opening: Hours, start: datetime, *, days: int) -> datetime:
    """The close of the `days`-th open day after `start` (a pickup's collect-by).

    A day counts only when all of its open time comes after `start`: an order ready
    before the store opens has that whole day, one ready at noon starts tomorrow."""
    if days < 1:
        raise ValueError("count at least one open day")
    start = _utc(start)
    counted = 0
    for spans in _open_days(opening, start.astimezone(opening.zone).date()):
        if spans[0][0] < start:
            continue  # already under way when `start` came
        counted += 1
        if counted == days:
            return spans[-1][1]
    raise AssertionError("unreachable: open days go on for ever or raise NeverOpens")


# --- reading the document ---------------------------------------------------------------


def _table(doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    table = doc.get(name) or {}
    if not isinstance(table, Mapping):
        raise ValueError(f"{name} is not an object of days: {table!r}")
    return table


def _date(key: str) -> date:
    try:
        return date.fromisoformat(key)
    except (TypeError, ValueError):
        raise ValueError(f"not a date (YYYY-MM-DD): {key!r}") from None


def _day(intervals: Any) -> Day:
    try:
        pairs = [(str(opens), str(closes)) for opens, closes in intervals]
    except (TypeError, ValueError):
        raise ValueError(f"not a list of [opens, closes] pairs: {intervals!r}") from None
    check_intervals(pairs)
    return tuple(sorted((_minutes(opens), _minutes(closes)) for opens, closes in pairs))


def _minutes(hhmm: str) -> int:
    moment = parse_hhmm(hhmm)
    return 24 * 60 if moment == time.max else moment.hour * 60 + moment.minute


def _utc(at: datetime) -> datetime:
    if at.utcoffset() is None:
        raise ValueError(f"a naive datetime ({at}): pass an aware one")
    return at.astimezone(UTC)


# --- from wall-clock hours to instants ----------------------------------------------------


def _intervals(opening: Hours, day: date) -> Day:
    """The hours of one local date: its exception, else closed on a holiday, else the week's."""
    if day in opening.exceptions:
        return opening.exceptions[day]
    if day in opening.holidays(day.year):
        return ()
    return opening.weekly[day.weekday()]


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant a clock in `zone` shows the naive `wall` time, or a later one."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first <= second:
        return first  # shown once, or twice (autumn): the first
    # Skipped (spring): fold=1 reads it with the new offset, before the jump, fold=0
    # with the old one, after it; the clock next shows a later time at the jump.
    return _jump(second, first, zone)


def _jump(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The instant between `before` and `after` at which `zone` changes its offset."""
    offset = before.astimezone(zone).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:  # transitions fall on whole seconds
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _day_spans(opening: Hours, day: date) -> list[Span]:
    midnight = datetime.combine(day, time())  # a wall time: _instant places it
    spans = []
    for opens, closes in _intervals(opening, day):
        begin = _instant(midnight + timedelta(minutes=opens), opening.zone)
        end = _instant(midnight + timedelta(minutes=closes), opening.zone)
        if begin < end:  # an interval wholly inside the skipped hour has no time
            spans.append((begin, end))
    return spans


def _open_days(opening: Hours, first: date, last: date | None = None) -> Iterator[list[Span]]:
    """The open spans of every local date from `first` (to `last`) that has any; with
    no `last` it goes on for ever, or raises NeverOpens when nothing opens again."""
    give_up = max([first, *opening.exceptions]) + _QUIET
    day = first
    while last is None or day <= last:
        spans = _day_spans(opening, day)
        if spans:
            give_up = max(give_up, day + _QUIET)
            yield spans
        elif last is None and day > give_up:
            raise NeverOpens(f"no open time after {first.isoformat()}")
        day += _ONE_DAY


def _spans(opening: Hours, since: datetime, *, until: datetime | None = None) -> Iterator[Span]:
    """Open spans, in order, that end after `since` (up to `until`'s date, if given)."""
    # An earlier date's spans end by the first instant the clock shows `since`'s date,
    # so none of them can still be open.
    first = since.astimezone(opening.zone).date()
    last = None if until is None else until.astimezone(opening.zone).date()
    for spans in _open_days(opening, first, last):
        for begin, end in spans:
            if end > since:
                yield begin, end
