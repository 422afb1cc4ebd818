"""Routing: plans per second for 5-line orders over 50 locations, and how far the
plans are from the exact optimum on small instances (at most 4 lines and 6
locations, every set of locations tried).

Pure Python, no database. Two kinds of 50-location instance: "typical" (two
warehouses holding most of the catalogue, 48 stores holding some of it) and
"scattered" (nobody holds much: most orders split), so the split search is measured
too. The gap of a plan that leaves more units unserved or uses more shipments than
the optimum counts as 100 %.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time as clock
import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

from omnichannel.fulfillment import exact
from omnichannel.fulfillment.routing import Line, Method, Policy, Request, Site, plan

NOW = datetime(2026, 12, 7, 13, 30, tzinfo=ZoneInfo("Europe/Warsaw"))


def _site(rng: random.Random, i: int, kind: str) -> Site:
    return Site(
        id=uuid.UUID(int=10_000 + i),
        name=f"{kind}-{i}",
        kind=kind,
        distance_km=rng.uniform(1, 600),
        ship_from_store=kind == "store" and rng.random() < 0.6,
        shipment_cost=rng.randint(800, 1500) if kind == "warehouse" else rng.randint(1200, 2500),
        capacity_left=rng.choice([0, 5, 50, 500]),
        cutoff=rng.choice([time(12), time(15), time(17)]),
    )


def large(rng: random.Random, *, scattered: bool) -> Request:
    """A 5-line home delivery over 2 warehouses and 48 stores."""
    sites = [_site(rng, i, "warehouse" if i < 2 else "store") for i in range(50)]
    variants = [uuid.UUID(int=i + 1) for i in rng.sample(range(5000), 5)]
    stock: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for s in sites:
        held = (
            (0.15 if scattered else 0.85) if s.kind == "warehouse" else (0.08 if scattered else 0.3)
        )
        for v in variants:
            if rng.random() < held:
                stock[(v, s.id)] = rng.randint(1, 6)
    lines = [Line(i + 1, v, rng.randint(1, 3)) for i, v in enumerate(variants)]
    return Request(lines, Method.HOME, sites, stock, NOW, policy=Policy(max_shipments=3))


def small(rng: random.Random) -> Request:
    """At most 4 lines over at most 6 locations."""
    sites = [_site(rng, i, rng.choice(["warehouse", "store"])) for i in range(rng.randint(1, 6))]
    variants = [uuid.UUID(int=i + 1) for i in range(rng.randint(1, 4))]
    stock = {(v, s.id): rng.randint(0, 3) for v in variants for s in sites if rng.random() < 0.6}
    lines = [Line(i + 1, v, rng.randint(1, 3)) for i, v in enumerate(variants)]
    policy = Policy(max_shipments=rng.randint(1, 3))
    return Request(lines, Method.HOME, sites, stock, NOW, policy=policy)


def _rate(requests: list[Request], runs: int) -> tuple[float, float]:
    """Median plans per second over `runs` passes, and the share of split plans."""
    rates, split = [], 0
    for _ in range(runs):
        start = clock.perf_counter()
        plans = [plan(r) for r in requests]
        rates.append(len(requests) / (clock.perf_counter() - start))
        split = sum(len(p.shipments) > 1 for p in plans)
    return statistics.median(rates), split / len(requests)


def _gap(request: Request) -> float:
    found, best = plan(request), exact.best_plan(request)
    if found.key[:2] != best.key[:2]:
        return 100.0
    if best.cost == 0:
        return 0.0 if found.cost == 0 else 100.0
    return (found.cost - best.cost) / best.cost * 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--plans", type=int, default=3000)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(2026)
    typical = [large(rng, scattered=False) for _ in range(args.plans)]
    scattered = [large(rng, scattered=True) for _ in range(args.plans)]
    rate, split = _rate(typical, args.runs)
    rate_scattered, split_scattered = _rate(scattered, args.runs)
    gaps = [_gap(small(rng)) for _ in range(args.small)]
    print(
        f"typical: {rate:,.0f} plans/s ({split:.0%} split); "
        f"scattered: {rate_scattered:,.0f} plans/s ({split_scattered:.0%} split); "
        f"small instances: mean gap {statistics.fmean(gaps):.3f} %, max {max(gaps):.2f} %",
        flush=True,
    )
    result = {
        "plans_per_s": round(rate),
        "split_share": round(split, 3),
        "plans_per_s_scattered": round(rate_scattered),
        "split_share_scattered": round(split_scattered, 3),
        "mean_cost_gap_pct": round(statistics.fmean(gaps), 4),
        "max_cost_gap_pct": round(max(gaps), 3),
        "small_instances": len(gaps),
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
