"""Stock reservations under contention, and availability reads.

For each backend, on a fresh database:

  seed   10,000 variants through the catalog import (batches of 1000 products), 10
         locations through the locations service, a channel selling from all of them,
         and 100,000 stock levels (plus one ledger receipt each) by bulk Core INSERT.
  hot    32 threads reserving 1 unit of ONE variant through `service.reserve`, one
         `unit_of_work` per reservation, for --seconds; then its raw twin: the same
         threads running only the conditional UPDATE (`statements.RESERVE`) + COMMIT in
         a loop on the same engine. ratio = service / raw.
  oversold  after the hot run: units reserved beyond on_hand (summed over every level),
         whether the hot level's `reserved` equals its active holds, and a sell-out (32
         threads against a level of 2,000 units until every one is refused).
  spread the same two runs over 10,000 variants x 10 locations, one level at random each.
  atp    p99 of --atp-calls `service.availability` reads of 100 random variants for the
         channel (a read-only unit of work each, one thread).
  statements  what one one-line `service.reserve` in its unit of work sends to the
         database, BEGIN and COMMIT included (see `counted`).

SQLite: a temporary file migrated with Alembic. PostgreSQL: OMNI_BENCH_POSTGRES_URL or
OMNI_TEST_POSTGRES_URL (its public schema is WIPED, as the test suite does), else a
throwaway database on postgresql+psycopg://postgres@127.0.0.1:5432/postgres, dropped at
the end; skipped with a note when unreachable.

Prints human lines per backend, then, last, one JSON line:
{"results": [{"backend", "hot_reservations_per_s", "hot_raw_per_s", "hot_ratio",
  "spread_reservations_per_s", "spread_raw_per_s", "spread_ratio",
  "atp_batch100_p99_ms", "oversold", "statements_per_reservation"}, ...]}

    .venv/bin/python bench/inventory.py [--backend sqlite|postgresql|both] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from _common import counted
from _pg import postgres_url
from omnichannel.catalog.importing import import_products
from omnichannel.catalog.schemas import ProductImport
from omnichannel.catalog.service import variant_ids_by_sku
from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.db import Database, make_engine, unit_of_work
from omnichannel.db.migrate import upgrade
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.models import Reservation, StockLevel, StockMovement
from omnichannel.inventory.rules import OwnerType
from omnichannel.inventory.statements import RESERVE
from omnichannel.kernel import utcnow
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location

THREADS = 32
SIZES = ("XS", "S", "M", "L", "XL")
TTL = timedelta(minutes=15)
SPREAD_STOCK = 1_000
HOT_STOCK = 100_000_000
SELLOUT_STOCK = 2_000

Level = tuple[uuid.UUID, uuid.UUID]
Body = Callable[[int, float], Counter[str]]


# --- the world ----------------------------------------------------------------------


def _location(code: str, type_: str, n: int) -> LocationCreate:
    return LocationCreate.model_validate(
        {
            "code": code,
            "name": f"Lokalizacja {code}",
            "type": type_,
            "address": {
                "street": f"ul. Długa {n}",
                "city": "Gdańsk",
                "postcode": "80-827",
                "country": "PL",
            },
            "coordinates": {"latitude": 54.0 + n / 10, "longitude": 18.0 + n / 10},
            "capabilities": ["ships"] if type_ == "warehouse" else ["pickup"],
        }
    )


class World:
    """10,000 stocked variants at 10 locations, a hot and a sell-out level, a channel."""

    def __init__(self, db: Database, variants: int, locations: int) -> None:
        started = time.perf_counter()
        products = [
            ProductImport.model_validate(
                {
                    "code": f"B-{p:05d}",
                    "name": f"Koszulka {p}",
                    "variants": [{"sku": f"B-{p:05d}-{s}"} for s in SIZES],
                }
            )
            for p in range(variants // len(SIZES))
        ] + [
            ProductImport.model_validate(
                {
                    "code": "HOT",
                    "name": "Hit sezonu",
                    "variants": [{"sku": "HOT"}, {"sku": "SELLOUT"}],
                }
            )
        ]
        for start in range(0, len(products), 1000):
            with unit_of_work(db, actor="bench") as s:
                import_products(s, products=products[start : start + 1000])
        skus = [v.sku for p in products for v in p.variants]
        ids: dict[str, uuid.UUID] = {}
        with unit_of_work(db, read_only=True) as s:
            for start in range(0, len(skus), 5000):
                ids.update(variant_ids_by_sku(s, skus=skus[start : start + 5000]))
        self.hot, self.sellout = ids.pop("HOT"), ids.pop("SELLOUT")
        self.variants = sorted(ids.values())
        with unit_of_work(db, actor="bench") as s:
            self.locations = [
                create_location(
                    s,
                    data=_location(
                        f"WH-{n:02d}" if n == 0 else f"ST-{n:02d}",
                        "warehouse" if n == 0 else "store",
                        n,
                    ),
                ).id
                for n in range(locations)
            ]
            channel = create_channel(
                s,
                data=ChannelCreate(code="web", name="Web", type="web", sell_from=self.locations),
            )
            self.channel = inventory.channel_for(s, channel_id=channel.id)
        self.warehouse = self.locations[0]
        catalog_s = time.perf_counter() - started
        levels = [(v, loc, SPREAD_STOCK) for v in self.variants for loc in self.locations]
        levels += [
            (self.hot, self.warehouse, HOT_STOCK),
            (self.sellout, self.warehouse, SELLOUT_STOCK),
        ]
        _bulk_stock(db, levels)
        print(
            f"  seeded {len(self.variants):,} variants in {catalog_s:.1f} s, "
            f"{len(levels):,} levels in {time.perf_counter() - started - catalog_s:.1f} s",
            flush=True,
        )

    def spread_level(self, rng: random.Random) -> Level:
        return rng.choice(self.variants), rng.choice(self.locations)


def _bulk_stock(db: Database, levels: list[tuple[uuid.UUID, uuid.UUID, int]]) -> None:
    """Levels and their opening receipts, in multi-row Core INSERTs (no service)."""
    now = utcnow()
    for start in range(0, len(levels), 10_000):
        chunk = levels[start : start + 10_000]
        with unit_of_work(db, actor="bench") as s:
            s.execute(
                insert(StockLevel),
                [
                    {
                        "variant_id": v,
                        "location_id": loc,
                        "on_hand": q,
                        "reserved": 0,
                        "allowance": 0,
                        "version": 1,
                        "updated_at": now,
                    }
                    for v, loc, q in chunk
                ],
            )
            s.execute(
                insert(StockMovement),
                [
                    {
                        "variant_id": v,
                        "location_id": loc,
                        "kind": "receipt",
                        "quantity": q,
                        "reason": None,
                        "actor": "bench",
                        "reference_type": "receipt",
                        "reference_id": "bench-seed",
                        "occurred_at": now,
                    }
                    for v, loc, q in chunk
                ],
            )


# --- the runs -----------------------------------------------------------------------


def hammer(threads: int, seconds: float, body: Body) -> tuple[Counter[str], float]:
    """Run `body(thread, deadline)` on `threads` threads started together."""
    gate = threading.Barrier(threads + 1)
    results: list[Counter[str]] = [Counter() for _ in range(threads)]
    box: dict[str, float] = {}

    def run(i: int) -> None:
        gate.wait()
        results[i] = body(i, box["deadline"])

    pool = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    started = time.perf_counter()
    box["deadline"] = started + seconds
    gate.wait()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    total: Counter[str] = Counter()
    for c in results:
        total.update(c)
    return total, elapsed


def through_service(db: Database, pick: Callable[[random.Random], Level], tag: str) -> Body:
    """Each reservation: `service.reserve` of one line in its own unit of work."""

    def body(i: int, deadline: float) -> Counter[str]:
        rng, seen, n = random.Random(i), Counter[str](), 0
        while time.perf_counter() < deadline:
            n += 1
            v, loc = pick(rng)
            try:
                with unit_of_work(db) as s:
                    inventory.reserve(
                        s,
                        lines=[inventory.Line(v, loc, 1)],
                        owner=inventory.Owner(OwnerType.CART, f"{tag}-{i}-{n}"),
                        ttl=TTL,
                    )
                seen["ok"] += 1
            except InsufficientStock:
                seen["refused"] += 1
            except Exception as e:  # reported, not hidden: e.g. SQLite's "database is locked"
                seen[type(e).__name__] += 1
        return seen

    return body


def raw(db: Database, pick: Callable[[random.Random], Level]) -> Body:
    """Each reservation: only the conditional UPDATE and COMMIT, one connection per thread,
    queued for SQLite's single writer exactly as units of work are (`Database.writing`)."""
    engine = db.engine

    def body(i: int, deadline: float) -> Counter[str]:
        rng, seen = random.Random(i), Counter[str]()
        with engine.connect() as conn:
            while time.perf_counter() < deadline:
                v, loc = pick(rng)
                try:
                    with db.writing():  # the queue every writer of this process joins
                        row = conn.execute(
                            RESERVE, {"v": v, "l": loc, "q": 1, "now": utcnow()}
                        ).first()
                        conn.commit()
                    seen["ok" if row else "refused"] += 1
                except Exception as e:
                    conn.rollback()
                    seen[type(e).__name__] += 1
        return seen

    return body


