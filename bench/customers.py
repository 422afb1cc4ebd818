"""Customer lookups, the Customer 360 and timeline appends at scale.

For each backend, on a fresh database:

  seed    --customers profiles (names sealed, an e-mail each, a phone for half, an
          address for a third) and --entries timeline entries spread over them and
          over two years (orders with amounts, product views, visits, a sealed call
          note now and then), by bulk Core INSERTs through the same sealed column
          types the services use.
  lookup  p50/p99 of `identities.find_customer_id` by a random customer's e-mail (in
          any case), one read-only unit of work each: normalise, HMAC, one SELECT.
  360     p50/p99 of `view.customer_360` for a random customer with personal data
          revealed, so audited, in a writing unit of work, plus building the
          response model: what GET /customers/{id}/360 costs without HTTP.
  append  `timeline.append` of a product view to a random customer, one committed
          unit of work each, for --seconds on one thread (and on --threads threads).
  statements  what one lookup, one 360 and one append send (BEGIN, COMMIT included).

SQLite: a temporary file. PostgreSQL: OMNI_BENCH_POSTGRES_URL or
OMNI_TEST_POSTGRES_URL (its public schema is WIPED), else a throwaway database on
127.0.0.1, dropped at the end; skipped with a note when unreachable.

Prints human lines per backend, then, last, one JSON line:
{"results": [{"backend", "customers", "timeline_entries", "lookup_by_email_p99_ms",
  "customer360_p99_ms", "timeline_append_per_s", ...}, ...]}

    .venv/bin/python bench/customers.py [--backend sqlite|postgresql|both]
        [--customers 100000] [--entries 2000000] [--seconds 5]
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, event, insert

from _pg import postgres_url
from omnichannel.customers import identities, timeline, view
from omnichannel.customers.crypto import keyring
from omnichannel.customers.models import Customer, CustomerAddress, CustomerIdentity, TimelineEntry
from omnichannel.customers.profiles import city_index
from omnichannel.customers.rules import IdentityType, TimelineType
from omnichannel.customers.schemas_privacy import Customer360
from omnichannel.db import Database, make_engine, unit_of_work
from omnichannel.db.migrate import upgrade
from omnichannel.kernel import new_id, utcnow

BATCH = 10_000
CITIES = ["Warszawa", "Kraków", "Gdańsk", "Łódź", "Poznań", "Wrocław"]
KINDS = [
    (TimelineType.PRODUCT_VIEWED, 10),
    (TimelineType.ORDER_PLACED, 4),
    (TimelineType.EMAIL_SENT, 3),
    (TimelineType.STORE_VISIT, 2),
    (TimelineType.CALL, 1),
]


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _email(n: int) -> str:
    return f"klient.{n}@example.com"


def seed(db: Database, customers: int, entries: int, rng: random.Random) -> list[uuid.UUID]:
    """Profiles, identities, addresses and the timeline, in bulk."""
    ring = keyring()
    now = utcnow()
    ids: list[uuid.UUID] = []
    started = time.perf_counter()
    for start in range(0, customers, BATCH):
        people, idents, addresses = [], [], []
        for n in range(start, min(start + BATCH, customers)):
            cid = new_id()
            ids.append(cid)
            people.append(
                {
                    "id": cid,
                    "status": "active",
                    "given_name": f"Imię{n}",
                    "family_name": f"Nazwisko{n}",
                    "language": "pl",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            email = _email(n)
            idents.append(
                {
                    "id": new_id(),
                    "customer_id": cid,
                    "type": "email",
                    "digest": ring.blind_index(IdentityType.EMAIL, email),
                    "value": email,
                    "is_primary": True,
                    "verified": False,
                    "created_at": now,
                }
            )
            if n % 2 == 0:
                phone = f"+48600{n:06d}"
                idents.append(
                    {
                        "id": new_id(),
                        "customer_id": cid,
                        "type": "phone",
                        "digest": ring.blind_index(IdentityType.PHONE, phone),
                        "value": phone,
                        "is_primary": True,
                        "verified": False,
                        "created_at": now,
                    }
                )
            if n % 3 == 0:
                city = CITIES[n % len(CITIES)]
                addresses.append(
                    {
                        "id": new_id(),
                        "customer_id": cid,
                        "is_default": True,
                        "created_at": now,
                        "details": {
                            "street": f"ul. Długa {n % 200}",
                            "postcode": "00-950",
                            "city": city,
                        },
                        "city_index": city_index(city),
                    }
                )
        with unit_of_work(db, actor="bench") as s:
            s.execute(insert(_table(Customer)), people)
            s.execute(insert(_table(CustomerIdentity)), idents)
            if addresses:
                s.execute(insert(_table(CustomerAddress)), addresses)
    print(f"  seeded {customers:,} customers in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    kinds = [k for k, w in KINDS for _ in range(w)]
    rows: list[dict[str, Any]] = []
    for cid, count in zip(ids, _spread(entries, len(ids), rng), strict=True):
        # Customer by customer, as a timeline grows: index pages fill in order.
        for _ in range(count):
            kind = rng.choice(kinds)
            at = now - timedelta(seconds=rng.randint(0, 730 * 86400))
            order = kind is TimelineType.ORDER_PLACED
            rows.append(
                {
                    "id": new_id(),
                    "customer_id": cid,
                    "type": kind.value,
                    "channel": rng.choice(["web", "app", "pos-waw", "call-center"]),
                    "occurred_at": at,
                    "recorded_at": at,
                    "amount_minor": rng.randint(1_000, 200_000) if order else None,
                    "currency": "PLN" if order else None,
                    "reference": None,
                    "staff_id": None,
                    "summary": "Pytanie o dostawę" if kind is TimelineType.CALL else None,
                    "data": None,
                }
            )
        if len(rows) >= BATCH:
            with unit_of_work(db, actor="bench") as s:
                s.execute(insert(_table(TimelineEntry)), rows)
            rows = []
    if rows:
        with unit_of_work(db, actor="bench") as s:
            s.execute(insert(_table(TimelineEntry)), rows)
    seconds = time.perf_counter() - started
    print(f"  seeded {entries:,} timeline entries in {seconds:.0f} s", flush=True)
    if db.backend == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return ids


def _spread(total: int, buckets: int, rng: random.Random) -> list[int]:
    """`total` entries over `buckets` customers, unevenly (1 to twice the mean)."""
    mean = total / buckets
    counts = [rng.randint(1, max(1, round(2 * mean - 1))) for _ in range(buckets)]
    scale = total / sum(counts)
    counts = [max(0, round(c * scale)) for c in counts]
    missing, i = total - sum(counts), 0
    while missing:  # rounding: give or take one entry at a time until it adds up
        step = 1 if missing > 0 else -1
        if counts[i % buckets] + step >= 0:
            counts[i % buckets] += step
            missing -= step
        i += 1
    return counts


def _percentiles(samples: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=100)
    return q[49], q[98]


def lookup_ms(db: Database, customers: int, calls: int, rng: random.Random) -> tuple[float, float]:
    samples = []
    for _ in range(calls):
        n = rng.randrange(customers)
        value = _email(n).upper() if n % 2 else _email(n)
        t = time.perf_counter()
        with unit_of_work(db, read_only=True) as s:
            found = identities.find_customer_id(s, type=IdentityType.EMAIL, value=value)
        samples.append((time.perf_counter() - t) * 1000)
        assert found is not None
    return _percentiles(samples)


def c360_ms(
    db: Database, ids: list[uuid.UUID], calls: int, rng: random.Random
) -> tuple[float, float]:
    samples = []
    for _ in range(calls):
        cid = rng.choice(ids)
        t = time.perf_counter()
        with unit_of_work(db, actor="bench:agent") as s:
            Customer360.of(view.customer_360(s, customer_id=cid, reveal=True), reveal=True)
        samples.append((time.perf_counter() - t) * 1000)
    return _percentiles(samples)


def appends_per_s(
    db: Database, ids: list[uuid.UUID], seconds: float, threads: int
) -> tuple[float, int]:
    done = Counter[str]()
    stop = time.perf_counter() + seconds
    errors: list[BaseException] = []

    def body(i: int) -> None:
        rng = random.Random(i)
        n = 0
        try:
            while time.perf_counter() < stop:
                with unit_of_work(db, actor="channel:web") as s:
                    timeline.append(
                        s,
                        customer_id=rng.choice(ids),
                        type=TimelineType.PRODUCT_VIEWED,
                        channel="web",
                        reference=f"SKU-{rng.randrange(10_000)}",
                    )
                n += 1
        except BaseException as e:  # report, do not hide
            errors.append(e)
        done[str(i)] = n

    started = time.perf_counter()
    pool = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return sum(done.values()) / (time.perf_counter() - started), len(errors)


@contextmanager
def counted(engine: Engine) -> Iterator[Counter[str]]:
    """Statements sent, BEGIN and COMMIT included (SQLite: its own trace)."""
    box: Counter[str] = Counter()
    if engine.dialect.name == "sqlite":

        def trace(statement: str) -> None:
            box[statement.split(None, 1)[0].lower()] += 1

        def checkout(dbapi_conn: Any, *_: Any) -> None:
            dbapi_conn.set_trace_callback(trace)

        def checkin(dbapi_conn: Any, *_: Any) -> None:
            dbapi_conn.set_trace_callback(None)

        hooks: list[tuple[Any, str, Callable[..., None]]] = [
            (engine.pool, "checkout", checkout),
            (engine.pool, "checkin", checkin),
        ]
    else:

        def statement(*args: Any) -> None:
            box[str(args[2]).split(None, 1)[0].lower()] += 1

        def begin(*_: Any) -> None:
            box["begin"] += 1

        def commit(*_: Any) -> None:
            box["commit"] += 1

        hooks = [
            (engine, "before_cursor_execute", statement),
            (engine, "begin", begin),
            (engine, "commit", commit),
        ]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    try:
        yield box
    finally:
        for target, name, fn in hooks:
            event.remove(target, name, fn)


def statements(db: Database, ids: list[uuid.UUID]) -> dict[str, int]:
    out = {}
    with counted(db.engine) as box, unit_of_work(db, read_only=True) as s:
        identities.find_customer_id(s, type=IdentityType.EMAIL, value=_email(1))
    out["lookup"] = sum(box.values())
    with counted(db.engine) as box, unit_of_work(db, actor="bench") as s:
        view.customer_360(s, customer_id=ids[0], reveal=True)
    out["customer360"] = sum(box.values())
    with counted(db.engine) as box, unit_of_work(db, actor="bench") as s:
        timeline.append(s, customer_id=ids[0], type=TimelineType.NOTE, summary="x")
    out["append"] = sum(box.values())
    return out


def run(backend: str, db: Database, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(2026)
    ids = seed(db, args.customers, args.entries, rng)
    stmts = statements(db, ids)
    print(f"  statements: {stmts}", flush=True)
    lookup = lookup_ms(db, args.customers, args.calls, rng)
    c360 = c360_ms(db, ids, args.calls // 2, rng)
    one, _ = appends_per_s(db, ids, args.seconds, 1)
    many, _ = appends_per_s(db, ids, args.seconds, args.threads)
    result = {
        "backend": backend,
        "customers": args.customers,
        "timeline_entries": args.entries,
        "lookup_by_email_p50_ms": round(lookup[0], 2),
        "lookup_by_email_p99_ms": round(lookup[1], 2),
        "customer360_p50_ms": round(c360[0], 2),
        "customer360_p99_ms": round(c360[1], 2),
        "timeline_append_per_s": round(one),
        f"timeline_append_{args.threads}_threads_per_s": round(many),
        "statements": stmts,
    }
    print(
        f"{backend:>10}: lookup by e-mail p50 {lookup[0]:.2f} ms, p99 {lookup[1]:.2f} ms; "
        f"360 p50 {c360[0]:.2f} ms, p99 {c360[1]:.2f} ms; "
        f"appends {one:,.0f}/s (1 thread), {many:,.0f}/s ({args.threads} threads)",
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
        engine = make_engine(url, pool_size=args.threads + 2)
        try:
            upgrade(engine)
            print("postgresql:", flush=True)
            return run("postgresql", Database(engine), args)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--calls", type=int, default=2_000, help="Lookups (and half as many 360s).")
    parser.add_argument("--seconds", type=float, default=5.0, help="Length of each append run.")
    parser.add_argument("--threads", type=int, default=4, help="Threads of the second append run.")
    args = parser.parse_args()
    print(
        f"customers: {args.customers:,} profiles, {args.entries:,} timeline entries, "
        f"{args.calls:,} lookups",
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
