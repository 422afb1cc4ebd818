"""`omni customers ...`: segments, secret keys and their rotation. (The nightly
segment recompute is a worker job: `omnichannel.schedule`.)"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import typer
from rich.markup import escape

from omnichannel.cli import common
from omnichannel.config import get_settings
from omnichannel.customers import rotation
from omnichannel.customers.crypto import install, keyring, new_secret_key
from omnichannel.db import unit_of_work
from omnichannel.schedule import recompute_segments

customers_app = typer.Typer(
    help="Customers: segments and personal-data keys.", no_args_is_help=True
)

CLI_ACTOR = "cli:customers"


# --- segments ---------------------------------------------------------------------------


@customers_app.command("recompute-segments")
def recompute_command(
    codes: list[str] = typer.Argument(None, help="Segment codes (default: every rule segment)."),
) -> None:
    """Recompute rule segments now."""
    db = common.get_database()
    try:
        run = recompute_segments(db, codes or None, actor=CLI_ACTOR)
    finally:
        db.dispose()
    for code, why in run.failed:
        common.err_console.print(f"[red]{escape(code)}: {escape(why)}[/]", soft_wrap=True)
    for r in run.recomputed:
        common.console.print(
            f"{escape(r.code)}: {r.members} member(s), +{r.added} -{r.removed}", soft_wrap=True
        )
    if run.failed:
        raise typer.Exit(1)


# --- keys ---------------------------------------------------------------------------------


@customers_app.command("new-key")
def new_key() -> None:
    """Print a fresh secret key for OMNI_SECRET_KEY."""
    common.console.print(new_secret_key(), highlight=False, soft_wrap=True)


@customers_app.command("rotate-keys")
def rotate_keys(
    batch_size: int = typer.Option(
        500, "--batch-size", min=1, max=10_000, help="Rows per transaction."
    ),
) -> None:
    """Re-seal and re-index personal data under OMNI_SECRET_KEY (see the README)."""
    db = common.get_database()
    started = time.perf_counter()
    resealed = reindexed = 0
    try:
        while True:
            with unit_of_work(db, actor=CLI_ACTOR) as session:
                n = rotation.reseal(session, limit=batch_size)
            resealed += n
            if n == 0:
                break
        for step in (rotation.reindex_identities, rotation.reindex_addresses):
            after: uuid.UUID | None = None
            while True:
                with unit_of_work(db, actor=CLI_ACTOR) as session:
                    n, after = step(session, after=after, limit=batch_size)
                reindexed += n
                if after is None:
                    break
        with unit_of_work(db, read_only=True) as session:
            left = rotation.stale_count(session)
    finally:
        db.dispose()
    common.console.print(
        f"Key {keyring().current.id}: re-sealed {resealed} value(s), re-indexed {reindexed}, "
        f"{left} left under retired keys ({time.perf_counter() - started:.1f} s).",
        soft_wrap=True,
    )
    if left:
        raise typer.Exit(1)


def ensure_demo_key(env_file: Path = Path(".env")) -> bool:
    """Give the demo a real secret key: when none is configured, generate one, append
    it to `.env` (which the settings read) and use it from now on. True if it did."""
    if get_settings().secret_key is not None:
        return False
    key = new_secret_key()
    existed = env_file.exists()
    with env_file.open("a", encoding="utf-8") as f:
        if existed and env_file.read_text(encoding="utf-8")[-1:] not in ("", "\n"):
            f.write("\n")
        f.write(
            "# Encrypts customers' personal data; without it they cannot be read back.\n"
            f"OMNI_SECRET_KEY={key}\n"
        )
    if not existed:
        env_file.chmod(0o600)
    os.environ["OMNI_SECRET_KEY"] = key
    get_settings.cache_clear()
    install(None)
    return True


def register(app: typer.Typer) -> None:
    """Add `omni customers ...`."""
    app.add_typer(customers_app, name="customers")
