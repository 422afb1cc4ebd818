"""`omni fulfilment ...`: a store's pickups as its counter lists them, and the expiry of
pickups nobody collected (what the worker's `fulfillment.expire_pickups` job does)."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.markup import escape
from rich.table import Table

from omnichannel.cli import common, fulfilment_work
from omnichannel.db import unit_of_work
from omnichannel.fulfillment import jobs
from omnichannel.fulfillment import service as fulfilment
from omnichannel.kernel.errors import DomainError
from omnichannel.locations import service as locations

fulfilment_app = typer.Typer(
    help="Fulfilment: work lists, parcels, pickups and their clocks, routing settings.",
    no_args_is_help=True,
)


def _at(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


@fulfilment_app.command("pickups")
def pickups(
    location: str = typer.Argument(..., help="The store's code, e.g. ST-KRK-01."),
    state: fulfilment.Listing = typer.Option(
        fulfilment.Listing.OVERDUE, help="waiting, overdue, ready or expiring."
    ),
) -> None:
    """A store's pickups in one of the counter's lists."""
    db = common.get_database()
    try:
        with unit_of_work(db, read_only=True) as session:
            store = locations.find_location(session, code=location)
            if store is None:
                common.err_console.print(f"[red]No location {escape(location)}.[/]")
                raise typer.Exit(1)
            found = fulfilment.pickups_at(session, location_id=store.id, listing=state, by=None)
    except DomainError as e:
        common.err_console.print(f"[red]{escape(e.detail)}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    table = Table("order", "status", "ready by", "overdue by", "collect by", "wrong tries")
    for x in found:
        p = x.pickup
        table.add_row(
            escape(x.order_number or str(p.order_id)),
            p.status,
            _at(p.ready_due_at),
            f"{x.overdue_hours:.1f} h" if x.overdue_hours is not None else "",
            _at(p.collect_by),
            str(p.code_attempts or ""),
        )
    common.console.print(table)


@fulfilment_app.command("expire-pickups")
def expire_pickups() -> None:
    """Cancel now the orders whose pickup is past its collect-by day."""
    db = common.get_database()
    try:
        outcome = jobs.expire_pickups(db)
    finally:
        db.dispose()
    common.console.print(outcome.describe(), soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add `omni fulfilment ...`."""
    app.add_typer(fulfilment_app, name="fulfilment")
    fulfilment_work.register(fulfilment_app)  # the work itself and the settings
