"""Which parcel locker compartment a parcel needs: pure, no I/O.

InPost-style lockers have three compartments, all 380 × 640 mm across and 80 (A),
190 (B) or 410 mm (C) high, for at most 25 kg. We pack the simple way a person at a
packing table would: each unit lies flat with its smallest possible side up, and the
units are stacked. That is conservative: a parcel called A surely goes in A, one a
clever packer could squeeze into A may be called B; never the other way round, so no
parcel comes back from a locker it does not fit. Sizes only grow with the
compartment's height, so a parcel that fits A fits B and C.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from omnichannel.fulfillment.carriers.errors import SizeUnknown, TooBigForLocker, field_error


class LockerSize(StrEnum):
    A = "A"
    B = "B"
    C = "C"


@dataclass(frozen=True, slots=True)
class Compartment:
    height_mm: int
    width_mm: int
    depth_mm: int


COMPARTMENTS: dict[LockerSize, Compartment] = {
    LockerSize.A: Compartment(80, 380, 640),
    LockerSize.B: Compartment(190, 380, 640),
    LockerSize.C: Compartment(410, 380, 640),
}
MAX_WEIGHT_G = 25_000


@dataclass(frozen=True, slots=True)
class ParcelItem:
    """One line of a parcel: a unit's weight and packed size, and how many go in.
    None: unknown (the catalog has no figure)."""

    sku: str
    quantity: int
    weight_g: int | None
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None


def lying_height(dims: tuple[int, int, int], footprint: tuple[int, int]) -> int | None:
    """The least height a unit takes when laid so that the other two sides fit the
    footprint; None when no way of laying it fits."""
    small, mid, large = sorted(dims)
    across, along = sorted(footprint)
    for up, (a, b) in ((small, (mid, large)), (mid, (small, large)), (large, (small, mid))):
        if a <= across and b <= along:
            return up
    return None


def _known(items: Sequence[ParcelItem]) -> list[tuple[ParcelItem, tuple[int, int, int]]]:
    out = []
    for i, item in enumerate(items):
        dims = (item.length_mm, item.width_mm, item.height_mm)
        if item.weight_g is None or None in dims:
            raise SizeUnknown(
                f"{item.sku} has no weight or dimensions in the catalog: a locker "
                "compartment cannot be chosen for it.",
                errors=[field_error(f"items.{i}", f"{item.sku}: size unknown", "size_unknown")],
            )
        out.append((item, (item.length_mm or 0, item.width_mm or 0, item.height_mm or 0)))
    return out


def stack_height(items: Sequence[ParcelItem], compartment: Compartment) -> int | None:
    """How high the units stand stacked in a compartment's footprint; None when one of
    them does not lie in it at all. 422 `size_unknown` for an item without figures."""
    footprint = (compartment.width_mm, compartment.depth_mm)
    total = 0
    for item, dims in _known(items):
        up = lying_height(dims, footprint)
        if up is None:
            return None
        total += up * item.quantity
    return total


def total_weight(items: Sequence[ParcelItem]) -> int:
    """The parcel's weight in grams (unknown weights count as nothing)."""
    return sum((item.weight_g or 0) * item.quantity for item in items)


def fits(items: Sequence[ParcelItem], size: LockerSize) -> bool:
    """Whether the parcel goes in a compartment of this size (weight included)."""
    compartment = COMPARTMENTS[size]
    height = stack_height(items, compartment)
    return (
        height is not None
        and height <= compartment.height_mm
        and total_weight(items) <= MAX_WEIGHT_G
    )


def locker_size(items: Sequence[ParcelItem]) -> LockerSize:
    """The smallest compartment the parcel fits; 422 `too_big_for_locker` when none
    does (too big or over 25 kg), `size_unknown` when an item has no figures."""
    for size in LockerSize:
        if fits(items, size):
            return size
    weight = total_weight(items)
    why = (
        f"weighs {weight / 1000:.1f} kg, over the {MAX_WEIGHT_G // 1000} kg a locker takes"
        if weight > MAX_WEIGHT_G
        else "is larger than the largest compartment (410 × 380 × 640 mm)"
    )
    raise TooBigForLocker(
        f"The parcel {why}: send it by courier.",
        errors=[field_error("delivery_method", f"the parcel {why}", "too_big_for_locker")],
    )
