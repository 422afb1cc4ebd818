"""`omni pricing parity` and `omni import prices FILE`."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from omnichannel.cli import common
from omnichannel.db import unit_of_work
from omnichannel.kernel.errors import DomainError
from omnichannel.pricing import service
from omnichannel.pricing.importing import located

pricing_app = typer.Typer(help="Prices, promotions and channel parity.", no_args_is_help=True)

IMPORT_ACTOR = "cli:import"


@pricing_app.command("parity")
def parity(
    currency: str = typer.Option("PLN", help="Currency to compare in."),
    carts: int = typer.Option(20, min=1, max=200, help="Random carts to try."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 if any difference is found."),
) -> None:
    """Quote sample carts in every channel; list every difference and its cause."""
    db = common.get_database()
    try:
        with unit_of_work(db, read_only=True) as session:
            report = service.parity(session, currency=currency.upper(), carts=carts)
    except DomainError as e:
        common.err_console.print(f"[red]{escape(e.detail)}[/]", soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    common.console.print(
        f"Quoted {report.carts} carts x {report.quotes // max(report.carts, 1)} "
        f"(segment, channel) pairs = {report.quotes} quotes in {report.currency} across "
        f"{len(report.channels)} channels.",
        soft_wrap=True,
    )
    if report.overrides:
        common.console.print("Configured channel overrides:")
        for o in report.overrides:
            common.console.print(
                f"  {o.kind} {escape(o.code)}: {', '.join(o.channels)}", soft_wrap=True
            )
    if not report.differences:
        common.console.print("[green]No differences: every channel quotes the same.[/]")
        return
    table = Table("channel", "segments", "sku", "field", "reference", "channel's", "cause")
    for d in report.differences:
        table.add_row(
            d.channel,
            ", ".join(d.segments) or "-",
            d.sku,
            d.field,
            str(d.reference),
            str(d.value),
            escape(d.cause),
        )
    common.console.print(table)
    common.console.print(f"[yellow]{len(report.differences)} difference(s).[/]")
    if strict:
        raise typer.Exit(1)


def prices(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="A .csv (header sku,price_list,price[,valid_from]) or .jsonl file.",
    ),
) -> None:
    """Import prices by SKU and price list code; decimals in the list's currency.

    The whole file is checked first and written in one transaction: if any row is bad,
    every problem is listed with its line and nothing is written.
    """
    try:
        parsed = service.read_price_file(file)
    except (ValueError, UnicodeDecodeError) as e:
        common.err_console.print(f"[red]{escape(str(e))}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    if parsed.errors:
        _refuse(file, parsed.errors)
    db = common.get_database()
    started = time.perf_counter()
    try:
        with unit_of_work(db, actor=IMPORT_ACTOR) as session:
            result = service.import_prices(session, rows=[r.row for r in parsed.rows])
    except DomainError as e:
        problems = [located(parsed.rows, err) for err in e.errors]
        _refuse(file, [text for _, text in sorted(problems)] or [e.detail])
    except SQLAlchemyError as e:
        common.err_console.print(
            f"[red]The database refused the import ({e.__class__.__name__}).[/]"
        )
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    common.console.print(
        f"[green]Imported {escape(file.name)}[/]: {result.rows} rows, {result.changed} prices "
        f"changed in {', '.join(result.price_lists)}; {seconds:.1f} s.",
        soft_wrap=True,
    )


def _refuse(file: Path, problems: list[str]) -> None:
    for line in problems:
        common.err_console.print(escape(line), soft_wrap=True, highlight=False)
    common.err_console.print(
        f"[red]{len(problems)} problem(s) in {escape(file.name)}; nothing was written.[/]",
        soft_wrap=True,
    )
    raise typer.Exit(1)


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    """Add `pricing parity` and `import prices`."""
    app.add_typer(pricing_app, name="pricing")
    import_app.command("prices")(prices)
