"""The routing engine, one rule a test, and on random small instances against the
exact optimum found by trying every set of locations."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnichannel.fulfillment import exact
from omnichannel.fulfillment.routing import Line, Method, Plan, Policy, Request, Site, plan

WARSAW = ZoneInfo("Europe/Warsaw")
MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=WARSAW)
SHIRT, MUG, LAMP = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)


def _site(name: str, km: float = 10, kind: str = "warehouse", **kw: object) -> Site:
    return Site(id=uuid.uuid5(uuid.NAMESPACE_DNS, name), name=name, kind=kind, distance_km=km, **kw)  # type: ignore[arg-type]


def _request(
    sites: list[Site],
    stock: dict[tuple[uuid.UUID, str], int],
    lines: dict[uuid.UUID, int] | None = None,
    method: Method = Method.HOME,
    **kw: object,
) -> Request:
    by_name = {s.name: s.id for s in sites}
    return Request(
        lines=[Line(i + 1, v, q) for i, (v, q) in enumerate((lines or {SHIRT: 1}).items())],
        method=method,
        sites=sites,
        stock={(v, by_name[name]): n for (v, name), n in stock.items()},
        now=kw.pop("now", MONDAY_NOON),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def _from(p: Plan, sites: list[Site]) -> dict[str, dict[int, int]]:
    names = {s.id: s.name for s in sites}
    out: dict[str, dict[int, int]] = {}
    for a in p.allocations:
        out.setdefault(names[a.site_id], {})[a.line_no] = a.quantity
    return out


def test_a_location_holding_every_line_serves_the_order_in_one_shipment() -> None:
    sites = [_site("Stryków", km=120), _site("Błonie", km=5)]
    stock = {(SHIRT, "Stryków"): 5, (MUG, "Stryków"): 5, (SHIRT, "Błonie"): 5}
    p = plan(_request(sites, stock, {SHIRT: 1, MUG: 1}))
    assert _from(p, sites) == {"Stryków": {1: 1, 2: 1}}
    assert p.key[:2] == (0, 1)


def test_the_cheapest_of_the_locations_holding_everything_wins() -> None:
    sites = [_site("far", km=400), _site("near", km=20), _site("dear", km=5, shipment_cost=900)]
    stock = {(SHIRT, name): 3 for name in ("far", "near", "dear")}
    p = plan(_request(sites, stock))
    assert list(_from(p, sites)) == ["near"]
    assert p.cost == 40


def test_fewer_shipments_beat_a_cheaper_split() -> None:
    sites = [_site("a", km=5), _site("b", km=5), _site("c", km=5), _site("d", km=300)]
    stock = {(SHIRT, "a"): 1, (MUG, "b"): 1, (LAMP, "c"): 1, (SHIRT, "d"): 1, (MUG, "d"): 1}
    p = plan(_request(sites, stock, {SHIRT: 1, MUG: 1, LAMP: 1}))
    assert len(p.shipments) == 2
    assert _from(p, sites) == {"d": {1: 1, 2: 1}, "c": {3: 1}}


def test_a_line_may_be_split_across_locations() -> None:
    sites = [_site("a"), _site("b", km=30)]
    p = plan(_request(sites, {(SHIRT, "a"): 2, (SHIRT, "b"): 2}, {SHIRT: 3}))
    assert _from(p, sites) == {"a": {1: 2}, "b": {1: 1}}
    assert p.explanation[-1] == "Line 1 (3): 2 from a, 1 from b."


def test_units_nobody_has_are_named_unserved() -> None:
    sites = [_site("a")]
    p = plan(_request(sites, {(SHIRT, "a"): 1}, {SHIRT: 3, MUG: 1}))
    assert p.unserved == {1: 2, 2: 1}
    assert p.explanation[0].startswith("Partly served")


def test_the_policy_caps_the_number_of_shipments() -> None:
    sites = [_site("a"), _site("b"), _site("c")]
    stock = {(SHIRT, "a"): 1, (MUG, "b"): 1, (LAMP, "c"): 1}
    p = plan(_request(sites, stock, {SHIRT: 1, MUG: 1, LAMP: 1}, policy=Policy(max_shipments=2)))
    assert (len(p.shipments), sum(p.unserved.values())) == (2, 1)


def test_past_the_cut_off_a_location_dispatches_on_its_next_open_day_and_pays_for_it() -> None:
    sites = [_site("late", km=10, cutoff=time(11)), _site("on time", km=60, cutoff=time(15))]
    stock = {(SHIRT, "late"): 1, (SHIRT, "on time"): 1}
    p = plan(_request(sites, stock, policy=Policy(cost_per_day=500)))
    assert list(_from(p, sites)) == ["on time"]
    late = plan(_request(sites[:1], {(SHIRT, "late"): 1}))
    assert late.dispatch[sites[0].id] == date(2026, 12, 8)
    assert "past the 11:00 cut-off" in late.explanation[1]


def test_a_location_out_of_capacity_dispatches_tomorrow() -> None:
    full = _site("full", capacity_left=0)
    p = plan(_request([full], {(SHIRT, "full"): 1}))
    assert p.dispatch[full.id] == date(2026, 12, 8)
    assert "full today" in p.explanation[1]


def test_a_store_ships_only_with_ship_from_store_and_a_policy_allowing_it() -> None:
    plain = _site("shop", kind="store", km=1)
    shipping = _site("shop2", kind="store", km=1, ship_from_store=True)
    stock = {(SHIRT, "shop"): 1, (SHIRT, "shop2"): 1}
    assert list(_from(plan(_request([plain, shipping], stock)), [plain, shipping])) == ["shop2"]
    p = plan(_request([plain, shipping], stock, policy=Policy(stores_ship=False)))
    assert p.shipments == ()


def test_a_pickup_is_served_from_the_pickup_stores_own_shelf_first() -> None:
    store = _site("Kraków", kind="store", km=0)
    wh = _site("Stryków", km=250)
    stock = {(SHIRT, "Kraków"): 1, (SHIRT, "Stryków"): 9}
    p = plan(_request([wh, store], stock, method=Method.PICKUP, store_id=store.id))
    assert _from(p, [wh, store]) == {"Kraków": {1: 1}}
    assert (p.cost, p.eta) == (0, MONDAY_NOON.date())


def test_what_the_shelf_lacks_is_transferred_and_ready_on_the_stores_next_open_day() -> None:
    store = _site("Kraków", kind="store", km=0)
    wh = _site("Stryków", km=250)
    saturday = datetime(2026, 12, 12, 9, 0, tzinfo=WARSAW)
    p = plan(
        _request(
            [wh, store],
            {(SHIRT, "Stryków"): 9},
            method=Method.PICKUP,
            store_id=store.id,
            now=saturday,
        )
    )
    assert _from(p, [wh, store]) == {"Stryków": {1: 1}}
    assert p.eta == date(2026, 12, 14)  # arrives on Sunday: ready on Monday
    assert "a transfer to the pickup store" in p.explanation[1]


def test_a_carry_out_stays_at_the_tills_store() -> None:
    till = _site("Warszawa", kind="store", km=0)
    wh = _site("Stryków", km=130)
    stock = {(SHIRT, "Stryków"): 9, (SHIRT, "Warszawa"): 1}
    p = plan(_request([wh, till], stock, {SHIRT: 2}, method=Method.CARRY_OUT, store_id=till.id))
    assert (_from(p, [wh, till]), p.unserved) == ({"Warszawa": {1: 1}}, {1: 1})


def test_a_pickup_or_carry_out_needs_its_store() -> None:
    with pytest.raises(ValueError, match="needs its store"):
        plan(_request([_site("a")], {}, method=Method.PICKUP))


def test_every_plan_explains_each_decision() -> None:
    sites = [_site("a"), _site("b", km=30)]
    p = plan(_request(sites, {(SHIRT, "a"): 1, (MUG, "b"): 1}, {SHIRT: 1, MUG: 1}))
    assert p.explanation[0].startswith("Split into 2")
    assert [e.split(":")[0] for e in p.explanation[1:3]] == ["a", "b"]
    assert len(p.explanation) == 1 + len(p.shipments) + 2


@st.composite
def _instances(draw: st.DrawFn) -> Request:
    n_sites = draw(st.integers(1, 6))
    variants = [uuid.UUID(int=i + 1) for i in range(draw(st.integers(1, 4)))]
    sites = [
        Site(
            id=uuid.UUID(int=100 + i),
            name=f"s{i}",
            kind=draw(st.sampled_from(["warehouse", "store"])),
            distance_km=draw(st.floats(0, 600)),
            ship_from_store=draw(st.booleans()),
            shipment_cost=draw(st.integers(0, 2000)),
            capacity_left=draw(st.integers(0, 3)),
            cutoff=draw(st.sampled_from([None, time(10), time(16)])),
        )
        for i in range(n_sites)
    ]
    stock = {
        (v, s.id): draw(st.integers(0, 3)) for v in variants for s in sites if draw(st.booleans())
    }
    lines = [Line(i + 1, v, draw(st.integers(1, 3))) for i, v in enumerate(variants)]
    return Request(
        lines=lines,
        method=Method.HOME,
        sites=sites,
        stock=stock,
        now=MONDAY_NOON,
        policy=Policy(max_shipments=draw(st.integers(1, 3))),
    )


@settings(max_examples=300, deadline=None)
@given(_instances())
def test_on_small_instances_the_plan_is_within_one_percent_of_the_exact_optimum(
    request: Request,
) -> None:
    found, best = plan(request), exact.best_plan(request)
    assert found.key[:2] == best.key[:2]
    assert found.cost <= best.cost * 1.01
    served = {}
    for a in found.allocations:
        served[a.line_no] = served.get(a.line_no, 0) + a.quantity
        assert a.quantity <= request.stock.get((a.variant_id, a.site_id), 0)
    for line in request.lines:
        assert served.get(line.line_no, 0) + found.unserved.get(line.line_no, 0) == line.quantity
