"""Pure rules about locations: postcodes, opening hours."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_POSTCODE_PATTERNS = {
    "PL": re.compile(r"^\d{2}-\d{3}$"),
    "DE": re.compile(r"^\d{5}$"),
    "CZ": re.compile(r"^\d{3} ?\d{2}$"),
    "SK": re.compile(r"^\d{3} ?\d{2}$"),
    "LT": re.compile(r"^(LT-)?\d{5}$"),
}


class LocationType(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"


class Capability(StrEnum):
    SHIPS = "ships"  # parcels leave from here
    PICKUP = "pickup"  # customers collect orders here (click&collect, reserve&collect)
    SHIP_FROM_STORE = "ship_from_store"  # a store that packs and ships web orders
    ACCEPTS_RETURNS = "accepts_returns"


def normalise_postcode(country: str, postcode: str) -> str:
    """Canonical form of a postcode; raises ValueError when it is not one.

    Polish postcodes are NN-NNN; "00950" is accepted and written as "00-950".
    """
    value = postcode.strip().upper()
    if country == "PL" and re.fullmatch(r"\d{5}", value):
        value = f"{value[:2]}-{value[2:]}"
    pattern = _POSTCODE_PATTERNS.get(country)
    if pattern is not None and not pattern.fullmatch(value):
        raise ValueError(f"not a valid {country} postcode: {postcode!r}")
    if pattern is None and not re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{1,10}", value):
        raise ValueError(f"not a valid postcode: {postcode!r}")
    return value


def parse_hhmm(value: str) -> time:
    if value == "24:00":
        return time.max
    try:
        hh, mm = value.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ValueError(f"not a time of day (HH:MM): {value!r}") from None


def check_intervals(intervals: list[tuple[str, str]]) -> None:
    """Intervals of one day must each open before they close and must not overlap."""
    spans = sorted((parse_hhmm(a), parse_hhmm(b)) for a, b in intervals)
    for opens, closes in spans:
        if opens >= closes:
            raise ValueError(f"opens at {opens:%H:%M} but closes at {closes:%H:%M}")
    for (_, prev_close), (next_open, _) in pairwise(spans):
        if next_open < prev_close:
            raise ValueError("opening intervals overlap")


def is_open(
    weekly: dict[str, list[tuple[str, str]]],
    exceptions: dict[date, list[tuple[str, str]]],
    timezone: str,
    at: datetime,
) -> bool:
    """Whether a location is open at an instant, read in the location's own time zone.

    A date in `exceptions` (a holiday, a trading Sunday) replaces the weekly hours.
    """
    local = at.astimezone(ZoneInfo(timezone))
    day = local.date()
    intervals = exceptions[day] if day in exceptions else weekly.get(WEEKDAYS[local.weekday()], [])
    now = local.time()
    return any(parse_hhmm(a) <= now < parse_hhmm(b) for a, b in intervals)
