"""Settings from the environment (OMNI_*), one object. The README's table lists them all."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNI_", env_file=".env", extra="ignore")

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
    staff_token_ttl_minutes: int = Field(
        12 * 60, ge=5, le=7 * 24 * 60, description="How long a staff bearer token lives."
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    demo_seed: int = Field(2026, description="Seed of the deterministic demo retailer.")

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if not v.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite and postgresql URLs are supported")
        return v


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
