"""Sign-in cannot be flooded, shown on the real server (`omni serve`, one worker):
many concurrent wrong-password sign-ins from many addresses, some at a real account,
while the health check is asked all along. Password hashes take turns, so memory
stays bounded and the health check keeps answering; the account locks, and its right
password is refused until the lock ends."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update

from omnichannel.db import Database, unit_of_work
from omnichannel.kernel import utcnow
from omnichannel.security.models import StaffUser
from omnichannel.security.rules import Role
from omnichannel.security.schemas import StaffCreate
from omnichannel.security.service import create_staff
from tests.live_server import LiveServer, live_server

FLOOD = 60  # sign-ins at once; 20 of them at the real account
AT_THE_ACCOUNT = 20
HASH_MIB = 64  # one argon2id check
SLOTS = 2  # OMNI_PASSWORD_HASH_SLOTS's default
PASSWORD = "correct horse battery"


@pytest.fixture
def server(engine: Engine, committing_db: Database, tmp_path: Path) -> Iterator[LiveServer]:
    # No per-account limit: the lock, not the rate limit, is what this test shows
    # refusing the right password (test_sign_in_limits has the rate limits).
    url = engine.url.render_as_string(hide_password=False)
    with live_server(url, tmp_path, sign_in_limit_per_account="") as running:
        yield running


@pytest.fixture
def clerk(committing_db: Database) -> str:
    email = f"clerk-{uuid.uuid4().hex[:8]}@example.com"
    with unit_of_work(committing_db, actor="setup") as s:
        create_staff(
            s, data=StaffCreate(email=email, full_name="Clerk", password=PASSWORD, role=Role.ADMIN)
        )
    return email


# One client for the flood and one for the health checks, made before it starts: a
# client per request would spend the test's own CPU on TLS set-up, not the server's.
FLOOD_CLIENT = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=FLOOD + 5))
HEALTH_CLIENT = httpx.Client(timeout=10)


def _sign_in(server: LiveServer, email: str, password: str, address: str) -> httpx.Response:
    # uvicorn takes the caller's address from X-Forwarded-For sent from loopback (a
    # trusted proxy by default): each sign-in comes from an address of its own, as from
    # a botnet, so the per-address limit does not stop them and the turns must.
    return FLOOD_CLIENT.post(
        f"{server.url}/api/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


def test_a_flood_of_wrong_passwords_leaves_memory_bounded_and_health_answering(
    server: LiveServer, clerk: str, committing_db: Database
) -> None:
    assert _sign_in(server, clerk, PASSWORD, "198.51.100.1").status_code == 200  # warmed up
    baseline_kib = server.memory_kib("VmRSS")

    health_seconds: list[float] = []
    health_codes: list[int] = []
    flooding = threading.Event()
    flooding.set()

    def ask_health() -> None:
        while flooding.is_set():
            started = time.monotonic()
            r = HEALTH_CLIENT.get(f"{server.url}/api/v1/health")
            health_seconds.append(time.monotonic() - started)
            health_codes.append(r.status_code)
            time.sleep(0.05)

    def attempt(i: int) -> httpx.Response:
        email = clerk if i < AT_THE_ACCOUNT else f"nobody-{i}@example.com"
        return _sign_in(server, email, "wrong password!", f"198.51.100.{10 + i}")

    prober = threading.Thread(target=ask_health)
    prober.start()
    try:
        with ThreadPoolExecutor(max_workers=FLOOD) as pool:
            answers = list(pool.map(attempt, range(FLOOD)))
    finally:
        flooding.clear()
        prober.join()
    peak_kib = server.memory_kib("VmHWM")

    statuses = Counter(r.status_code for r in answers)
    codes = Counter(r.json()["code"] for r in answers)
    print(
        f"\nflood of {FLOOD}: {dict(statuses)} {dict(codes)}; memory {baseline_kib // 1024} MiB "
        f"before, peak {peak_kib // 1024} MiB; health asked {len(health_seconds)} times, "
        f"slowest {max(health_seconds):.3f} s"
    )
    assert set(statuses) <= {401, 429, 503}, statuses
    assert statuses[401] > 0  # hashes were computed: the flood reached them
    assert all("retry-after" in r.headers for r in answers if r.status_code in (429, 503))
    assert set(codes) <= {"invalid_credentials", "account_locked", "sign_in_busy"}, codes
    # Memory: the hashing turns' worth, not a hash per sign-in (60 would be 3.8 GB).
    assert (peak_kib - baseline_kib) // 1024 < SLOTS * HASH_MIB + 192
    # The health check kept answering, each time within a second.
    assert health_codes
    assert set(health_codes) == {200}
    assert max(health_seconds) < 1.0

    # The account locked during the flood: its right password is refused ...
    right = _sign_in(server, clerk, PASSWORD, "198.51.100.250")
    assert right.status_code == 429, right.text
    assert right.json()["code"] == "account_locked"
    assert int(right.headers["retry-after"]) > 14 * 60

    # ... until the lock ends.
    with unit_of_work(committing_db, actor="test") as s:
        s.execute(
            update(StaffUser)
            .where(StaffUser.email == clerk)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    assert _sign_in(server, clerk, PASSWORD, "198.51.100.250").status_code == 200
