"""The Omnibus reference price, worked out from a recorded history (no database)."""

from datetime import UTC, datetime, timedelta

from omnichannel.pricing.history import Entry, lowest_in_window, omnibus_of

DAY = timedelta(days=1)
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def _h(*steps: tuple[int, int | None, int | None]) -> list[Entry]:
    """(day, list price, shelf price) steps."""
    return [Entry(T0 + d * DAY, lst, amt) for d, lst, amt in steps]


def test_a_price_that_is_not_reduced_has_no_reference() -> None:
    assert omnibus_of(_h((0, 5000, 5000)), T0 + 10 * DAY).lowest_30d is None
    assert omnibus_of([], T0).reduction_started_at is None


def test_the_reference_is_the_lowest_of_the_30_days_before_the_reduction() -> None:
    steps = _h(
        (0, 5000, 5000), (10, 5000, 4500), (12, 5000, 5000), (50, 6000, 6000), (55, 6000, 4800)
    )
    ref = omnibus_of(steps, T0 + 56 * DAY)
    assert ref.reduction_started_at == T0 + 55 * DAY
    assert ref.lowest_30d == 5000  # the 45.00 of days 10-12 is older than 30 days


def test_a_step_that_began_earlier_but_ran_into_the_window_counts() -> None:
    steps = _h((0, 5000, 4000), (20, 5000, 5000), (40, 5000, 4500))
    # days 10-40 are the window: the 40.00 that ran until day 20 is in it
    assert omnibus_of(steps, T0 + 41 * DAY).lowest_30d == 4000


def test_a_deeper_second_reduction_keeps_the_first_ones_start() -> None:
    steps = _h((0, 5000, 5000), (40, 5000, 4500), (45, 5000, 3500))
    ref = omnibus_of(steps, T0 + 46 * DAY)
    assert (ref.reduction_started_at, ref.lowest_30d) == (T0 + 40 * DAY, 5000)


def test_a_variant_first_sold_on_promotion_has_no_earlier_price() -> None:
    ref = omnibus_of(_h((0, 5000, 4000)), T0 + DAY)
    assert (ref.reduction_started_at, ref.lowest_30d) == (T0, None)


def test_days_off_sale_are_skipped() -> None:
    steps = _h((0, 5000, 5000), (20, None, None), (30, 5000, 4000))
    assert omnibus_of(steps, T0 + 31 * DAY).lowest_30d == 5000


def test_the_lowest_of_the_last_30_days_for_a_segment_reduction() -> None:
    steps = _h((0, 5000, 4800), (40, 5000, 5000))
    assert lowest_in_window(steps, T0 + 45 * DAY) == 4800  # 4800 ran until day 40
    assert lowest_in_window(steps, T0 + 75 * DAY) == 5000
