"""`omni fulfilment ...` for the work itself: a location's work list, an order's
fulfilment orders, parcels and pickup, the parcel steps, a line not on the shelf,
the catch-up of allocation, and the settings of locations and channels.

Steps that call a carrier or move an order run their own transactions (`units`),
as they do over HTTP; reads run in one read-only transaction. A refusal prints its
reason and exits 1; settings the schema refuses exit 2, naming the setting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from omnichannel.channels import service as channels
from omnichannel.cli import common
from omnichannel.db import Database, unit_of_work
from omnichannel.db.session import Units, units
from omnichannel.fulfillment import lookup, rerouting, settings, shipping, waiting
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment.carriers import base as carriers
from omnichannel.fulfillment.rules import FulfilmentStatus
from omnichannel.fulfillment.schemas_settings import ChannelRoutingIn, LocationFulfilmentIn
from omnichannel.kernel import NotFound
from omnichannel.kernel.errors import DomainError
from omnichannel.locations import service as locations
from omnichannel.orders import service as orders

ACTOR = "cli:fulfilment"
STAFF = orders.Access(staff=True)

settings_app = typer.Typer(
    help="How a location fulfils and how a channel routes (no option: show them).",
    no_args_is_help=True,
)

T = TypeVar("T")


def _fail(message: str, code: int = 1) -> typer.Exit:
    common.err_console.print(f"[red]{escape(message)}[/]", soft_wrap=True, highlight=False)
    return typer.Exit(code)


@contextmanager
def _database() -> Iterator[Database]:
    """The database, disposed after the command; a refusal becomes its message and
    exit code 1."""
    db = common.get_database()
    try:
        yield db
    except DomainError as e:
        fields = "; ".join(f"{x.get('field')}: {x.get('message')}" for x in e.errors)
        raise _fail(e.detail + (f" ({fields})" if fields else "")) from None
    finally:
        db.dispose()


def _read(db: Database, read: Callable[[Session], T]) -> T:
    with unit_of_work(db, read_only=True) as session:
        return read(session)


def _units(db: Database) -> Units:
    return units(db, actor=ACTOR)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at is not None else "-"


# --- the work --------------------------------------------------------------------------


def work(
    location: str = typer.Argument(..., help="The location's code, e.g. WH-STRYKOW."),
    status: list[FulfilmentStatus] = typer.Option(
        [FulfilmentStatus.ALLOCATED], "--status", help="Only these states (repeatable)."
    ),
    limit: int = typer.Option(100, min=1, max=500),
) -> None:
    """A location's fulfilment orders, oldest first (default: waiting to be sent)."""
    with _database() as db:

        def read(session: Session) -> Any:
            loc = locations.find_location(session, code=location.upper())
            if loc is None:
                raise NotFound(f"There is no location {location}.")
            return loc, shipping.work_at(session, location_id=loc.id, statuses=status, limit=limit)

        loc, found = _read(db, read)
    table = Table("number", "kind", "status", "dispatch by", "lines", "units", "since")
    for fo in found:
        table.add_row(
            fo.number,
            fo.kind,
            fo.status,
            str(fo.dispatch_by or "-"),
            str(len(fo.lines)),
            str(sum(ln.quantity for ln in fo.lines)),
            _when(fo.created_at),
        )
    common.console.print(table)
    common.console.print(f"{len(found)} fulfilment order(s) at {escape(loc.name)}.")


def show(number: str = typer.Argument(..., help="The order's number.")) -> None:
    """An order's fulfilment orders, parcels and pickup."""
    with _database() as db:

        def read(session: Session) -> Any:
            order = orders.by_number(session, number=number, access=STAFF)
            found = fulfilment.of_order(session, order_id=order.id, access=STAFF)
            where = locations.get_locations(
                session, location_ids=[fo.location_id for fo in found.fulfilments]
            )
            return found, lookup.shipments_of(session, order_id=order.id), where

        found, parcels, where = _read(db, read)
    common.console.print(f"Order {found.order.number}: {found.order.status}")
    # A line routed elsewhere stays on its first fulfilment order, its units released.
    released = {
        a.id for a in found.order.allocations if a.status == orders.AllocationStatus.RELEASED
    }
    table = Table("fulfilment", "kind", "status", "from", "units", title="Fulfilment orders")
    for fo in found.fulfilments:
        loc = where.get(fo.location_id)
        table.add_row(
            fo.number,
            fo.kind,
            fo.status,
            escape(loc.code if loc else str(fo.location_id)),
            str(sum(ln.quantity for ln in fo.lines if ln.allocation_id not in released)),
        )
    common.console.print(table)
    if parcels:
        table = Table("parcel", "carrier", "tracking", "status", "shipped", title="Parcels")
        for p in parcels:
            table.add_row(
                str(p.id),
                escape(p.carrier),
                escape(p.tracking_number or "-"),
                p.status,
                _when(p.shipped_at),
            )
        common.console.print(table)
    p = found.pickup
    if p is not None:
        common.console.print(
            f"Pickup ({p.kind}): {p.status}; ready by {_when(p.ready_due_at)}, "
            f"collect by {_when(p.collect_by)}.",
            soft_wrap=True,
        )


