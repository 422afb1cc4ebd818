"""Working days: when a store is open, and Poland's public holidays, on which shops
are closed by law (the Act of 18 January 1951 on public holidays, as amended; the
24th of December is a holiday from 2025).

Pure: dates in, dates out. A store's own weekly hours come from `locations`; here a
store is open on a set of weekdays (0 = Monday) unless the day is a holiday.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

MONDAY_TO_SATURDAY = frozenset(range(6))

# (month, day) of the fixed holidays, and the year each was first kept.
_FIXED: tuple[tuple[int, int, int], ...] = (
    (1, 1, 1951),  # New Year
    (1, 6, 2011),  # Epiphany
    (5, 1, 1951),  # Labour Day
    (5, 3, 1990),  # Constitution Day
    (8, 15, 1951),  # Assumption
    (11, 1, 1951),  # All Saints
    (11, 11, 1989),  # Independence Day
    (12, 24, 2025),  # Christmas Eve
    (12, 25, 1951),  # Christmas
    (12, 26, 1951),  # second day of Christmas
)


def easter_sunday(year: int) -> date:
    """Western Easter by the Gregorian computus (the anonymous algorithm of 1876)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def polish_holidays(year: int) -> frozenset[date]:
    """Every public holiday of `year` in Poland (shops closed)."""
    easter = easter_sunday(year)
    movable = {
        easter,
        easter + timedelta(days=1),  # Easter Monday
        easter + timedelta(days=49),  # Pentecost
        easter + timedelta(days=60),  # Corpus Christi
    }
    fixed = {date(year, m, d) for m, d, since in _FIXED if year >= since}
    return frozenset(movable | fixed)


def is_open(day: date, open_weekdays: frozenset[int] = MONDAY_TO_SATURDAY) -> bool:
    """Whether a store open on `open_weekdays` opens on `day`."""
    return day.weekday() in open_weekdays and day not in polish_holidays(day.year)


def next_open_day(
    day: date, open_weekdays: frozenset[int] = MONDAY_TO_SATURDAY, *, after: bool = False
) -> date:
    """`day` itself if the store opens then (the next day's if `after`), else the next
    day it does."""
    if not open_weekdays:
        raise ValueError("a store that never opens has no next open day")
    current = day + timedelta(days=1) if after else day
    while not is_open(current, open_weekdays):
        current += timedelta(days=1)
    return current


def add_open_days(day: date, days: int, open_weekdays: frozenset[int] = MONDAY_TO_SATURDAY) -> date:
    """The open day `days` open days after `day` (0: `day` or the next open one)."""
    current = next_open_day(day, open_weekdays)
    for _ in range(days):
        current = next_open_day(current, open_weekdays, after=True)
    return current
