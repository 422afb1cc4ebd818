"""Guessing secrets is rate limited, and password hashes queue for a turn.

Three things can be guessed through the API: a password (staff and customer
sign-in, and registering, which probes e-mails), a cart's handoff code, and a coupon
code. Each guess counts against the client's address and against the account it
aims at (the e-mail signed in with, the caller's credential, the cart), with the
`limits` package's moving window: the first limit a guess exceeds answers 429
`rate_limited` with `Retry-After`, before any thread, database connection or
password hash is spent on it. The counts live in Redis when `OMNI_REDIS_URL` is set
(shared by every worker and server) and in each worker's memory otherwise; when
Redis cannot be reached the guess is let through (sign-in still locks an account
after five wrong passwords, and the hashes below are still bounded) and a warning
is logged.

A password check (argon2id) takes 64 MiB for about a tenth of a second: forty at
once took a 2-worker server from 0.4 to 2.7 GB and its health check stopped
answering. A sign-in therefore waits for one of `OMNI_PASSWORD_HASH_SLOTS` turns per
worker on the event loop, holding nothing else; a few dozen may wait, the rest are
answered 503 `sign_in_busy` with `Retry-After` at once. The client's address is the
one the server saw: behind a proxy, run `omni serve` with the proxy's address in
`FORWARDED_ALLOW_IPS` so that uvicorn takes the caller's from `X-Forwarded-For`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import anyio
from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from omnichannel.config import Settings
from omnichannel.kernel.errors import DomainError

log = logging.getLogger("omnichannel.http.throttle")

WAITING_PER_SLOT = 16  # sign-ins that may queue for each hashing turn before 503s
WAIT_AT_MOST = 10.0  # seconds a queued sign-in waits for its turn
REDIS_TIMEOUT = 0.25  # seconds: a rate limit that cannot be asked is no reason to hang


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


class SignInBusy(DomainError):
    status = 503
    code = "sign_in_busy"
    title = "Service busy"


class Guess(StrEnum):
    """What a limited request tries to guess; each has its own limits."""

    SIGN_IN = "sign_in"
    HANDOFF = "handoff"
    COUPON = "coupon"


class Counter:
    """A moving-window count of guesses: in this worker's memory, or in Redis."""

    def __init__(self, redis_url: str | None) -> None:
        self._memory: MovingWindowRateLimiter | None = None
        self._redis: AsyncMovingWindow | None = None
        self._warned_at = -math.inf
        if redis_url is None:
            self._memory = MovingWindowRateLimiter(MemoryStorage())
        else:
            self._redis = AsyncMovingWindow(
                RedisStorage(
                    "async+" + redis_url,
                    wrap_exceptions=True,
                    key_prefix="omni-limits",
                    connect_timeout=REDIS_TIMEOUT,
                    stream_timeout=REDIS_TIMEOUT,
                )
            )

    async def hit(self, item: RateLimitItem, *key: str) -> float | None:
        """Count one guess; None if allowed, else the seconds until it would be."""
        try:
            if self._redis is not None:
                if await self._redis.hit(item, *key):
                    return None
                reset = (await self._redis.get_window_stats(item, *key)).reset_time
            elif self._memory is not None:  # a dict and a lock: no need to leave the loop
                if self._memory.hit(item, *key):
                    return None
                reset = self._memory.get_window_stats(item, *key).reset_time
            else:
                return None
        except Exception:
            self._warn()
            return None
        return max(1.0, reset - time.time())

    def _warn(self) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 60:  # once a minute, not once per guess of a flood
            self._warned_at = now
            log.warning("rate limits cannot be counted (Redis unreachable?): letting guesses in")


@dataclass(frozen=True, slots=True)
class Limits:
    per_client: tuple[RateLimitItem, ...]
    per_account: tuple[RateLimitItem, ...]


class HashingTurns:
    """At most `slots` password hashes at once in this worker; a bounded queue."""

    def __init__(self, slots: int) -> None:
        self._slots = anyio.Semaphore(slots)
        self._max_waiting = slots * WAITING_PER_SLOT
        self._waiting = 0

    async def take(self) -> None:
        if self._waiting >= self._max_waiting:
            raise SignInBusy("Too many sign-ins at once; try again in a moment.", retry_after=1)
        self._waiting += 1
        try:
            with anyio.move_on_after(WAIT_AT_MOST):
                await self._slots.acquire()
                return
        finally:
            self._waiting -= 1
        raise SignInBusy("Too many sign-ins at once; try again in a moment.", retry_after=1)

    def give_back(self) -> None:
        self._slots.release()


