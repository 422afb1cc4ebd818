"""Quotes through the service layer: a 10-line cart, 50 active promotions, 3 segment
price lists.

For each backend, on a fresh database:

  seed    --variants variants (5 sizes per product, 10 categories under 2 parents, 5
          brands) through the catalog import; a base PLN list pricing all of them and
          three segment lists (vip, employees, b2b) pricing half each; 50 active
          promotions of every kind (item percentages and amounts, buy X get Y,
          bundles, order percentages and amounts above thresholds, free delivery),
          a few exclusive, a few limited in uses, a few for one segment; all through
          the pricing services; then ANALYZE on PostgreSQL (planner statistics).
  quote   --quotes quotes of a random 10-line cart (1-3 units a line) for a random
          customer (no segment, vip, vip+employees, b2b), each in its own read-only
          unit of work calling `pricing.service.quote`, one thread. p50 and p99 of one
          quote, and quotes per second (= quotes / total time).
  statements  what one quote sends to the database once the worker's promotion cache
          is warm (before_cursor_execute), BEGIN/COMMIT where the driver sends them.

SQLite: a temporary file migrated with Alembic. PostgreSQL: OMNI_BENCH_POSTGRES_URL or
OMNI_TEST_POSTGRES_URL (its public schema is WIPED), else a throwaway database on
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; skipped with a note when
unreachable.

Prints human lines per backend, then, last, one JSON line:
{"results": [{"backend", "quote_p50_ms", "quote_p99_ms", "quotes_per_s",
  "statements_per_quote", "promotions", "segment_lists", "lines"}, ...]}

    .venv/bin/python bench/pricing.py [--backend sqlite|postgresql|both] [--quotes 3000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from _pg import postgres_url
from omnichannel.catalog import taxonomy
from omnichannel.catalog.importing import import_products
from omnichannel.catalog.schemas import ProductImport
from omnichannel.catalog.service import variant_ids_by_sku
from omnichannel.db import Database, make_engine, unit_of_work
from omnichannel.db.migrate import upgrade
from omnichannel.kernel import utcnow
from omnichannel.pricing import service as pricing
from omnichannel.pricing.schemas import PriceListCreate, PromotionCreate

SIZES = ("XS", "S", "M", "L", "XL")
PARENTS = {"Odziez": 6, "Dom": 4}  # top-level category -> number of subcategories
BRANDS = ("Wisla", "Baltyk", "Tatra", "Mazowsze", "Volt")
SEGMENTS = (("vip", 10), ("employees", 20), ("b2b", 15))
CUSTOMERS: list[list[str]] = [[], ["vip"], ["vip", "employees"], ["b2b"]]
LINES = 10
PROMOTIONS = 50


class World:
    """Priced variants, segment lists and 50 promotions."""

    def __init__(self, db: Database, variants: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        started = time.perf_counter()
        subcats = [f"{p}/Kat{p[:2]}{n}" for p, count in PARENTS.items() for n in range(count)]
        products = [
            ProductImport.model_validate(
                {
                    "code": f"P-{n:05d}",
                    "name": f"Produkt {n}",
                    "brand": BRANDS[n % len(BRANDS)],
                    "category": subcats[n % len(subcats)],
                    "variants": [{"sku": f"P-{n:05d}-{s}"} for s in SIZES],
                }
            )
            for n in range(variants // len(SIZES))
        ]
        for start in range(0, len(products), 1000):
            with unit_of_work(db, actor="bench") as s:
                import_products(s, products=products[start : start + 1000])
        skus = [v.sku for p in products for v in p.variants]
        with unit_of_work(db, read_only=True) as s:
            ids = variant_ids_by_sku(s, skus=skus)
        self.variants = sorted(ids.values())
        catalog_s = time.perf_counter() - started
        since = utcnow()
        with unit_of_work(db, actor="bench") as s:
            base = pricing.create_price_list(s, data=PriceListCreate(code="base-pln", name="Base"))
            pricing.set_prices(
                s,
                price_list_id=base.id,
                changes=[
                    pricing.PriceChange(v, rng.randint(10, 600) * 100 + 99) for v in self.variants
                ],
                now=since,
            )
            for code, priority in SEGMENTS:
                pl = pricing.create_price_list(
                    s,
                    data=PriceListCreate(
                        code=f"{code}-pln",
                        name=code,
                        kind="segment",
                        segment=code,
                        priority=priority,
                    ),
                )
                half = rng.sample(self.variants, len(self.variants) // 2)
                pricing.set_prices(
                    s,
                    price_list_id=pl.id,
                    changes=[pricing.PriceChange(v, rng.randint(8, 500) * 100 + 99) for v in half],
                    now=since,
                )
        lists_s = time.perf_counter() - started - catalog_s
        with unit_of_work(db, actor="bench") as s:
            cats = [str(c.id) for c in taxonomy.list_categories(s)]
            brands = [str(b.id) for b in taxonomy.list_brands(s)]
            for n, doc in enumerate(_promotions(rng, cats, brands, self.variants)):
                pricing.create_promotion(
                    s,
                    data=PromotionCreate.model_validate(
                        {"code": f"PROMO-{n:02d}", "name": f"Promocja {n}", **doc}
                    ),
                )
        promos_s = time.perf_counter() - started - catalog_s - lists_s
        if db.backend == "postgresql":
            # A database in service has planner statistics; a freshly seeded one has none
            # until autovacuum comes round, and then picks sequential scans.
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        print(
            f"  seeded {len(self.variants):,} variants in {catalog_s:.1f} s, 4 lists in {lists_s:.1f} s, "
            f"{PROMOTIONS} promotions in {promos_s:.1f} s",
            flush=True,
        )


def _promotions(
    rng: random.Random, cats: list[str], brands: list[str], variants: list[uuid.UUID]
) -> list[dict[str, Any]]:
    def target() -> dict[str, list[str]]:
        pick = rng.randrange(4)
        if pick == 0:
            return {"category_ids": rng.sample(cats, 2)}
        if pick == 1:
            return {"brand_ids": [rng.choice(brands)]}
        if pick == 2:
            return {"variant_ids": [str(v) for v in rng.sample(variants, 50)]}
        return {}

    kinds: list[dict[str, Any]] = []
    for n in range(PROMOTIONS):
        kind = n % 7
        doc: dict[str, Any] = {"targets": target(), "priority": rng.randrange(5)}
        if kind == 0:
            doc |= {"kind": "percent_off", "percent": rng.choice([5, 10, 15, 20])}
        elif kind == 1:
            doc |= {"kind": "amount_off", "amount": rng.choice([500, 1000]), "currency": "PLN"}
        elif kind == 2:
            doc |= {"kind": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1}
        elif kind == 3:
            doc |= {
                "kind": "bundle_price",
                "bundle_size": 2,
                "bundle_price": 9900,
                "currency": "PLN",
            }
        elif kind == 4:
            doc |= {"kind": "cart_percent_off", "percent": 5, "threshold": 30000, "currency": "PLN"}
        elif kind == 5:
            doc |= {
                "kind": "cart_amount_off",
                "amount": 2000,
                "threshold": 50000,
                "currency": "PLN",
            }
        else:
            doc |= {"kind": "free_delivery", "threshold": 19900, "currency": "PLN"}
        if n % 9 == 0:
            doc["stacking"] = "exclusive"
        if n % 10 == 3:
            doc["max_uses"] = 10_000
        if n % 12 == 5:
            doc["segments"] = ["vip"]
        kinds.append(doc)
    return kinds


def _quote(db: Database, world: World, rng: random.Random) -> Any:
    items = [pricing.Item(v, rng.randint(1, 3)) for v in rng.sample(world.variants, LINES)]
    with unit_of_work(db, read_only=True) as s:
        return pricing.quote(s, items=items, segments=rng.choice(CUSTOMERS), delivery_price=1499)


def measure(db: Database, world: World, quotes: int) -> tuple[float, float, float, Counter[str]]:
    rng = random.Random(42)
    for _ in range(50):  # warm the caches and compiled statements
        _quote(db, world, rng)
    times = []
    applied: Counter[str] = Counter()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(quotes):
        t0 = time.perf_counter()
        q = _quote(db, world, rng)
        times.append((time.perf_counter() - t0) * 1000)
        applied["promotions"] += len(q.priced.applied)
    total = time.perf_counter() - started
    applied["cpu_us"] = round((time.process_time() - cpu) / quotes * 1e6)
    q = statistics.quantiles(times, n=100)
    return q[49], q[98], quotes / total, applied


def statements(db: Database, world: World) -> Counter[str]:
    engine: Engine = db.engine
    box: Counter[str] = Counter()
    sqlite = engine.dialect.name == "sqlite"

    def on_statement(*_: Any) -> None:
        box["sql"] += 1  # on SQLite this includes our own BEGIN

    def on_begin(*_: Any) -> None:
        if not sqlite:
            box["begin"] += 1

    def on_rollback(*_: Any) -> None:
        box["end"] += 1  # a read-only unit ends with a rollback on release

    hooks = [
        (engine, "before_cursor_execute", on_statement),
        (engine, "begin", on_begin),
        (engine, "rollback", on_rollback),
    ]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    try:
        _quote(db, world, random.Random(5))
    finally:
        for target, name, fn in hooks:
            event.remove(target, name, fn)
    return box


def run(backend: str, db: Database, args: argparse.Namespace) -> dict[str, Any]:
    world = World(db, args.variants)
    stmts = statements(db, world)
    p50, p99, rate, applied = measure(db, world, args.quotes)
    result = {
        "backend": backend,
        "quote_p50_ms": round(p50, 3),
        "quote_p99_ms": round(p99, 3),
        "quotes_per_s": round(rate),
        "statements_per_quote": stmts["sql"],
        "promotions": PROMOTIONS,
        "segment_lists": len(SEGMENTS),
        "lines": LINES,
    }
    print(
        f"{backend:>10}: one quote of {LINES} lines: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"{rate:,.0f} quotes/s on one thread; {applied['promotions'] / args.quotes:.1f} promotions "
        f"applied per quote on average; {applied['cpu_us'] / 1000:.2f} ms of this process's "
        f"CPU per quote\n"
        f"{'':>10}  one quote sends {sum(stmts.values())} statements: "
        + ", ".join(f"{k} {v}" for k, v in sorted(stmts.items())),
        flush=True,
    )
    return result


def bench_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="omni-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            upgrade(engine)
            print("sqlite (file, WAL):", flush=True)
            return run("sqlite", Database(engine), args)
        finally:
            engine.dispose()


def bench_postgres(args: argparse.Namespace) -> dict[str, Any] | None:
    with postgres_url() as url:
        if url is None:
            return None
        engine = make_engine(url, pool_size=4)
        try:
            upgrade(engine)
            print("postgresql:", flush=True)
            return run("postgresql", Database(engine), args)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--quotes", type=int, default=3000)
    parser.add_argument("--variants", type=int, default=5000)
    args = parser.parse_args()
    print(
        f"pricing: {LINES}-line carts, {PROMOTIONS} promotions, {len(SEGMENTS)} segment lists, "
        f"{args.variants:,} variants, {args.quotes:,} quotes per backend",
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
