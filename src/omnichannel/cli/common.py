"""What every CLI command shares: settings, the database, printing errors."""

from __future__ import annotations

from rich.console import Console

from omnichannel.config import get_settings
from omnichannel.db import Database

console = Console()
err_console = Console(stderr=True)


def get_database() -> Database:
    """The database the settings name (OMNI_DATABASE_URL)."""
    s = get_settings()
    return Database.from_url(
        s.database_url, pool_size=s.db_pool_size, busy_timeout_ms=s.sqlite_busy_timeout_ms
    )
