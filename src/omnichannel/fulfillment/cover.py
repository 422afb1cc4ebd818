"""Which locations cover an order: the search behind `routing.plan`.

The cheapest location holding everything wins at once. Otherwise a branch and bound
over locations in order of cost finds the cheapest cover with the fewest locations,
within a node budget; when no set of the allowed size covers the order, the set
serving the most units (exhaustively when that is small, else greedily).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import combinations
from math import comb
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the site type is routing's, and routing calls this module
    from omnichannel.fulfillment.routing import Site

NODE_BUDGET = 4000  # branch-and-bound nodes per shipment count before settling


@dataclass(slots=True)
class Candidate:
    """A site that may serve the order: what a plan costs there and what it holds."""

    site: Site
    cost: int
    dispatch: date
    cover: tuple[int, ...]  # units of each line it can serve
    how: str  # why it may serve at all
    when: str  # why its goods leave when they do ("" when they need not travel)
    units: int  # of the order it can serve

    @property
    def why(self) -> str:
        if not self.when:
            return self.how
        return f"{self.how}, {self.site.distance_km:.0f} km, {self.when}"


def search(candidates: list[Candidate], need: tuple[int, ...], most: int) -> list[Candidate]:
    """The cheapest set of candidates covering `need` with the fewest members, or the
    best effort when no set of `most` covers it.

    Units no candidate holds can never be served, so the search aims at what all of
    them hold together: when that is less than the order, the cheapest fewest sites
    giving every unit to be had is still found exactly.
    """
    if not candidates:
        return []
    held = [sum(column) for column in zip(*(c.cover for c in candidates), strict=True)]
    target = tuple(min(w, h) for w, h in zip(need, held, strict=True))
    wanted = sum(target)
    if not wanted:
        return []
    for c in candidates:  # sorted by cost: the first full cover is the cheapest
        if c.units >= wanted and all(h >= w for h, w in zip(c.cover, target, strict=True)):
            return [c]
    for k in range(2, min(most, len(candidates)) + 1):
        found = _cover(candidates, target, k)
        if found:
            return found
    return _best_effort(candidates, target, most)


def _best_effort(candidates: list[Candidate], need: tuple[int, ...], most: int) -> list[Candidate]:
    """No set of `most` covers everything: the set serving the most units (then the
    fewest sites, then the cheapest), tried in full when that is small, else greedy."""
    k = min(most, len(candidates))
    if sum(comb(len(candidates), i) for i in range(1, k + 1)) > NODE_BUDGET:
        return _greedy(candidates, need, most)
    best: tuple[tuple[int, int, int], list[Candidate]] | None = None
    for size in range(1, k + 1):
        for chosen in combinations(candidates, size):
            served = sum(min(want, sum(c.cover[i] for c in chosen)) for i, want in enumerate(need))
            key = (-served, size, sum(c.cost for c in chosen))
            if best is None or key < best[0]:
                best = (key, list(chosen))
    return best[1] if best else []


def _cover(candidates: list[Candidate], need: tuple[int, ...], k: int) -> list[Candidate]:
    """Branch and bound: the cheapest `k` candidates whose covers add up to `need`.

    Candidates are in order of cost, so the cheapest way to fill the slots left from
    position i is the next ones (a prefix-sum bound), and a branch stops as soon as
    all the candidates after it together no longer hold what is left (a suffix-sum
    bound). The last slot takes the first site holding all that is left: in cost
    order, the first is the cheapest.
    """
    n, width = len(candidates), len(need)
    covers = [c.cover for c in candidates]
    costs = [c.cost for c in candidates]
    units = [c.units for c in candidates]
    prefix = [0]
    for c in candidates:
        prefix.append(prefix[-1] + c.cost)
    suffix = [[0] * width for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        suffix[i] = [a + b for a, b in zip(suffix[i + 1], covers[i], strict=True)]
    best: list[int] = []
    best_cost = [prefix[-1] + 1]
    budget = [NODE_BUDGET]

    def last(start: int, left: list[int], picked: list[int], spent: int) -> None:
        """The slot that must close the cover: the first (cheapest) site holding all
        that is left."""
        wanted = sum(left)
        for j in range(start, n):
            budget[0] -= 1
            if budget[0] < 0 or spent + costs[j] >= best_cost[0]:
                return
            if units[j] < wanted:
                continue
            for w, h in zip(left, covers[j], strict=True):
                if w > h:
                    break
            else:
                best[:] = [*picked, j]
                best_cost[0] = spent + costs[j]
                return

    def go(start: int, left: list[int], picked: list[int], spent: int) -> None:
        slots = k - len(picked)
        if slots == 1:
            last(start, left, picked, spent)
            return
        for i in range(start, n - slots + 1):
            budget[0] -= 1
            if budget[0] < 0 or spent + prefix[i + slots] - prefix[i] >= best_cost[0]:
                return
            if any(w > h for w, h in zip(left, suffix[i], strict=True)):
                return  # what is left is more than everyone from here on holds
            rest = [w - h if w > h else 0 for w, h in zip(left, covers[i], strict=True)]
            if rest != left:  # it adds something
                go(i + 1, rest, [*picked, i], spent + costs[i])

    go(0, list(need), [], 0)
    return [candidates[i] for i in best]


def _greedy(candidates: list[Candidate], need: tuple[int, ...], most: int) -> list[Candidate]:
    """Most units first, cheapest on a tie, until `most` sites or nothing more helps."""
    left: list[int] = list(need)
    chosen: list[Candidate] = []
    pool = list(candidates)
    while pool and len(chosen) < most and any(left):
        gain, c = max(
            ((sum(min(h, w) for h, w in zip(c.cover, left, strict=True)), c) for c in pool),
            key=lambda t: (t[0], -t[1].cost),
        )
        if gain == 0:
            break
        chosen.append(c)
        pool.remove(c)
        left = [max(w - h, 0) for w, h in zip(left, c.cover, strict=True)]
    return chosen
