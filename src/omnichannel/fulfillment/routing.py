"""The routing engine: where each unit of an order comes from. Pure: no database.

Input: the order's lines, how it reaches the customer (home, parcel locker, pickup at
a store, carry-out at the till), the orderable stock per location, and per location
its capabilities, its distance to where the goods must go, what a fulfilment order
costs there, how many it can still dispatch today and its carrier cut-off; plus the
channel's policy (most shipments, stores allowed to ship, what a kilometre and a day
of delay cost).

Output: a plan, location and quantity per line (a line may be split), chosen in
this order of importance:

1. serve the order: fewest units left unserved;
2. fewest shipments (for a pickup: fewest locations sending goods to the store);
3. least cost: per fulfilment order, the location's own cost, its distance at the
   policy's price per km, and each day its dispatch waits (past the cut-off, out of
   capacity, closed) at the policy's price per day.

Search: the cheapest location that holds everything wins at once. Otherwise a
branch and bound over locations in order of cost finds the cheapest cover with the
fewest locations, within a node budget; past the budget (or when nothing covers)
it keeps the best found, or a greedy plan. Each plan says why, one line a decision.

A pickup prefers the pickup store's own shelf (it costs nothing to move); what the
shelf lacks comes by transfer, ready on the store's first open day after arrival
(closed Sundays and holidays). A carry-out is served by the till's store or not at
all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from omnichannel.fulfillment import calendar
from omnichannel.fulfillment.cover import Candidate, search

COURIER_DAYS = frozenset(range(6))  # couriers deliver Monday to Saturday
NEAR_KM = 300.0  # a parcel further than this takes two days, not one


class Method(StrEnum):
    HOME = "home"  # courier to an address
    LOCKER = "locker"  # parcel locker
    PICKUP = "pickup"  # collected at a store (click & collect, reserve & collect)
    CARRY_OUT = "carry_out"  # the till: the customer leaves with it


@dataclass(frozen=True, slots=True)
class Line:
    line_no: int
    variant_id: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class Site:
    """A location as routing sees it for one order."""

    id: uuid.UUID
    name: str
    kind: str  # "warehouse" or "store"
    distance_km: float  # to the address, the locker or the pickup store
    ships: bool = True  # sends parcels (warehouses)
    ship_from_store: bool = False  # a store that may send home deliveries
    shipment_cost: int = 0  # minor units per fulfilment order here
    capacity_left: int = 1_000_000  # fulfilment orders it can still dispatch today
    cutoff: time | None = None  # the carrier's last collection today, local time
    open_weekdays: frozenset[int] = calendar.MONDAY_TO_SATURDAY


@dataclass(frozen=True, slots=True)
class Policy:
    """A channel's routing policy."""

    max_shipments: int = 3
    stores_ship: bool = True  # may stores with ship_from_store send home deliveries
    cost_per_km: int = 2  # minor units
    cost_per_day: int = 500  # each day a dispatch waits
    split_penalty: int = 0  # added per shipment beyond the first (reported cost)


@dataclass(frozen=True, slots=True)
class Request:
    lines: Sequence[Line]
    method: Method
    sites: Sequence[Site]
    stock: Mapping[tuple[uuid.UUID, uuid.UUID], int]  # (variant, site) -> orderable
    now: datetime  # local time of the retailer (Europe/Warsaw)
    store_id: uuid.UUID | None = None  # pickup store, or the till's store
    policy: Policy = field(default_factory=Policy)


@dataclass(frozen=True, slots=True)
class Allocation:
    line_no: int
    variant_id: uuid.UUID
    site_id: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class Plan:
    allocations: tuple[Allocation, ...]
    shipments: tuple[uuid.UUID, ...]  # sites sending goods, cheapest first
    unserved: Mapping[int, int]  # line_no -> units nobody can serve
    cost: int  # minor units, as ranked
    dispatch: Mapping[uuid.UUID, date]  # when each site's goods leave
    eta: date | None  # delivered, or ready for pickup; None if nothing is served
    explanation: tuple[str, ...]

    @property
    def key(self) -> tuple[int, int, int]:
        """What the plan is ranked by: unserved units, shipments, cost."""
        return (sum(self.unserved.values()), len(self.shipments), self.cost)


def plan(request: Request) -> Plan:
    """The best plan for the request (see the module docstring for "best")."""
    _check(request)
    candidates = _candidates(request)
    need = tuple(line.quantity for line in request.lines)
    chosen = search(candidates, need, request.policy.max_shipments)
    return _build(request, candidates, chosen, need)


