"""`omni inventory check` and `omni import stock FILE`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from omnichannel.cli import common
from omnichannel.db import Database, unit_of_work
from omnichannel.inventory import service
from omnichannel.inventory.importing import SourcedLevel, read_stock_file, resolve_levels
from omnichannel.kernel.errors import DomainError

inventory_app = typer.Typer(help="Stock levels and the movement ledger.", no_args_is_help=True)

IMPORT_ACTOR = "cli:import"


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


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    """Add `inventory check` and `import stock`."""
    app.add_typer(inventory_app, name="inventory")
    import_app.command("stock")(stock)
