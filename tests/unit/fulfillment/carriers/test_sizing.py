"""A parcel gets the smallest locker compartment it surely fits, from its units'
sizes and weights; one that fits none is refused with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnichannel.fulfillment.carriers.errors import SizeUnknown, TooBigForLocker
from omnichannel.fulfillment.carriers.sizing import (
    COMPARTMENTS,
    MAX_WEIGHT_G,
    LockerSize,
    ParcelItem,
    fits,
    locker_size,
    lying_height,
)


def item(
    length: int, width: int, height: int, weight: int = 200, qty: int = 1, sku: str = "X"
) -> ParcelItem:
    return ParcelItem(sku, qty, weight, length, width, height)


T_SHIRT = item(300, 250, 20, 180)  # folded in its bag
SHOES = item(330, 210, 120, 900)  # in their box
DUFFEL = item(550, 350, 300, 1500)
BIKE = item(1700, 250, 900, 12_000)


def test_a_folded_t_shirt_goes_in_the_smallest_compartment() -> None:
    assert locker_size([T_SHIRT]) is LockerSize.A


def test_a_shoe_box_needs_the_middle_compartment() -> None:
    assert locker_size([SHOES]) is LockerSize.B


def test_a_big_bag_needs_the_largest_compartment() -> None:
    assert locker_size([DUFFEL]) is LockerSize.C


def test_units_are_stacked_so_many_shirts_need_a_taller_compartment() -> None:
    assert locker_size([item(300, 250, 20, 180, qty=4)]) is LockerSize.A
    assert locker_size([item(300, 250, 20, 180, qty=5)]) is LockerSize.B


def test_a_long_thin_thing_lies_flat_along_the_compartment() -> None:
    umbrella = item(40, 600, 40, 400)
    assert lying_height((40, 600, 40), (380, 640)) == 40
    assert locker_size([umbrella]) is LockerSize.A


def test_a_thing_too_long_for_any_compartment_is_too_big_for_a_locker() -> None:
    with pytest.raises(TooBigForLocker) as e:
        locker_size([BIKE])
    assert e.value.code == "too_big_for_locker"
    assert e.value.status == 422
    assert "larger than the largest compartment" in e.value.detail


def test_a_parcel_over_25_kg_is_too_heavy_for_a_locker_however_small() -> None:
    with pytest.raises(TooBigForLocker) as e:
        locker_size([item(100, 100, 30, weight=13_000, qty=2)])
    assert "26.0 kg" in e.value.detail
    assert locker_size([item(100, 100, 30, weight=12_500, qty=2)]) is LockerSize.A


def test_an_item_without_dimensions_cannot_be_given_a_compartment() -> None:
    unknown = ParcelItem("TS-01-M", 1, 180, None, 250, 20)
    with pytest.raises(SizeUnknown) as e:
        locker_size([T_SHIRT, unknown])
    assert e.value.errors[0]["field"] == "items.1"


def test_an_item_without_a_weight_cannot_be_given_a_compartment() -> None:
    with pytest.raises(SizeUnknown):
        locker_size([ParcelItem("X", 1, None, 10, 10, 10)])


sides = st.integers(min_value=0, max_value=700)
items = st.lists(
    st.builds(
        ParcelItem,
        sku=st.just("X"),
        quantity=st.integers(min_value=1, max_value=4),
        weight_g=st.integers(min_value=0, max_value=12_000),
        length_mm=sides,
        width_mm=sides,
        height_mm=sides,
    ),
    max_size=6,
)


@given(items)
def test_a_parcel_that_fits_a_compartment_fits_every_larger_one(parcel: list[ParcelItem]) -> None:
    assert fits(parcel, LockerSize.A) <= fits(parcel, LockerSize.B) <= fits(parcel, LockerSize.C)


@given(items, items)
def test_adding_items_never_makes_a_parcel_smaller(
    parcel: list[ParcelItem], more: list[ParcelItem]
) -> None:
    for size in LockerSize:
        assert fits([*parcel, *more], size) <= fits(parcel, size)


@given(items)
def test_the_chosen_compartment_is_the_smallest_the_parcel_fits(parcel: list[ParcelItem]) -> None:
    try:
        chosen = locker_size(parcel)
    except TooBigForLocker:
        assert not fits(parcel, LockerSize.C)
        return
    sizes = list(LockerSize)
    assert fits(parcel, chosen)
    assert not any(fits(parcel, s) for s in sizes[: sizes.index(chosen)])


@given(st.tuples(sides, sides, sides))
def test_a_unit_that_lies_in_the_footprint_stands_no_higher_than_its_longest_side(
    dims: tuple[int, int, int],
) -> None:
    c = COMPARTMENTS[LockerSize.C]
    up = lying_height(dims, (c.width_mm, c.depth_mm))
    assert up is None or up in dims
    if sorted(dims)[1] <= c.width_mm and max(dims) <= c.depth_mm:
        assert up == min(dims)


def test_the_weight_limit_is_the_same_for_every_compartment() -> None:
    heavy = [item(10, 10, 10, weight=MAX_WEIGHT_G + 1)]
    assert not any(fits(heavy, s) for s in LockerSize)