def book(
    number: str = typer.Argument(..., help="The fulfilment order's number, e.g. ABC123-1."),
    carrier: str | None = typer.Option(None, help="The carrier (default: the sandbox)."),
) -> None:
    """Book a parcel with the carrier for a fulfilment order waiting to ship."""
    with _database() as db:
        fo = _read(db, lambda s: lookup.fulfilment_by_number(s, number=number))
        done = fulfilment.book(
            _units(db), fulfilment_order_id=fo.id, carrier=carrier or carriers.SANDBOX
        )
    parcel = done.shipment
    common.console.print(
        f"[green]Booked[/] {fo.number}: parcel {parcel.id}, {escape(parcel.carrier)} "
        f"tracking {escape(parcel.tracking_number or '-')} ({parcel.status}).",
        soft_wrap=True,
    )


def hand_over(
    parcel: str = typer.Argument(..., help="The parcel's tracking number or id."),
) -> None:
    """The parcel left with the carrier: its goods sold where they left, paid for."""
    with _database() as db:
        found = _read(db, lambda s: lookup.shipment_by_reference(s, reference=parcel))
        done = fulfilment.hand_over(_units(db), shipment_id=found.id)
    common.console.print(f"[green]Handed over[/] parcel {done.id} ({done.status}).")


def track(parcel: str = typer.Argument(..., help="The parcel's tracking number or id.")) -> None:
    """Ask the carrier where the parcel is, and record it."""
    with _database() as db:
        found = _read(db, lambda s: lookup.shipment_by_reference(s, reference=parcel))
        done = fulfilment.track(_units(db), shipment_id=found.id)
    delivered = f", delivered {_when(done.delivered_at)}" if done.delivered_at else ""
    common.console.print(f"Parcel {done.id}: {done.status}{delivered}.")


def reject(
    number: str = typer.Argument(..., help="The fulfilment order's number."),
    line_no: int = typer.Argument(..., min=1, help="The order line's number."),
    missing: int | None = typer.Option(
        None, min=1, max=10_000, help="Units not on the shelf (default: all the line holds)."
    ),
) -> None:
    """Report units of a line not on the shelf: the count corrected, the line re-routed.

    A line nobody else can serve is cancelled and its money given back.
    """
    with _database() as db:
        fo = _read(db, lambda s: lookup.fulfilment_by_number(s, number=number))
        done = rerouting.reject(
            _units(db), fulfilment_order_id=fo.id, line_no=line_no, missing=missing
        )
    for line in done.explanation:
        common.console.print(escape(line), soft_wrap=True, highlight=False)
    if done.cancelled_lines:
        cancelled = ", ".join(map(str, done.cancelled_lines))
        common.console.print(f"[yellow]Cancelled line(s) {cancelled}[/]: nobody has them.")
    else:
        common.console.print(f"[green]Line {line_no} routed again.[/]")


# --- the consumer's catch-up ---------------------------------------------------------


def allocate(limit: int = typer.Option(100, min=1, max=10_000)) -> None:
    """Allocate confirmed orders that have no fulfilment orders yet.

    The outbox consumer's catch-up: for orders confirmed before it ran (an upgrade)
    or whose event it parked.
    """
    with _database() as db:
        done = waiting.allocate_waiting(_units(db), limit=limit)
    common.console.print(
        f"Allocated {done.orders} order(s) into {done.fulfilment_orders} fulfilment "
        f"order(s); {done.failures} failure(s)."
    )
    if done.failures:
        raise typer.Exit(1)


# --- settings ---------------------------------------------------------------------------


def _print_settings(title: str, found: settings.Settings) -> None:
    table = Table("setting", "value", "", title=title)
    for name, value in found.values.items():
        shown = (
            "-" if value is None else value.strftime("%H:%M") if hasattr(value, "hour") else value
        )
        table.add_row(name, str(shown), "default" if name in found.default_names else "")
    common.console.print(table)


def _merged(found: settings.Settings, given: dict[str, Any], back: list[str]) -> dict[str, Any]:
    """What is set, with the options given over it and the named settings back to
    their defaults."""
    unknown = sorted(set(back) - set(found.set))
    if unknown:
        raise _fail(f"No setting {', '.join(unknown)}; there are {', '.join(found.set)}.", 2)
    merged = dict(found.set) | {k: v for k, v in given.items() if v is not None}
    return merged | dict.fromkeys(back)