def sellout(db: Database, world: World) -> Counter[str]:
    """32 threads against SELLOUT_STOCK units until each has been refused three times."""

    def body(i: int, deadline: float) -> Counter[str]:
        seen, n = Counter[str](), 0
        while seen["refused"] < 3 and time.perf_counter() < deadline:
            n += 1
            try:
                with unit_of_work(db) as s:
                    inventory.reserve(
                        s,
                        lines=[inventory.Line(world.sellout, world.warehouse, 1)],
                        owner=inventory.Owner(OwnerType.CART, f"sellout-{i}-{n}"),
                        ttl=TTL,
                    )
                seen["ok"] += 1
            except InsufficientStock:
                seen["refused"] += 1
            except Exception as e:
                seen[type(e).__name__] += 1
        return seen

    seen, _ = hammer(THREADS, 30, body)
    return seen


def holds_add_up(db: Database, world: World) -> tuple[int, dict[str, tuple[int, int, int]]]:
    """Units held beyond stock over every level; (reserved, active holds, on_hand) of the
    hammered levels."""
    with unit_of_work(db, read_only=True) as s:
        beyond = s.scalar(
            select(func.coalesce(func.sum(StockLevel.reserved - StockLevel.on_hand), 0)).where(
                StockLevel.reserved > StockLevel.on_hand
            )
        )
        levels = {}
        for name, v in (("hot", world.hot), ("sellout", world.sellout)):
            level = s.get(StockLevel, (v, world.warehouse))
            assert level is not None
            holds = s.scalar(
                select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                    Reservation.variant_id == v, Reservation.status == "active"
                )
            )
            levels[name] = (level.reserved, int(holds or 0), level.on_hand)
    return int(beyond or 0), levels


