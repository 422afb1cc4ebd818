"""Sign-in cannot be flooded: staff accounts lock after repeated wrong passwords as
customer accounts do, and every guess of a secret (a password, a handoff code, a
coupon code) is rate limited per client address and per account, 429 with
`Retry-After`, in memory or in Redis."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import Database
from omnichannel.http.throttle import HashingTurns, SignInBusy
from omnichannel.kernel import utcnow
from omnichannel.security.models import StaffToken, StaffUser
from omnichannel.security.rules import Role
from omnichannel.security.schemas import StaffCreate
from omnichannel.security.service import create_staff

API = "/api/v1"
PASSWORD = "correct horse battery"
MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings, db: Database) -> Iterator[MakeClient]:
    """A client of an app whose settings differ from the tests' by `overrides`."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            app = create_app(settings.model_copy(update=overrides), database=db)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield make


@pytest.fixture
def clerk(session: Session) -> str:
    """A staff member's e-mail (password PASSWORD)."""
    email = f"clerk-{uuid.uuid4().hex[:8]}@example.com"
    create_staff(
        session,
        data=StaffCreate(email=email, full_name="Clerk", password=PASSWORD, role=Role.ADMIN),
    )
    session.commit()
    return email


def _sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post(f"{API}/auth/login", json={"email": email, "password": password})


def _tokens(session: Session, email: str) -> int:
    session.expire_all()
    found = len(
        session.scalars(select(StaffToken.id).join(StaffUser).where(StaffUser.email == email)).all()
    )
    session.commit()
    return found


