"""Bulk catalog import: variants per second through the `omni import products` path.

Generates N variants (products of 5 sizes) with valid EAN-13s as a CSV, then reads,
checks and writes it exactly as the CLI does (read_import_file + run_import, batches
of 1000 products, one transaction each) into:

  a) a fresh SQLite file, migrated with Alembic;
  b) PostgreSQL: OMNI_BENCH_POSTGRES_URL or OMNI_TEST_POSTGRES_URL (its public schema
     is WIPED, as the test suite does), else a throwaway database omni_bench_<random>
     on postgresql+psycopg://postgres@127.0.0.1:5432/postgres, dropped at the end.
     Skipped with a note when unreachable.

Prints one human line per backend, then, last, one JSON line:
{"results": [{"backend", "variants", "seconds", "variants_per_s"}, ...]}

    .venv/bin/python bench/catalog_import.py [--variants 100000] [--batch-size 1000]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select
from stdnum import ean

from _pg import postgres_url
from omnichannel.catalog.files import read_import_file
from omnichannel.catalog.models import Variant
from omnichannel.cli.catalog import run_import
from omnichannel.db import Database, make_engine, unit_of_work
from omnichannel.db.migrate import upgrade

SIZES = ("XS", "S", "M", "L", "XL")
COLOURS = ("czarny", "biały", "żółty", "zielony", "granatowy", "czerwony")
CATEGORIES = [
    f"{top}/{leaf}"
    for top in ("Odzież", "Obuwie", "Dom")
    for leaf in ("Nowości", "Klasyka", "Wyprzedaż", "Premium")
]


def write_csv(path: Path, variants: int) -> None:
    """`variants` rows: products of len(SIZES) sizes each, valid and unique EAN-13s."""
    header = [
        "product_code",
        "product_name",
        "brand",
        "category",
        "product_status",
        "sku",
        "gtin",
        "size",
        "colour",
        "weight_g",
        "vat_class",
        "image_url",
        "attr_material",
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for n in range(variants):
            p, size = divmod(n, len(SIZES))
            code = f"ST-{p:06d}"
            base = f"590{n:09d}"
            first = size == 0
            w.writerow(
                [
                    code,
                    f"Koszulka {COLOURS[p % len(COLOURS)]} {p}" if first else "",
                    f"Marka {p % 40}" if first else "",
                    CATEGORIES[p % len(CATEGORIES)] if first else "",
                    "active" if first else "",
                    f"{code}-{SIZES[size]}",
                    base + ean.calc_check_digit(base),
                    SIZES[size],
                    COLOURS[p % len(COLOURS)],
                    150 + 10 * size,
                    "standard",
                    f"https://cdn.example.com/{code}/{SIZES[size]}.jpg",
                    "bawełna" if first else "",
                ]
            )


@contextmanager
def counted(engine: Engine) -> Iterator[list[int]]:
    """Counts statements sent to the database (an executemany counts once)."""
    box = [0]

    def count(*_: Any) -> None:
        box[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield box
    finally:
        event.remove(engine, "before_cursor_execute", count)


def run(backend: str, db: Database, path: Path, batch_size: int) -> dict[str, Any]:
    started = time.perf_counter()
    parsed = read_import_file(path)
    if parsed.errors:
        raise SystemExit(f"generated file has errors: {parsed.errors[:3]}")
    parsed_at = time.perf_counter()
    with counted(db.engine) as statements:
        outcome = run_import(db, parsed.products, batch_size=batch_size)
    total = time.perf_counter() - started
    if outcome.problems:
        raise SystemExit(f"{backend}: import failed: {outcome.problems[:3]}")
    with unit_of_work(db, read_only=True) as s:
        stored = s.scalar(select(func.count()).select_from(Variant))
    assert stored == parsed.variants, (stored, parsed.variants)
    rate = parsed.variants / total
    print(
        f"{backend:>10}: {parsed.variants:,} variants in {total:.2f} s = {rate:,.0f} variants/s "
        f"(read+check {parsed_at - started:.2f} s, write {outcome.seconds:.2f} s in {outcome.batches} "
        f"batches, {statements[0] / max(outcome.batches, 1):.1f} statements per batch)",
        flush=True,
    )
    return {
        "backend": backend,
        "variants": parsed.variants,
        "seconds": round(total, 3),
        "variants_per_s": round(rate),
    }


def bench_sqlite(tmp: Path, path: Path, batch_size: int) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    try:
        upgrade(engine)
        return run("sqlite", Database(engine), path, batch_size)
    finally:
        engine.dispose()


def bench_postgres(path: Path, batch_size: int) -> dict[str, Any] | None:
    with postgres_url() as url:
        if url is None:
            return None
        engine = make_engine(url)
        try:
            upgrade(engine)
            return run("postgresql", Database(engine), path, batch_size)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--variants", type=int, default=100_000, help="How many variants (default 100,000)."
    )
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="Products per transaction (as the CLI)."
    )
    parser.add_argument("--no-postgres", action="store_true", help="Only SQLite.")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="omni-bench-") as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "products.csv"
        write_csv(path, args.variants)
        print(
            f"catalog import: {args.variants:,} variants in {path.stat().st_size / 1e6:.1f} MB of CSV",
            flush=True,
        )
        results.append(bench_sqlite(tmp, path, args.batch_size))
        if not args.no_postgres:
            pg = bench_postgres(path, args.batch_size)
            if pg is not None:
                results.append(pg)
    sys.stdout.write(json.dumps({"results": results}) + "\n")


if __name__ == "__main__":
    main()
