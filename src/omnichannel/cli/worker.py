"""`omni worker`: run the registered jobs (`omnichannel.schedule`) until stopped."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import typer
from rich.markup import escape

from omnichannel import schedule
from omnichannel.cli import common
from omnichannel.payments import service as payments
from omnichannel.payments.stored_value_provider import StoredValueProvider
from omnichannel.worker.runner import Runner


def log(message: str) -> None:
    """One timestamped line, never wrapped (log collectors read it whole)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    common.console.print(f"[dim]{stamp}[/] {escape(message)}", soft_wrap=True, highlight=False)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM end the loop after the current pass."""

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
    once: bool = typer.Option(False, "--once", help="Run every due job once and exit."),
    interval: float = typer.Option(1.0, "--interval", min=0.05, help="Seconds between passes."),
) -> None:
    """Run the worker's jobs: expire overdue holds, deliver outbox events to their
    consumers (availability among them), recompute segments nightly, sweep expired
    idempotency keys, prune delivered events. Exits 1 after --once if a job failed."""
    schedule.install()
    db = common.get_database()
    # Settling a payment asks its provider again: ours answers from this database.
    payments.register(StoredValueProvider(db))
    stop = threading.Event()
    runner = Runner(db, log=log)
    try:
        with _stop_on_signals(stop):
            log(f"worker {runner.worker} started on {db.backend}: {len(runner.jobs)} job(s)")
            if once:
                results = runner.run_due()
                for r in results:
                    if r.outcome is not None and not r.outcome.busy():
                        log(f"{r.job}: {r.outcome.describe()}")
                failed = any(r.failed for r in results)
            else:
                failed = runner.loop(stop, interval)
    finally:
        db.dispose()
    log("worker stopped")
    if once and failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `omni worker`."""
    app.command("worker")(worker)
