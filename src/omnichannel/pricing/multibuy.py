"""Multi-buy offers, exactly: buy X get Y and bundle prices over the units of the
matching lines, the most valuable first. Unit values are exact fractions (a line
after an item percentage rarely divides by its quantity); each line's saving is
rounded half-up once, at the end."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from omnichannel.pricing.offers import Line, Offer
from omnichannel.pricing.rules import BP, PromotionKind, Refusal, half_up

Result = tuple[list[int], int] | Refusal


def _unit_value(line_value: int, quantity: int) -> Fraction | int:
    """Exact: an int when it divides, a Fraction after an item percentage (rarer, slower)."""
    whole, rest = divmod(line_value, quantity)
    return whole if not rest else Fraction(line_value, quantity)


def _runs(
    lines: Sequence[Line], idx: tuple[int, ...], basis: list[int], used: list[int]
) -> list[tuple[int, Fraction | int, int]]:
    """Free matching units as runs (line, unit value, count), most valuable first."""
    runs = [
        (i, _unit_value(basis[i], lines[i].quantity), lines[i].quantity - used[i])
        for i in idx
        if lines[i].quantity > used[i]
    ]
    runs.sort(key=lambda r: (-r[1], r[0]))
    return runs


def apply(
    offer: Offer,
    lines: Sequence[Line],
    idx: tuple[int, ...],
    basis: list[int],
    remaining: list[int],
    used: list[int],
) -> Result:
    runs = _runs(lines, idx, basis, used)
    size = offer.buy + offer.get if offer.kind is PromotionKind.BUY_X_GET_Y else offer.bundle_size
    units = sum(r[2] for r in runs)
    groups = units // size
    if not runs:
        return Refusal.NOT_APPLICABLE
    if groups == 0:
        return Refusal.BELOW_THRESHOLD
    limit = groups * size
    saving: list[Fraction | int] = [0] * len(lines)
    if offer.kind is PromotionKind.BUY_X_GET_Y:
        _buy_x_get_y(offer, runs, limit, size, saving)
    else:
        _bundle(offer, runs, limit, size, saving)
    start = 0
    for i, _value, count in runs:  # every unit of a complete group is taken
        used[i] += max(0, min(start + count, limit) - start)
        start += count
    out = [min(half_up(s.numerator, s.denominator), remaining[i]) for i, s in enumerate(saving)]
    return out, groups


def _buy_x_get_y(
    offer: Offer,
    runs: list[tuple[int, Fraction | int, int]],
    limit: int,
    size: int,
    saving: list[Fraction | int],
) -> None:
    """Positions are counted in the sorted units; the last `get` of each group are reduced."""

    def reduced_before(x: int) -> int:
        return (x // size) * offer.get + max(0, x % size - offer.buy)

    start = 0
    for i, value, count in runs:
        end = min(start + count, limit)
        if end > start:
            n = reduced_before(end) - reduced_before(start)
            reduced = value * n
            saving[i] += (
                reduced if offer.percent_bp >= BP else reduced * Fraction(offer.percent_bp, BP)
            )
        start += count


def _bundle(
    offer: Offer,
    runs: list[tuple[int, Fraction | int, int]],
    limit: int,
    size: int,
    saving: list[Fraction | int],
) -> None:
    """Each group of `size` units costs `bundle_price`; its saving is shared over its
    units in proportion to their value. Groups inside one run are alike: counted at once."""
    price = offer.bundle_price
    run, offset, pos = 0, 0, 0  # current run, units of it already grouped, position
    while pos < limit:
        i, value, count = runs[run]
        left = count - offset
        if left >= size:
            alike = min(left // size, (limit - pos) // size)
            group_saving = max(0, value * size - price)
            saving[i] += group_saving * alike
            offset += alike * size
            pos += alike * size
        else:
            members: list[tuple[int, Fraction | int]] = []
            need = size
            while need:
                i, value, count = runs[run]
                take = min(need, count - offset)
                members.append((i, value * take))
                need -= take
                offset += take
                if offset == count:
                    run, offset = run + 1, 0
            pos += size
            total = sum(v for _, v in members)
            group_saving = max(0, total - price)
            if group_saving and total:
                for j, v in members:
                    saving[j] += Fraction(group_saving * v) / total
            continue
        if offset == count:
            run, offset = run + 1, 0
