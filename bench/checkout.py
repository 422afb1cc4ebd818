"""Checkout through the real server: complete checkouts of 3-line carts by concurrent
HTTP clients, with nothing oversold and nothing acknowledged lost.

For each backend, on a fresh database:

  seed     --variants variants (one product per 20), a PLN base price for each, a
           warehouse holding --stock units of each, a web channel selling from it
           (delivery fee 14.99) and its API key; then --orders anonymous 3-line carts
           (distinct random variants, 1-2 units each) through the carts service.
  serve    `uvicorn omnichannel.api.app:create_app --factory --workers N` on a free
           port, the same OMNI_SECRET_KEY as this process (cart tokens are HMACs),
           OMNI_THREADS=--threads. Measured defaults for 2 cores: SQLite 1 worker (one
           writer at a time; a second process only adds file-lock contention, p99
           1.2-1.6 s against 0.5 s), PostgreSQL 2; 4 threads per worker (as fast as 40,
           with a lower p99).
  run      --clients concurrent clients (asyncio + httpx, one connection each) POST
           /carts/{id}/checkout with an Idempotency-Key until every cart is checked
           out; a 409/503 answer is retried once with the same key.
  check    lost_orders: acknowledged (201) orders missing from the database;
           oversold: levels with reserved > on_hand or a negative on_hand, and units
           reserved for orders that differ from the units the orders hold.
  statements  what one checkout sends to the database, BEGIN and COMMIT included,
           measured in-process through the same app (its second run: warm caches);
           `routed` for a shop selling from a warehouse and two stores, whose
           checkouts the router plans (the first shop sells from one location).
  cpu      CPU time per acknowledged checkout over the run, from /proc: the clients
           (this process), the server (uvicorn and its workers) and PostgreSQL.

SQLite: a temporary file. PostgreSQL: OMNI_BENCH_POSTGRES_URL or
OMNI_TEST_POSTGRES_URL (its public schema is WIPED), else a throwaway database.

Prints human lines per backend, then, last, one JSON line:
{"results": [{"backend", "workers", "threads", "clients", "orders", "orders_per_s", "p50_ms",
  "p99_ms", "sql_statements_per_checkout", "sql_statements_per_routed_checkout", "oversold", "lost_orders",
  "cpu_ms_per_checkout": {"clients", "server", "postgres"}, ...}, ...]}

    .venv/bin/python bench/checkout.py [--backend sqlite|postgresql|both]
        [--variants 10000] [--orders 3000] [--clients 32] [--workers N] [--threads 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from _common import counted
from _pg import postgres_url
from omnichannel.carts import service as carts
from omnichannel.catalog.importing import import_products
from omnichannel.catalog.schemas import ProductImport
from omnichannel.catalog.service import variant_ids_by_sku
from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate
from omnichannel.channels.service import create_channel, issue_api_key
from omnichannel.config import Settings, decode_secret_key
from omnichannel.customers.crypto import KeyRing, install, new_secret_key
from omnichannel.db import Database, make_engine, unit_of_work
from omnichannel.db.migrate import upgrade
from omnichannel.inventory import service as inventory
from omnichannel.inventory.models import Reservation, StockLevel
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location
from omnichannel.orders.models import Order, OrderLine
from omnichannel.pricing import service as pricing
from omnichannel.pricing.schemas import PriceListCreate

LINES = 3
CHECKOUT = {
    "currency": "PLN",
    "fulfilment": "delivery",
    "shipping_address": {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk"},
    "payment": {"method": "card", "token": "sandbox_ok"},
}


def seed(db: Database, variants: int, stock: int) -> tuple[list[uuid.UUID], carts.Seller, str]:
    skus = [f"B-{i:06d}" for i in range(variants)]
    with unit_of_work(db, actor="bench") as s:
        for start in range(0, variants, 2000):
            chunk = skus[start : start + 2000]
            import_products(
                s,
                products=[
                    ProductImport.model_validate(
                        {
                            "code": f"P-{start + i:06d}",
                            "name": f"Produkt {start + i}",
                            "variants": [{"sku": sku} for sku in chunk[i : i + 20]],
                        }
                    )
                    for i in range(0, len(chunk), 20)
                ],
            )
    with unit_of_work(db, actor="bench") as s:
        ids = variant_ids_by_sku(s, skus=skus)
        variant_ids = [ids[sku] for sku in skus]
        base = pricing.create_price_list(
            s, data=PriceListCreate(code="base-pln", name="Cennik podstawowy")
        )
        rng = random.Random(3)
        pricing.set_prices(
            s,
            price_list_id=base.id,
            changes=[pricing.PriceChange(v, rng.randrange(990, 49990, 100)) for v in variant_ids],
        )
        wh = create_location(
            s,
            data=LocationCreate.model_validate(
                {
                    "code": "WH-POZ",
                    "name": "Magazyn Poznań",
                    "type": "warehouse",
                    "address": {
                        "street": "ul. Głogowska 432",
                        "city": "Poznań",
                        "postcode": "60-004",
                        "country": "PL",
                    },
                    "coordinates": {"latitude": 52.3785, "longitude": 16.8772},
                    "capabilities": ["ships"],
                }
            ),
        ).id
        inventory.receive(
            s, location_id=wh, lines=[inventory.Change(v, stock) for v in variant_ids]
        )
        web = create_channel(
            s,
            data=ChannelCreate(
                code="web", name="Sklep", type="web", sell_from=[wh], delivery_price=1499
            ),
        )
        _, key = issue_api_key(
            s,
            channel_id=web.id,
            data=ApiKeyCreate(name="bench", scopes=[Scope.CARTS_WRITE, Scope.ORDERS_WRITE]),
        )
        # A second web shop selling from the warehouse and two stores that ship: its
        # checkouts are routed (the first sells from one location: nothing to choose).
        stores = [_store(s, code, city, postcode, at) for code, city, postcode, at in _STORES]
        for store in stores:
            inventory.receive(
                s, location_id=store, lines=[inventory.Change(v, 2) for v in variant_ids]
            )
        routed = create_channel(
            s,
            data=ChannelCreate(
                code="web-routed", name="Sklep 2", type="web", sell_from=[wh, *stores]
            ),
        )
        issue_api_key(
            s,
            channel_id=routed.id,
            data=ApiKeyCreate(name="bench", scopes=[Scope.CARTS_WRITE, Scope.ORDERS_WRITE]),
        )
    with unit_of_work(db, read_only=True) as s:
        seller = carts.seller(s, code="web")
    return variant_ids, seller, key


_STORES = [
    ("ST-KRK", "Kraków", "31-019", (50.0637, 19.9398)),
    ("ST-GDA", "Gdańsk", "80-827", (54.3490, 18.6522)),
]


def _store(s: Session, code: str, city: str, postcode: str, at: tuple[float, float]) -> uuid.UUID:
    return create_location(
        s,
        data=LocationCreate.model_validate(
            {
                "code": code,
                "name": f"Sklep {city}",
                "type": "store",
                "address": {
                    "street": "ul. Długa 1",
                    "city": city,
                    "postcode": postcode,
                    "country": "PL",
                },
                "coordinates": {"latitude": at[0], "longitude": at[1]},
                "capabilities": ["pickup", "ship_from_store"],
            }
        ),
    ).id


def routed_key(db: Database) -> tuple[carts.Seller, str]:
    """The routed shop and a key of its own (keys are shown once: a new one)."""
    with unit_of_work(db, actor="bench") as s:
        seller = carts.seller(s, code="web-routed")
        _, key = issue_api_key(
            s,
            channel_id=seller.id,
            data=ApiKeyCreate(name="count", scopes=[Scope.CARTS_WRITE, Scope.ORDERS_WRITE]),
        )
    return seller, key


def make_carts(
    db: Database, seller: carts.Seller, variants: list[uuid.UUID], n: int, seed_: int
) -> list[tuple[uuid.UUID, str]]:
    rng = random.Random(seed_)
    out = []
    for _ in range(n):
        with unit_of_work(db, actor="bench") as s:
            cart = carts.create_cart(s, seller=seller, actor="channel:web")
            for v in rng.sample(variants, LINES):
                carts.set_line(
                    s,
                    cart=cart,
                    variant_id=v,
                    quantity=rng.randint(1, 2),
                    seller=seller,
                    actor="channel:web",
                )
            out.append((cart.id, carts.token_for(cart.id, None)))
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    url: str, secret: str, workers: int, threads: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "OMNI_DATABASE_URL": url,
        "OMNI_SECRET_KEY": secret,
        "OMNI_ENV": "dev",
        "OMNI_LOG_LEVEL": "warning",
        "OMNI_DB_POOL_SIZE": "40",
        "OMNI_THREADS": str(threads),
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "omnichannel.api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


async def drive(
    base: str, key: str, work: list[tuple[uuid.UUID, str]], clients: int
) -> tuple[list[float], list[str], Counter[str], float]:
    queue: asyncio.Queue[tuple[uuid.UUID, str]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    times: list[float] = []
    acknowledged: list[str] = []
    seen: Counter[str] = Counter()

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while not queue.empty():
                cart_id, token = queue.get_nowait()
                headers = {"X-Api-Key": key, "X-Cart-Token": token, "Idempotency-Key": str(cart_id)}
                for attempt in range(2):
                    t0 = time.perf_counter()
                    r = await http.post(
                        f"/api/v1/carts/{cart_id}/checkout", json=CHECKOUT, headers=headers
                    )
                    times.append((time.perf_counter() - t0) * 1000)
                    seen[str(r.status_code)] += 1
                    if r.status_code == 201:
                        acknowledged.append(r.json()["id"])
                        break
                    if r.status_code not in (409, 503) or attempt:
                        break

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return times, acknowledged, seen, time.perf_counter() - started


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds (user + system) so far of this process (the clients), the server
    and its worker processes, and PostgreSQL's processes; read from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, str, float]] = {}  # pid: (parent, name, seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        stats[int(entry.name)] = (int(rest[1]), name, (int(rest[11]) + int(rest[12])) / tick)
    server, seen = 0.0, {server_pid}
    for pid in sorted(stats):  # a worker is younger than its parent: one pass in pid order
        if pid == server_pid or stats[pid][0] in seen:
            seen.add(pid)
            server += stats[pid][2]
    return {
        "clients": stats.get(os.getpid(), (0, "", 0.0))[2],
        "server": server,
        "postgres": sum(s for _, name, s in stats.values() if name == "postgres"),
    }


def check(db: Database, acknowledged: list[str]) -> tuple[int, int]:
    with unit_of_work(db, read_only=True) as s:
        stored = {str(i) for i in s.scalars(select(Order.id))}
        lost = sum(1 for a in acknowledged if a not in stored)
        bad_levels = s.scalar(
            select(func.count())
            .select_from(StockLevel)
            .where((StockLevel.reserved > StockLevel.on_hand) | (StockLevel.on_hand < 0))
        )
        held = s.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.owner_type == "order", Reservation.status == "active"
            )
        )
        ordered = s.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0)))
    return lost, int(bad_levels or 0) + abs(int(held or 0) - int(ordered or 0))


def statements_per_checkout(
    db: Database, settings: Settings, seller: carts.Seller, variants: list[uuid.UUID], key: str
) -> int:
    from fastapi.testclient import TestClient

    from omnichannel.api.app import create_app

    work = make_carts(db, seller, variants, 2, seed_=11)
    total = 0
    with TestClient(create_app(settings, database=db)) as c:
        for i, (cart_id, token) in enumerate(work):
            headers = {"X-Api-Key": key, "X-Cart-Token": token, "Idempotency-Key": f"count-{i}"}
            with counted(db.engine) as box:
                r = c.post(f"/api/v1/carts/{cart_id}/checkout", json=CHECKOUT, headers=headers)
            assert r.status_code == 201, r.text
            total = sum(box.values())  # the second: caches warm
    return total


def run(backend: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    secret = new_secret_key()
    install(KeyRing(decode_secret_key(secret)))
    engine = make_engine(url, pool_size=8)
    db = Database(engine)
    try:
        upgrade(engine)
        t0 = time.perf_counter()
        variants, seller, key = seed(db, args.variants, args.stock)
        work = make_carts(db, seller, variants, args.orders, seed_=7)
        print(
            f"  seeded {args.variants:,} variants and {len(work):,} carts in "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        settings = Settings(env="dev", database_url=url, secret_key=secret)
        stmts = statements_per_checkout(db, settings, seller, variants, key)
        routed_seller, routed = routed_key(db)
        routed_stmts = statements_per_checkout(db, settings, routed_seller, variants, routed)
        workers = args.workers or (1 if backend == "sqlite" else 2)
        proc, base = start_server(url, secret, workers, args.threads)
        try:
            before = cpu_seconds(proc.pid)
            times, acknowledged, seen, elapsed = asyncio.run(drive(base, key, work, args.clients))
            after = cpu_seconds(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
        lost, oversold = check(db, acknowledged)
    finally:
        engine.dispose()
    q = statistics.quantiles(times, n=100)
    result = {
        "backend": backend,
        "workers": workers,
        "threads": args.threads,
        "clients": args.clients,
        "orders": len(acknowledged),
        "orders_per_s": round(len(acknowledged) / elapsed, 1),
        "p50_ms": round(q[49], 2),
        "p99_ms": round(q[98], 2),
        "sql_statements_per_checkout": stmts,
        "sql_statements_per_routed_checkout": routed_stmts,
        "oversold": oversold,
        "lost_orders": lost,
        "answers": dict(seen),
        # What one checkout costs the machine: 1,000/s on 2 cores leaves 2 ms in all.
        "cpu_ms_per_checkout": {
            k: round((after[k] - before[k]) * 1000 / max(len(acknowledged), 1), 2) for k in after
        },
    }
    print(
        f"  {result['orders']:,} orders in {elapsed:.1f} s: {result['orders_per_s']}/s, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; {stmts} statements per "
        f"checkout; oversold {oversold}, lost {lost}; answers {dict(seen)}; CPU ms per "
        f"checkout {result['cpu_ms_per_checkout']}",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--stock", type=int, default=1_000, help="Units of each variant.")
    parser.add_argument("--orders", type=int, default=3_000, help="Carts to check out.")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=0, help="uvicorn workers (default: SQLite 1, PostgreSQL 2)."
    )
    parser.add_argument("--threads", type=int, default=4, help="Threads per worker.")
    args = parser.parse_args()
    results = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="omni-bench-") as tmp:
            print("sqlite (file, WAL):", flush=True)
            results.append(run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args))
    if args.backend in ("postgresql", "both"):
        with postgres_url() as url:
            if url is not None:
                print("postgresql:", flush=True)
                results.append(run("postgresql", url, args))
    sys.stdout.write(json.dumps({"results": results}) + "\n")


if __name__ == "__main__":
    main()
