"""The exact optimum of a small routing request, by trying every set of locations:
the yardstick the routing engine is measured against (tests and `bench/routing.py`).
Exponential in the number of locations: keep to a dozen."""

from __future__ import annotations

from itertools import combinations

from omnichannel.fulfillment import routing


def best_plan(request: routing.Request, *, most_sites: int = 12) -> routing.Plan:
    """The plan with the smallest key (unserved, shipments, cost) over every set of at
    most `policy.max_shipments` eligible locations."""
    ids = [c.site.id for c in routing._candidates(request)]
    if len(ids) > most_sites:
        raise ValueError(f"{len(ids)} candidate locations: too many to try them all")
    best = routing.cost_of(request, [])
    for k in range(1, min(request.policy.max_shipments, len(ids)) + 1):
        for chosen in combinations(ids, k):
            found = routing.cost_of(request, list(chosen))
            if found.key < best.key:
                best = found
    return best
