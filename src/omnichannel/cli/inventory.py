"""`omni inventory check`, `omni import stock FILE` and `omni worker`."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from omnichannel.cli import common
from omnichannel.cli.customers import NightlySegments
from omnichannel.db import Database, unit_of_work
from omnichannel.db.idempotency import SWEEP_BATCH, sweep_expired
from omnichannel.inventory import service
from omnichannel.inventory.importing import SourcedLevel, read_stock_file, resolve_levels
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import DomainError

inventory_app = typer.Typer(help="Stock levels and the movement ledger.", no_args_is_help=True)

IMPORT_ACTOR = "cli:import"
SWEEPER_ACTOR = "worker:sweeper"
PROJECTOR_ACTOR = "worker:projector"
KEYS_ACTOR = "worker:idempotency-keys"
PROJECTOR_ROUNDS = 20  # per worker round: a backlog drains over several rounds


# --- omni inventory check ------------------------------------------------------------


@inventory_app.command("check")
def check() -> None:
    """Compare every level's on-hand with the sum of its ledger; exit 1 on any drift."""
    db = common.get_database()
    try:
        with unit_of_work(db, read_only=True) as session:
            drift = service.check_ledger(session)
    finally:
        db.dispose()
    if not drift:
        common.console.print("[green]ledger consistent[/]")
        return
    table = Table("variant", "location", "on hand", "ledger", "difference", title="Ledger drift")
    for d in drift:
        table.add_row(
            str(d.variant_id),
            str(d.location_id),
            str(d.on_hand),
            str(d.ledger),
            f"{d.on_hand - d.ledger:+d}",
        )
    common.console.print(table)
    common.err_console.print(f"[red]{len(drift)} level(s) disagree with their ledger.[/]")
    raise typer.Exit(1)


# --- omni import stock FILE -----------------------------------------------------------


def _resolve(db: Database, rows: Sequence[SourcedLevel]) -> list[str]:
    """Check every SKU and location code in one read; problems as `line N: field: message`."""
    with unit_of_work(db, read_only=True) as session:
        try:
            resolve_levels(session, levels=[r.level for r in rows])
        except DomainError as e:
            out = []
            for err in e.errors:
                parts = str(err.get("field", "")).split(".")
                if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
                    line = rows[int(parts[1])].line
                    out.append((line, f"line {line}: {parts[2]}: {err.get('message', '')}"))
            return [text for _, text in sorted(out)] or [e.detail]
    return []


def stock(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="A .csv (header sku,location_code,on_hand) or .jsonl file.",
    ),
    batch_size: int = typer.Option(
        2000, "--batch-size", min=1, max=10_000, help="Rows per transaction."
    ),
    reference: str | None = typer.Option(
        None, help="Kept on every ledger line (default: the file name)."
    ),
) -> None:
    """Set absolute on-hand levels (an ERP/WMS export); reservations are kept.

    The whole file is checked first: if any row is bad, every problem is listed and nothing is written.
    """
    try:
        parsed = read_stock_file(file)
    except (ValueError, UnicodeDecodeError) as e:
        common.err_console.print(f"[red]{escape(str(e))}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    db = common.get_database()
    try:
        problems = parsed.errors or _resolve(db, parsed.levels)
        if problems:
            for line in problems:
                common.err_console.print(escape(line), soft_wrap=True, highlight=False)
            common.err_console.print(
                f"[red]{len(problems)} problem(s) in {escape(file.name)}; nothing was written.[/]",
                soft_wrap=True,
            )
            raise typer.Exit(1)
        ref = (reference or file.name)[:64]
        started, done, changed = time.perf_counter(), 0, 0
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=common.console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"Syncing {file.name}", total=len(parsed.levels))
            for start in range(0, len(parsed.levels), batch_size):
                batch = parsed.levels[start : start + batch_size]
                try:
                    with unit_of_work(db, actor=IMPORT_ACTOR) as session:
                        levels = resolve_levels(session, levels=[r.level for r in batch])
                        result = service.sync_levels(session, levels=levels, reference=ref)
                except (DomainError, SQLAlchemyError) as e:
                    detail = e.detail if isinstance(e, DomainError) else e.__class__.__name__
                    common.err_console.print(
                        f"[red]Lines {batch[0].line}-{batch[-1].line} were refused and rolled "
                        f"back ({escape(detail)}); {done} earlier row(s) were committed.[/]",
                        soft_wrap=True,
                    )
                    raise typer.Exit(1) from None
                done += len(batch)
                changed += result["changed"]
                progress.advance(task, len(batch))
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    common.console.print(
        f"[green]Synced {escape(file.name)}[/]: {done} levels, {changed} changed; "
        f"{seconds:.1f} s ({done / max(seconds, 1e-9):,.0f} rows/s).",
        soft_wrap=True,
    )