def atp_p99_ms(db: Database, world: World, calls: int) -> tuple[float, float]:
    """p50 and p99 of one availability read of 100 random variants (read-only unit)."""
    rng = random.Random(99)
    times = []
    for _ in range(calls):
        ids = rng.sample(world.variants, 100)
        t0 = time.perf_counter()
        with unit_of_work(db, read_only=True) as s:
            out = inventory.availability(s, channel=world.channel, variant_ids=ids)
        times.append((time.perf_counter() - t0) * 1000)
        assert len(out) == 100
    q = statistics.quantiles(times, n=100)
    return q[49], q[98]


def statements_per_reservation(db: Database, world: World) -> Counter[str]:
    def once(owner: str) -> None:
        with unit_of_work(db) as s:
            inventory.reserve(
                s,
                lines=[inventory.Line(world.variants[0], world.warehouse, 1)],
                owner=inventory.Owner(OwnerType.CART, owner),
                ttl=TTL,
            )

    once("warm-up")  # compile and cache the statements first
    with counted(db.engine) as box:
        once("counted")
    return box


def _rate(seen: Counter[str], elapsed: float) -> float:
    return seen["ok"] / elapsed


def _others(seen: Counter[str]) -> str:
    other = {k: v for k, v in seen.items() if k != "ok"}
    return f" ({', '.join(f'{k} {v}' for k, v in sorted(other.items()))})" if other else ""