def _validated(schema: type[T], doc: dict[str, Any]) -> T:
    try:
        return schema.model_validate(doc)  # type: ignore[attr-defined, no-any-return]
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, x['loc']))}: {x['msg'].removeprefix('Value error, ')}"
            for x in e.errors()
        )
        raise _fail(f"Not changed: {problems}.", 2) from None


DEFAULT_OPTION = typer.Option(
    [], "--default", help="Give this setting back to its default (repeatable)."
)


@settings_app.command("location")
def location_settings(
    code: str = typer.Argument(..., help="The location's code."),
    cost: int | None = typer.Option(None, help="Minor units per fulfilment order."),
    capacity: int | None = typer.Option(None, help="Fulfilment orders a day."),
    cutoff: str | None = typer.Option(None, help="The carrier's last collection, HH:MM."),
    ready_within: int | None = typer.Option(None, help="Pickup ready within N opening hours."),
    collect_within: int | None = typer.Option(None, help="A ready pickup waits N open days."),
    hold: int | None = typer.Option(None, help="Reserve & collect hold, hours."),
    back: list[str] = DEFAULT_OPTION,
) -> None:
    """Show a location's fulfilment settings, or change the ones given."""
    given = {
        "shipment_cost": cost,
        "daily_capacity": capacity,
        "cutoff": cutoff,
        "ready_within_hours": ready_within,
        "collect_within_days": collect_within,
        "reserve_hold_hours": hold,
    }
    with _database() as db:

        def current(session: Session) -> settings.Settings:
            loc = locations.find_location(session, code=code.upper())
            if loc is None:
                raise NotFound(f"There is no location {code}.")
            return settings.location_settings(session, location_id=loc.id)

        found = _read(db, current)
        if any(v is not None for v in given.values()) or back:
            doc = _merged(found, given, back)
            data = _validated(LocationFulfilmentIn, {**doc, "cutoff": _hh_mm(doc["cutoff"])})
            with unit_of_work(db, actor=ACTOR) as session:
                found = settings.set_location_settings(
                    session, location_id=found.owner_id, data=data, if_match=found.etag
                )
    _print_settings(f"Fulfilment settings of {code.upper()}", found)


@settings_app.command("channel")
def channel_settings(
    code: str = typer.Argument(..., help="The channel's code."),
    max_shipments: int | None = typer.Option(None, help="Most parcels an order splits into."),
    stores_ship: bool | None = typer.Option(
        None, "--stores-ship/--no-stores-ship", help="Stores may send home deliveries."
    ),
    split_penalty: int | None = typer.Option(None, help="Minor units per extra parcel."),
    cost_per_km: int | None = typer.Option(None, help="Minor units a kilometre."),
    cost_per_day: int | None = typer.Option(None, help="Minor units a day of waiting."),
    hold: int | None = typer.Option(None, help="Reserve & collect hold, hours."),
    back: list[str] = DEFAULT_OPTION,
) -> None:
    """Show a channel's routing policy, or change the settings given."""
    given = {
        "max_shipments": max_shipments,
        "stores_ship": stores_ship,
        "split_penalty": split_penalty,
        "cost_per_km": cost_per_km,
        "cost_per_day": cost_per_day,
        "reserve_hold_hours": hold,
    }
    with _database() as db:

        def current(session: Session) -> settings.Settings:
            ch = channels.get_channel_by_code(session, code=code)
            return settings.channel_routing(session, channel_id=ch.id)

        found = _read(db, current)
        if any(v is not None for v in given.values()) or back:
            data = _validated(ChannelRoutingIn, _merged(found, given, back))
            with unit_of_work(db, actor=ACTOR) as session:
                found = settings.set_channel_routing(
                    session, channel_id=found.owner_id, data=data, if_match=found.etag
                )
    _print_settings(f"Routing of channel {code}", found)


def _hh_mm(value: Any) -> Any:
    return value.strftime("%H:%M") if hasattr(value, "strftime") else value


def register(fulfilment_app: typer.Typer) -> None:
    """Add the work's commands and `settings` to `omni fulfilment`."""
    fulfilment_app.command("work")(work)
    fulfilment_app.command("show")(show)
    fulfilment_app.command("book")(book)
    fulfilment_app.command("hand-over")(hand_over)
    fulfilment_app.command("track")(track)
    fulfilment_app.command("reject")(reject)
    fulfilment_app.command("allocate")(allocate)
    fulfilment_app.add_typer(settings_app, name="settings")