class Throttle:
    """The application's rate limits and hashing turns (`app.state.throttle`)."""

    def __init__(self, settings: Settings) -> None:
        redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
        self.counter = Counter(redis_url)
        self.limits = {
            Guess.SIGN_IN: Limits(
                _items(settings.sign_in_limit_per_client),
                _items(settings.sign_in_limit_per_account),
            ),
            Guess.HANDOFF: Limits(
                _items(settings.code_limit_per_client), _items(settings.code_limit_per_account)
            ),
            Guess.COUPON: Limits(
                _items(settings.code_limit_per_client), _items(settings.code_limit_per_account)
            ),
        }
        self.hashing = HashingTurns(settings.password_hash_slots)

    async def count(self, guess: Guess, *, client: str, account: str | None) -> None:
        """Count one guess from `client` at `account`; 429 past the first limit it exceeds."""
        limits = self.limits[guess]
        keys = [(limits.per_client, "client", client)]
        if account is not None:
            keys.append((limits.per_account, "account", account))
        for items, kind, key in keys:
            # Counted under a digest: an e-mail or an address is personal data, even in Redis.
            digest = hashlib.sha256(key.encode()).hexdigest()[:32]
            for item in items:
                wait = await self.counter.hit(item, guess.value, kind, digest)
                if wait is not None:
                    raise RateLimited(
                        f"Too many attempts from this {kind}; try again in {math.ceil(wait)} "
                        "seconds.",
                        retry_after=math.ceil(wait),
                    )


def _items(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text)) if text.strip() else ()


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (a trusted proxy's X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"


async def _json_field(request: Request, name: str) -> Any:
    """A top-level field of the JSON body FastAPI already parsed (None otherwise)."""
    try:
        body = await request.json()  # cached on the request: parsed once
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None


async def signed_in_email(request: Request) -> str | None:
    """The account a sign-in aims at: its e-mail, as the services compare it."""
    email = await _json_field(request, "email")
    return email.strip().lower() if isinstance(email, str) else None


async def credential(request: Request) -> str | None:
    """The caller's own credential (a bearer token or an API key)."""
    return request.headers.get("authorization") or request.headers.get("x-api-key")


async def cart_or_credential(request: Request) -> str | None:
    """The cart whose coupons are tried; on a quote, the caller's credential."""
    cart_id = request.path_params.get("cart_id")
    return f"cart:{cart_id}" if cart_id else await credential(request)


async def with_coupons(request: Request) -> bool:
    """Only a request naming coupon codes guesses one (a cart's `codes`, a quote's
    `coupons`): clearing them, or a quote without any, is not counted."""
    return bool(await _json_field(request, "codes") or await _json_field(request, "coupons"))


Account = Callable[[Request], Awaitable[str | None]]


def _throttle(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.throttle
    return throttle


def limited(
    guess: Guess, account: Account, *, when: Callable[[Request], Awaitable[bool]] | None = None
) -> Any:
    """A route dependency counting the request as one guess (`dependencies=[...]`)."""

    async def count_guess(request: Request) -> None:
        if when is not None and not await when(request):
            return
        await _throttle(request).count(
            guess, client=client_address(request), account=await account(request)
        )

    count_guess.__name__ = f"limit_{guess.value}"
    return Depends(count_guess)


async def _sign_in(request: Request) -> AsyncIterator[None]:
    throttle = _throttle(request)
    await throttle.count(
        Guess.SIGN_IN, client=client_address(request), account=await signed_in_email(request)
    )
    await throttle.hashing.take()
    try:
        yield
    finally:
        throttle.hashing.give_back()


# A route dependency for a request that checks or sets a password: it counts as a
# guess, then holds one of the worker's hashing turns until the endpoint returns
# (scope="function": before the answer is sent, so the next sign-in starts sooner).
SIGN_IN = Depends(_sign_in, scope="function")
HANDOFF = limited(Guess.HANDOFF, credential)
COUPON = limited(Guess.COUPON, cart_or_credential, when=with_coupons)
