"""`omni import products FILE`: check the whole file first, then write it batch by
batch, each batch in its own transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError

from omnichannel.catalog.files import SourcedProduct, bulk_allocation, read_import_file
from omnichannel.catalog.importing import import_products
from omnichannel.catalog.rules import LineError
from omnichannel.cli import common
from omnichannel.db import Database, unit_of_work
from omnichannel.kernel.errors import DomainError

ACTOR = "cli:import"


@dataclass
class ImportOutcome:
    """What a file import did; `problems` is empty when every batch was committed."""

    batches: int = 0  # committed
    created_products: int = 0
    updated_products: int = 0
    created_variants: int = 0
    updated_variants: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    failed_lines: tuple[int, int] | None = None


def _lines(batch: Sequence[SourcedProduct]) -> tuple[int, int]:
    lines = [n for s in batch for n in s.origin.lines]
    return min(lines), max(lines)


def _locate(batch: Sequence[SourcedProduct], error: DomainError) -> list[str]:
    """Turn `products.3.variants.1.gtin` back into the line and column it came from."""
    out: list[LineError] = []
    for e in error.errors:
        parts: list[str | int] = [
            int(p) if p.isdigit() else p for p in str(e.get("field", "")).split(".")
        ]
        if (
            len(parts) >= 2
            and parts[0] == "products"
            and isinstance(parts[1], int)
            and parts[1] < len(batch)
        ):
            line, where = batch[parts[1]].origin.locate(parts[2:])
            out.append(LineError(line, where, str(e.get("message", ""))))
    if not out:
        first, last = _lines(batch)
        return [f"lines {first}-{last}: {error.detail}"]
    return [str(e) for e in sorted(out, key=lambda e: e.line)]


def run_import(
    db: Database,
    products: Sequence[SourcedProduct],
    *,
    batch_size: int = 1000,
    on_batch: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Write checked products `batch_size` at a time, one transaction per batch; stop
    at the first batch the database refuses (it is rolled back whole)."""
    outcome = ImportOutcome()
    started = time.perf_counter()
    with bulk_allocation():
        _run_batches(db, products, batch_size, on_batch, outcome)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _run_batches(
    db: Database,
    products: Sequence[SourcedProduct],
    batch_size: int,
    on_batch: Callable[[int], None] | None,
    outcome: ImportOutcome,
) -> None:
    for start in range(0, len(products), batch_size):
        batch = products[start : start + batch_size]
        try:
            with unit_of_work(db, actor=ACTOR) as session:
                result = import_products(session, products=[s.product for s in batch])
        except DomainError as e:
            outcome.problems = _locate(batch, e)
        except SQLAlchemyError as e:
            first, last = _lines(batch)
            outcome.problems = [
                f"lines {first}-{last}: the database refused the batch: {e.__class__.__name__}"
            ]
        if outcome.problems:
            outcome.failed_lines = _lines(batch)
            break
        outcome.batches += 1
        outcome.created_products += result.created_products
        outcome.updated_products += result.updated_products
        outcome.created_variants += result.created_variants
        outcome.updated_variants += result.updated_variants
        if on_batch is not None:
            on_batch(sum(len(s.product.variants) for s in batch))


def products(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="A .csv (header row) or .jsonl file."
    ),
    batch_size: int = typer.Option(
        1000, "--batch-size", min=1, max=10_000, help="Products per transaction."
    ),
) -> None:
    """Upsert products (by product_code) and variants (by sku) from a CSV or JSONL file.

    The whole file is checked first: if any row is bad, every problem is listed and nothing is written.
    """
    try:
        parsed = read_import_file(file)
    except (ValueError, UnicodeDecodeError) as e:
        common.err_console.print(f"[red]{escape(str(e))}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    if parsed.errors:
        for err in parsed.errors:
            common.err_console.print(escape(str(err)), soft_wrap=True, highlight=False)
        common.err_console.print(
            f"[red]{len(parsed.errors)} problem(s) in {escape(file.name)}; nothing was written.[/]",
            soft_wrap=True,
        )
        raise typer.Exit(1)

    db = common.get_database()
    try:
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=common.console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"Importing {file.name}", total=parsed.variants)
            outcome = run_import(
                db,
                parsed.products,
                batch_size=batch_size,
                on_batch=lambda n: progress.advance(task, n),
            )
    finally:
        db.dispose()

    if outcome.problems:
        for line in outcome.problems:
            common.err_console.print(escape(line), soft_wrap=True, highlight=False)
        first, last = outcome.failed_lines or (0, 0)
        common.err_console.print(
            f"[red]The batch of lines {first}-{last} was refused and rolled back; "
            f"{outcome.batches} earlier batch(es) were committed "
            f"({outcome.created_products + outcome.updated_products} products).[/]",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    common.console.print(
        f"[green]Imported {escape(file.name)}[/]: {outcome.created_products} products created, "
        f"{outcome.updated_products} updated; {outcome.created_variants} variants created, "
        f"{outcome.updated_variants} updated; {outcome.seconds:.1f} s "
        f"({parsed.variants / max(outcome.seconds, 1e-9):,.0f} variants/s).",
        soft_wrap=True,
    )


def register(import_app: typer.Typer) -> None:
    """Add `products` to the `omni import` group."""
    import_app.command("products")(products)