# --- omni worker ----------------------------------------------------------------------


@dataclass
class Round:
    """What one worker round did."""

    levels_swept: int = 0
    units_freed: int = 0
    events: int = 0
    failures: int = 0


def run_round(db: Database) -> Round:
    """Expire overdue holds (one level per transaction), then publish availability."""
    out = Round()
    try:
        with unit_of_work(db, read_only=True) as session:
            worklist = service.sweep(session)
    except SQLAlchemyError as e:  # the database is away: try again next round
        out.failures += 1
        _log(f"sweeper: {e.__class__.__name__}: {str(e).splitlines()[0]}")
        worklist = []
    for variant_id, location_id in worklist:
        try:
            with unit_of_work(db, actor=SWEEPER_ACTOR) as session:
                freed = service.expire_level(
                    session, variant_id=variant_id, location_id=location_id
                )
        except (DomainError, SQLAlchemyError) as e:
            out.failures += 1
            _log(f"sweeper: {variant_id}:{location_id}: {str(e).splitlines()[0]}")
            continue
        out.levels_swept += 1
        out.units_freed += freed
    for _ in range(PROJECTOR_ROUNDS):
        try:
            with unit_of_work(db, actor=PROJECTOR_ACTOR) as session:
                written = service.project(session, channels=service.active_channels(session))
        except (DomainError, SQLAlchemyError) as e:
            out.failures += 1
            _log(f"projector: {e.__class__.__name__}: {str(e).splitlines()[0]}")
            break
        out.events += written
        if written == 0:
            break
    return out


class KeySweeper:
    """The worker's key step: delete expired Idempotency-Key answers, one batch per
    transaction, at most once a minute (keys live a day; nothing waits for this)."""

    EVERY = timedelta(minutes=1)
    MAX_BATCHES = 20  # per run: a backlog drains over several runs

    def __init__(self, db: Database) -> None:
        self.db = db
        self._last: datetime | None = None

    def run(self) -> tuple[int, int]:
        """(keys deleted, failures)."""
        now = utcnow()
        if self._last is not None and now - self._last < self.EVERY:
            return 0, 0
        self._last = now
        swept = 0
        for _ in range(self.MAX_BATCHES):
            try:
                with unit_of_work(self.db, actor=KEYS_ACTOR) as session:
                    gone = sweep_expired(session, now=now)
            except SQLAlchemyError as e:
                _log(f"key sweeper: {e.__class__.__name__}: {str(e).splitlines()[0]}")
                return swept, 1
            swept += gone
            if gone < SWEEP_BATCH:
                break
        return swept, 0


def _log(message: str) -> None:
    """One timestamped line, never wrapped (log collectors read it whole)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    common.console.print(f"[dim]{stamp}[/] {escape(message)}", soft_wrap=True, highlight=False)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM end the loop after the current round."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def worker(
    once: bool = typer.Option(False, "--once", help="Run one round and exit."),
    interval: float = typer.Option(1.0, "--interval", min=0.05, help="Seconds between rounds."),
) -> None:
    """Expire overdue holds, publish availability changes, recompute segments nightly,
    delete expired idempotency keys."""
    db = common.get_database()
    stop = threading.Event()
    failed = False
    nightly = NightlySegments(db)  # rule segments, once a day (a separate step)
    keys = KeySweeper(db)  # expired Idempotency-Key answers, once a minute
    try:
        with _stop_on_signals(stop):
            _log(f"worker started on {db.backend}")
            while True:
                r = run_round(db)
                failed = failed or r.failures > 0
                if once or r.levels_swept or r.events or r.failures:
                    _log(
                        f"expired holds at {r.levels_swept} level(s) ({r.units_freed} units), "
                        f"published {r.events} availability event(s)"
                        + (f", {r.failures} failure(s)" if r.failures else "")
                    )
                segments_run = nightly.run()
                failed = failed or segments_run.failures > 0
                if segments_run.recomputed or segments_run.failures:
                    _log(
                        f"recomputed {len(segments_run.recomputed)} segment(s)"
                        + (f", {segments_run.failures} failure(s)" if segments_run.failures else "")
                    )
                keys_swept, keys_failed = keys.run()
                failed = failed or keys_failed > 0
                if keys_swept:
                    _log(f"deleted {keys_swept} expired idempotency key(s)")
                if once or stop.wait(interval):
                    break
    finally:
        db.dispose()
    _log("worker stopped")
    if once and failed:
        raise typer.Exit(1)


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    """Add `inventory check`, `import stock` and `worker`."""
    app.add_typer(inventory_app, name="inventory")
    import_app.command("stock")(stock)
    app.command("worker")(worker)