def run(backend: str, db: Database, args: argparse.Namespace) -> dict[str, Any]:
    world = World(db, args.variants, args.locations)
    stmts = statements_per_reservation(db, world)
    total_stmts = sum(stmts.values())
    print(
        f"  one reservation sends {total_stmts} statements: "
        + ", ".join(f"{k} {v}" for k, v in sorted(stmts.items())),
        flush=True,
    )

    def hot(_: random.Random) -> Level:
        return world.hot, world.warehouse

    hot_seen, hot_s = hammer(THREADS, args.seconds, through_service(db, hot, "hot"))
    _, after_hot = holds_add_up(db, world)  # before the raw twin, which takes units without holds
    hot_raw, hot_raw_s = hammer(THREADS, args.seconds, raw(db, hot))
    sold = sellout(db, world)
    beyond, after_sellout = holds_add_up(db, world)
    hot_reserved, hot_holds, _ = after_hot["hot"]
    sell_reserved, sell_holds, sell_stock = after_sellout["sellout"]
    over = {
        "units": beyond,
        "active_equals_reserved": hot_reserved == hot_holds and sell_reserved == sell_holds,
        "sellout_reserved": sell_reserved,
        "sellout_stock": sell_stock,
    }
    spread_seen, spread_s = hammer(
        THREADS, args.seconds, through_service(db, world.spread_level, "spread")
    )
    spread_raw, spread_raw_s = hammer(THREADS, args.seconds, raw(db, world.spread_level))
    if backend == "postgresql":
        # The runs above wrote ~100,000 holds into a table the planner still believes
        # empty; refresh its statistics as autovacuum would within its next round.
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    p50, p99 = atp_p99_ms(db, world, args.atp_calls)

    result = {
        "backend": backend,
        "hot_reservations_per_s": round(_rate(hot_seen, hot_s)),
        "hot_raw_per_s": round(_rate(hot_raw, hot_raw_s)),
        "hot_ratio": round(_rate(hot_seen, hot_s) / max(_rate(hot_raw, hot_raw_s), 1e-9), 2),
        "spread_reservations_per_s": round(_rate(spread_seen, spread_s)),
        "spread_raw_per_s": round(_rate(spread_raw, spread_raw_s)),
        "spread_ratio": round(
            _rate(spread_seen, spread_s) / max(_rate(spread_raw, spread_raw_s), 1e-9), 2
        ),
        "atp_batch100_p99_ms": round(p99, 2),
        "oversold": over,
        "statements_per_reservation": total_stmts,
    }
    print(
        f"{backend:>10}: hot {result['hot_reservations_per_s']:,}/s through the service{_others(hot_seen)} "
        f"vs {result['hot_raw_per_s']:,}/s raw{_others(hot_raw)} = {result['hot_ratio']}\n"
        f"{'':>10}  spread {result['spread_reservations_per_s']:,}/s{_others(spread_seen)} "
        f"vs {result['spread_raw_per_s']:,}/s raw{_others(spread_raw)} = {result['spread_ratio']}\n"
        f"{'':>10}  availability of 100 variants x {args.locations} locations: "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms over {args.atp_calls} reads\n"
        f"{'':>10}  sell-out of {SELLOUT_STOCK:,}: {sold['ok']:,} taken, {sold['refused']} refused"
        f"{_others(Counter({k: v for k, v in sold.items() if k != 'refused'}))}; "
        f"oversold {over['units']} units, holds add up: {over['active_equals_reserved']}",
        flush=True,
    )
    return result


# --- the databases ------------------------------------------------------------------


def bench_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="omni-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            upgrade(engine)
            print(
                "sqlite (file, WAL, BEGIN IMMEDIATE; writers queue on the file lock):", flush=True
            )
            return run("sqlite", Database(engine), args)
        finally:
            engine.dispose()


def bench_postgres(args: argparse.Namespace) -> dict[str, Any] | None:
    with postgres_url() as url:
        if url is None:
            return None
        engine = make_engine(url, pool_size=THREADS + 2)
        try:
            upgrade(engine)
            print("postgresql (row locks held through the commit):", flush=True)
            return run("postgresql", Database(engine), args)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=5.0, help="Length of each run.")
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=10)
    parser.add_argument("--atp-calls", type=int, default=300)
    args = parser.parse_args()
    print(
        f"inventory: {THREADS} threads, {args.seconds:g} s per run, "
        f"{args.variants:,} variants x {args.locations} locations",
        flush=True,
    )
    results = []
    if args.backend in ("sqlite", "both"):
        results.append(bench_sqlite(args))
    if args.backend in ("postgresql", "both"):
        pg = bench_postgres(args)
        if pg is not None:
            results.append(pg)
    sys.stdout.write(json.dumps({"results": results}) + "\n")


if __name__ == "__main__":
    main()