def cost_of(request: Request, site_ids: Sequence[uuid.UUID]) -> Plan:
    """The plan that uses exactly these sites (for comparison and tests)."""
    _check(request)
    by_id = {c.site.id: c for c in _candidates(request)}
    need = tuple(line.quantity for line in request.lines)
    return _build(request, list(by_id.values()), [by_id[s] for s in site_ids], need)


def _check(request: Request) -> None:
    if request.method in (Method.PICKUP, Method.CARRY_OUT) and request.store_id is None:
        raise ValueError(f"a {request.method} order needs its store")
    if request.policy.max_shipments < 1:
        raise ValueError("a policy allows at least one shipment")
    if any(line.quantity < 1 for line in request.lines):
        raise ValueError("every line asks for at least one unit")


def _how(request: Request, site: Site, *, own_store: bool) -> str | None:
    """Why the site may serve this order, or None. `own_store`: it is the order's
    store (the pickup store, or the till's)."""
    if own_store:
        return (
            "the till's store"
            if request.method is Method.CARRY_OUT
            else ("the pickup store's own shelf")
        )
    if request.method is Method.CARRY_OUT:
        return None
    if site.kind == "store":
        if not (site.ship_from_store and request.policy.stores_ship):
            return None
    elif not site.ships:
        return None
    if request.method is Method.PICKUP:
        return "a transfer to the pickup store"
    return "ships from store" if site.kind == "store" else "ships from the warehouse"


def _dispatch(site: Site, now: datetime) -> tuple[date, str]:
    """When the site's goods can leave, and why then."""
    today = now.date()
    if not calendar.is_open(today, site.open_weekdays):
        return calendar.next_open_day(today, site.open_weekdays), "closed today"
    if site.capacity_left <= 0:
        return calendar.next_open_day(today, site.open_weekdays, after=True), "full today"
    if site.cutoff is not None and now.time() >= site.cutoff:
        day = calendar.next_open_day(today, site.open_weekdays, after=True)
        return day, f"past the {site.cutoff:%H:%M} cut-off"
    cut = f" before the {site.cutoff:%H:%M} cut-off" if site.cutoff else ""
    return today, f"leaves today{cut}"


def _covers(request: Request) -> dict[int, tuple[int, ...]]:
    """What each site can give each line (by the site id's integer): its stock,
    capped at the line's quantity. Lines of one variant share the site's stock, first
    line first, so no unit is promised twice. One pass over the stock given (the
    order's variants); keyed by integers, which hash in C where a UUID does not."""
    lines_of: dict[int, list[tuple[int, int]]] = {}
    for i, line in enumerate(request.lines):
        lines_of.setdefault(line.variant_id.int, []).append((i, line.quantity))
    covers: dict[int, list[int]] = {}
    width = len(request.lines)
    for (variant_id, site_id), units in request.stock.items():
        if units <= 0:
            continue
        indexes = lines_of.get(variant_id.int)
        if indexes is None:
            continue
        key = site_id.int
        cover = covers.get(key)
        if cover is None:
            cover = covers[key] = [0] * width
        for i, quantity in indexes:
            # A conditional, not min(): this loop runs for every unit of stock given.
            take = units if units < quantity else quantity
            cover[i] = take
            units -= take
    return {site_id: tuple(c) for site_id, c in covers.items()}


def _candidates(request: Request) -> list[Candidate]:
    """Every site that may serve and holds something, cheapest first."""
    policy, today = request.policy, request.now.date()
    per_km, per_day = policy.cost_per_km, policy.cost_per_day
    covers = _covers(request)
    own = (
        request.store_id.int
        if request.store_id is not None and request.method in (Method.PICKUP, Method.CARRY_OUT)
        else None
    )
    when_for: dict[tuple[frozenset[int], bool, time | None], tuple[date, str]] = {}
    # Why a site that is not the order's own store may serve: the same for every
    # store and every warehouse of one order (None: it may not).
    by_store = _how(request, _A_STORE, own_store=False)
    by_warehouse = _how(request, _A_WAREHOUSE, own_store=False)
    stores_ship = request.policy.stores_ship
    found = []
    for site in request.sites:
        key = site.id.int
        cover = covers.get(key)
        if cover is None:
            continue
        if key == own:  # nothing travels
            how = _how(request, site, own_store=True) or ""
            found.append(Candidate(site, 0, today, cover, how, "", sum(cover)))
            continue
        if site.kind == "store":
            if by_store is None or not (site.ship_from_store and stores_ship):
                continue
            how = by_store
        elif by_warehouse is None or not site.ships:
            continue
        else:
            how = by_warehouse
        # Sites with the same days, cut-off and room today leave on the same day.
        shape = (site.open_weekdays, site.capacity_left > 0, site.cutoff)
        leaves = when_for.get(shape)
        if leaves is None:
            leaves = when_for[shape] = _dispatch(site, request.now)
        dispatch, when = leaves
        cost = site.shipment_cost + round(site.distance_km * per_km)
        if dispatch != today:
            cost += (dispatch - today).days * per_day
        found.append(Candidate(site, cost, dispatch, cover, how, when, sum(cover)))
    found.sort(key=_rank)
    return found


