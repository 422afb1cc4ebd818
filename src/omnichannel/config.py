"""Settings from the environment (OMNI_*), one object. The README's table lists them all."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Literal, Self

from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    # Errors never echo the input: it may be a secret key or a URL with a password.
    model_config = SettingsConfigDict(
        env_prefix="OMNI_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    env: Literal["dev", "test", "prod"] = Field(
        "dev", description="dev and test allow demo conveniences; prod refuses them."
    )
    database_url: str = Field(
        "sqlite:///./omni.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    db_pool_size: int = Field(10, ge=1, le=200, description="Connections per worker (PostgreSQL).")
    sqlite_busy_timeout_ms: int = Field(
        5000, ge=0, description="How long a SQLite writer waits for the lock."
    )
    host: str = Field("127.0.0.1", description="Address `omni serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `omni serve` listens on.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes for `omni serve`.")
    threads: int = Field(
        40,
        ge=1,
        le=400,
        description="Threads per worker running the database endpoints (anyio's limiter).",
    )
    staff_token_ttl_minutes: int = Field(
        12 * 60, ge=5, le=7 * 24 * 60, description="How long a staff bearer token lives."
    )
    # Abuse: guessing is rate limited, hashing and requests are bounded (http.throttle,
    # http.bounds, http.server). A limit is `limits` notation, e.g. "10/minute;50/hour";
    # an empty one counts nothing.
    redis_url: SecretStr | None = Field(
        None,
        description="redis://host:6379/0 to share the rate limits between every worker and "
        "server; unset: each worker counts in its own memory.",
    )
    sign_in_limit_per_client: str = Field(
        "30/minute;300/hour", description="Sign-ins and registrations from one client address."
    )
    sign_in_limit_per_account: str = Field(
        "10/minute;50/hour", description="Sign-ins with one e-mail (staff or customer)."
    )
    code_limit_per_client: str = Field(
        "60/minute;600/hour",
        description="Handoff codes opened, and coupon codes tried, from one client address.",
    )
    code_limit_per_account: str = Field(
        "30/minute;300/hour",
        description="Handoff codes opened with one credential; coupon codes tried on one cart "
        "(or, on a quote, with one credential).",
    )
    password_hash_slots: int = Field(
        2, ge=1, le=64, description="Password hashes (64 MiB each) computed at once per worker."
    )
    max_body_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="A request body past this many bytes is refused with 413 before it is "
        "read in full.",
    )
    header_timeout_seconds: float = Field(
        10, gt=0, le=300, description="A request's line and headers arrive within this time."
    )
    body_timeout_seconds: float = Field(
        30, gt=0, le=600, description="The longest pause between two parts of a request body."
    )
    keep_alive_seconds: int = Field(
        5, ge=1, le=300, description="An idle kept-alive connection is closed after this time."
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    demo_seed: int = Field(2026, description="Seed of the deterministic demo retailer.")
    secret_key: SecretStr | None = Field(
        None,
        description="Base64url of 32 random bytes: encrypts personal data and keys its blind "
        "indexes. Required when env is prod; `omni customers new-key` prints one.",
    )
    retired_secret_keys: SecretStr | None = Field(
        None,
        description="Comma-separated earlier secret keys, still accepted for reading while "
        "`omni customers rotate-keys` re-encrypts under the current one.",
    )
    segments_recompute_hour: int = Field(
        2, ge=0, le=23, description="UTC hour after which `omni worker` recomputes segments daily."
    )
    inprocess_worker: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Run the worker's jobs inside `omni serve`: auto = on SQLite only (one "
        "process for `make demo`); on PostgreSQL run `omni worker` beside the API.",
    )
    outbox_retention_hours: int = Field(
        168,
        ge=1,
        description="Hours a delivered event stays in the outbox; undelivered ones always stay.",
    )

    sandbox_delay_ms: int = Field(
        0,
        ge=0,
        le=60_000,
        description="Milliseconds every call to the built-in `sandbox` payment provider "
        "and `sandbox` carrier takes, as a real one's round trip would.",
    )
    payment_settle_after_seconds: int = Field(
        60,
        ge=1,
        description="How long a provider call may stay unanswered before the worker asks "
        "the provider again (a crash or an outage between the two transactions).",
    )
    pending_payment_expiry_minutes: int = Field(
        15,
        ge=1,
        description="After this long, an authorisation the provider never received is "
        "given up: the order is cancelled and its stock released.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if not v.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite and postgresql URLs are supported")
        return v

    @field_validator(
        "sign_in_limit_per_client",
        "sign_in_limit_per_account",
        "code_limit_per_client",
        "code_limit_per_account",
    )
    @classmethod
    def _limits_parse(cls, v: str) -> str:
        if v.strip():
            parse_many(v)  # ValueError names what it could not read
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith(
            ("redis://", "rediss://", "redis+unix://")
        ):
            raise ValueError("a Redis URL starts with redis://, rediss:// or redis+unix://")
        return v

    @field_validator("secret_key", "retired_secret_keys", "redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("secret_key", "retired_secret_keys")
    @classmethod
    def _keys_decode(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            for part in v.get_secret_value().split(","):
                if part.strip():
                    decode_secret_key(part)
        return v

    @model_validator(mode="after")
    def _production_needs_a_key(self) -> Self:
        if self.env == "prod" and self.secret_key is None:
            raise ValueError(
                "OMNI_SECRET_KEY must be set when OMNI_ENV=prod: personal data is encrypted "
                "with it (`omni customers new-key` prints a fresh one)"
            )
        return self


def decode_secret_key(value: str) -> bytes:
    """The 32 bytes of a base64url-encoded secret key; ValueError when it is not one."""
    text = value.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("a secret key is base64url text of 32 random bytes") from None
    if len(raw) != 32:
        raise ValueError(f"a secret key has 32 bytes, this one {len(raw)}")
    return raw


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