def _assert_refused(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code
    assert int(r.headers["retry-after"]) >= 1


# --- staff lockout ------------------------------------------------------------------


def test_staff_accounts_lock_after_repeated_failures(
    client: TestClient, session: Session, clerk: str
) -> None:
    answers = [_sign_in(client, clerk, "wrong password!").status_code for _ in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    right = _sign_in(client, clerk)
    _assert_refused(right, 429, "account_locked")
    assert 14 * 60 < int(right.headers["retry-after"]) <= 15 * 60
    assert _tokens(session, clerk) == 0

    # The lock ends: the right password signs in, and the count starts again.
    session.execute(
        update(StaffUser)
        .where(StaffUser.email == clerk)
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    assert _sign_in(client, clerk).status_code == 200
    session.expire_all()
    user = session.scalar(select(StaffUser).where(StaffUser.email == clerk))
    assert user is not None
    assert (user.failed_logins, user.locked_until) == (0, None)
    session.commit()


def test_fifteen_wrong_passwords_then_the_right_one_is_refused(
    client: TestClient, session: Session, clerk: str
) -> None:
    for _ in range(15):
        assert _sign_in(client, clerk, "wrong password!").status_code in (401, 429)
    r = _sign_in(client, clerk)
    assert r.status_code == 429
    assert "retry-after" in r.headers
    assert _tokens(session, clerk) == 0


def test_a_right_password_resets_the_count_of_wrong_ones(
    client: TestClient, session: Session, clerk: str
) -> None:
    for _ in range(4):
        assert _sign_in(client, clerk, "wrong password!").status_code == 401
    assert _sign_in(client, clerk).status_code == 200
    for _ in range(4):
        assert _sign_in(client, clerk, "wrong password!").status_code == 401
    assert _sign_in(client, clerk).status_code == 200


def test_a_deactivated_staff_account_gets_the_answer_of_a_wrong_password(
    client: TestClient, session: Session, clerk: str
) -> None:
    session.execute(update(StaffUser).where(StaffUser.email == clerk).values(active=False))
    session.commit()
    r = _sign_in(client, clerk)
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_credentials"


# --- rate limits --------------------------------------------------------------------


def test_sign_in_is_rate_limited_per_client_address(
    make_client: MakeClient, session: Session, clerk: str
) -> None:
    client = make_client(sign_in_limit_per_client="3/minute")
    for i in range(3):
        assert _sign_in(client, f"nobody-{i}@example.com", "wrong").status_code == 401
    _assert_refused(_sign_in(client, clerk), 429, "rate_limited")
    assert _tokens(session, clerk) == 0  # refused before the password was looked at


def test_sign_in_is_rate_limited_per_account(
    make_client: MakeClient, session: Session, clerk: str
) -> None:
    client = make_client(sign_in_limit_per_client="", sign_in_limit_per_account="2/minute")
    assert _sign_in(client, clerk, "wrong").status_code == 401
    assert _sign_in(client, f"  {clerk.upper()} ", "wrong").status_code == 401  # same account
    _assert_refused(_sign_in(client, clerk), 429, "rate_limited")
    assert _sign_in(client, "someone-else@example.com", "wrong").status_code == 401
    session.expire_all()
    user = session.scalar(select(StaffUser).where(StaffUser.email == clerk))
    assert user is not None
    assert user.failed_logins == 2  # the refused third attempt never reached the account
    session.commit()


def test_customer_sign_in_and_registration_are_rate_limited(
    make_client: MakeClient, channel_key: Callable[..., dict[str, str]]
) -> None:
    shop = channel_key("shop", scopes=["customers:identify"])
    client = make_client(sign_in_limit_per_client="2/minute")
    login = {"email": "ewa@example.com", "password": "lato w Sopocie 2026"}
    assert client.post(f"{API}/customers/auth/login", json=login, headers=shop).status_code == 401
    r = client.post(f"{API}/customers/auth/register", json=login, headers=shop)
    assert r.status_code == 201
    r = client.post(f"{API}/customers/auth/login", json=login, headers=shop)
    _assert_refused(r, 429, "rate_limited")


def test_handoff_codes_are_rate_limited(make_client: MakeClient, admin: dict[str, str]) -> None:
    client = make_client(code_limit_per_account="2/minute")
    answers = [
        client.post(f"{API}/carts/handoff/ABC{i}23", headers=admin).status_code for i in range(2)
    ]
    assert 429 not in answers
    _assert_refused(client.post(f"{API}/carts/handoff/XYZ987", headers=admin), 429, "rate_limited")


def test_coupon_checks_are_rate_limited(make_client: MakeClient, admin: dict[str, str]) -> None:
    client = make_client(code_limit_per_client="2/minute")
    cart = f"{API}/carts/{uuid.uuid4()}/coupons"
    assert client.put(cart, json={"codes": ["LATO10"]}, headers=admin).status_code == 404
    assert client.put(cart, json={"codes": ["LATO20"]}, headers=admin).status_code == 404
    assert client.put(cart, json={"codes": []}, headers=admin).status_code == 404  # not a guess
    _assert_refused(
        client.put(cart, json={"codes": ["LATO30"]}, headers=admin), 429, "rate_limited"
    )


def test_coupon_codes_named_in_a_quote_are_rate_limited(
    make_client: MakeClient, admin: dict[str, str]
) -> None:
    client = make_client(code_limit_per_client="2/minute")
    lines = [{"variant_id": str(uuid.uuid4()), "quantity": 1}]

    def quote(**extra: Any) -> Any:
        return client.post(f"{API}/pricing/quote", json={"lines": lines, **extra}, headers=admin)

    assert quote(coupons=["LATO10"]).status_code != 429
    assert quote(coupons=["LATO20"]).status_code != 429
    _assert_refused(quote(coupons=["LATO30"]), 429, "rate_limited")
    assert quote().status_code != 429  # a quote without coupons guesses nothing


def test_an_unparsable_limit_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="rate limit"):
        Settings(sign_in_limit_per_client="a lot")


def test_a_redis_url_of_another_scheme_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="Redis URL"):
        Settings(redis_url="memcached://127.0.0.1:11211")
    assert Settings(redis_url="").redis_url is None


# --- hashing turns ------------------------------------------------------------------


def test_password_hashes_wait_for_a_turn_and_a_full_queue_is_503() -> None:
    async def scenario() -> list[str]:
        turns = HashingTurns(1)
        await turns.take()  # the one turn, held
        seen: list[str] = []

        async def wait_for_turn() -> None:
            await turns.take()
            seen.append("turn")
            turns.give_back()

        async with anyio.create_task_group() as tg:
            for _ in range(16):  # the queue of one slot
                tg.start_soon(wait_for_turn)
            await anyio.sleep(0.05)
            try:
                await turns.take()
            except SignInBusy as busy:
                seen.append(f"busy {busy.status} {busy.extra['retry_after']}")
            turns.give_back()
        return seen

    assert anyio.run(scenario) == ["busy 503 1"] + ["turn"] * 16


# --- Redis --------------------------------------------------------------------------

REDIS_URL = os.environ.get("OMNI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reachable() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        socket.create_connection((parts.hostname or "", parts.port or 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis at {REDIS_URL}")
def test_workers_share_the_rate_limits_through_redis(
    make_client: MakeClient, session: Session, clerk: str
) -> None:
    shared = {"redis_url": SecretStr(REDIS_URL), "sign_in_limit_per_client": ""}
    worker_a = make_client(**shared, sign_in_limit_per_account="2/minute")
    worker_b = make_client(**shared, sign_in_limit_per_account="2/minute")
    assert _sign_in(worker_a, clerk, "wrong").status_code == 401
    assert _sign_in(worker_b, clerk, "wrong").status_code == 401
    _assert_refused(_sign_in(worker_a, clerk), 429, "rate_limited")
    _assert_refused(_sign_in(worker_b, clerk), 429, "rate_limited")


def test_an_unreachable_redis_lets_sign_in_through(make_client: MakeClient, clerk: str) -> None:
    client = make_client(
        redis_url=SecretStr("redis://127.0.0.1:1/0"), sign_in_limit_per_account="1/minute"
    )
    assert _sign_in(client, clerk).status_code == 200
    assert _sign_in(client, clerk).status_code == 200  # no count: the limit cannot apply