# Stand-ins for "a store" and "a warehouse" that may send goods, to word why they may.
_A_STORE = Site(uuid.UUID(int=0), "", "store", 0.0, ship_from_store=True)
_A_WAREHOUSE = Site(uuid.UUID(int=0), "", "warehouse", 0.0, ships=True)


def _rank(c: Candidate) -> tuple[int, int, int]:
    return (c.cost, -c.units, c.site.id.int)


def _build(
    request: Request,
    candidates: list[Candidate],
    chosen: list[Candidate],
    need: tuple[int, ...],
) -> Plan:
    """Fill each line from the chosen sites, cheapest first, and say why."""
    chosen = sorted(chosen, key=_rank)
    allocations: list[Allocation] = []
    unserved: dict[int, int] = {}
    used: dict[uuid.UUID, Candidate] = {}
    lines_said = []
    for i, line in enumerate(request.lines):
        left, parts = need[i], []
        for c in chosen:
            take = min(left, c.cover[i])
            if take:
                allocations.append(Allocation(line.line_no, line.variant_id, c.site.id, take))
                used[c.site.id] = c
                parts.append(f"{take} from {c.site.name}")
                left -= take
        if left:
            unserved[line.line_no] = left
            parts.append(f"{left} nowhere to be had")
        lines_said.append(f"Line {line.line_no} ({line.quantity}): " + ", ".join(parts) + ".")
    sites = [c for c in chosen if c.site.id in used]
    cost = sum(c.cost for c in sites) + request.policy.split_penalty * max(len(sites) - 1, 0)
    said = [_summary(request, candidates, sites, unserved)]
    said += [f"{c.site.name}: {c.why}, cost {c.cost}." for c in sites]
    said += lines_said
    return Plan(
        allocations=tuple(allocations),
        shipments=tuple(c.site.id for c in sites),
        unserved=unserved,
        cost=cost,
        dispatch={c.site.id: c.dispatch for c in sites},
        eta=_eta(request, sites),
        explanation=tuple(said),
    )


def _summary(
    request: Request,
    candidates: list[Candidate],
    sites: list[Candidate],
    unserved: Mapping[int, int],
) -> str:
    if not sites:
        return "Nothing can be served: no eligible location holds any of the lines."
    if unserved:
        return (
            f"Partly served from {len(sites)} location(s): "
            f"{sum(unserved.values())} unit(s) are nowhere within "
            f"{request.policy.max_shipments} shipment(s)."
        )
    if len(sites) == 1:
        wants = [line.quantity for line in request.lines]
        rivals = sum(all(h >= w for h, w in zip(c.cover, wants, strict=True)) for c in candidates)
        return (
            f"One shipment: {sites[0].site.name} holds every line, the cheapest of "
            f"{rivals} that do."
        )
    return f"Split into {len(sites)}: no location holds every line; the cheapest such set."


def _eta(request: Request, sites: list[Candidate]) -> date | None:
    """Delivered (home, locker), ready (pickup) or taken away (carry-out)."""
    if not sites:
        return None
    if request.method is Method.CARRY_OUT:
        return request.now.date()
    latest = request.now.date()
    for c in sites:
        if request.method is Method.PICKUP and c.site.id == request.store_id:
            arrives = c.dispatch
        else:
            days = 1 if c.site.distance_km <= NEAR_KM else 2
            arrives = c.dispatch + timedelta(days=days)
        latest = max(latest, arrives)
    if request.method is Method.PICKUP:
        store = next((s for s in request.sites if s.id == request.store_id), None)
        weekdays = store.open_weekdays if store else calendar.MONDAY_TO_SATURDAY
        return calendar.next_open_day(latest, weekdays)
    return calendar.next_open_day(latest, COURIER_DAYS)
