"""`omni events ...`: how far behind each outbox consumer is; parked events; replay."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.markup import escape
from rich.table import Table

from omnichannel import schedule
from omnichannel.cli import common
from omnichannel.db import unit_of_work
from omnichannel.events import service
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import DomainError

events_app = typer.Typer(help="Outbox consumers and parked events.", no_args_is_help=True)


def _age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "-"
    seconds = max(int((now - since).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


@events_app.command("status")
def status(
    shards: bool = typer.Option(False, "--shards", help="One line per shard."),
) -> None:
    """Each consumer's position, backlog, oldest undelivered event, parked events and
    who holds its shards."""
    schedule.install()
    db = common.get_database()
    try:
        with unit_of_work(db, read_only=True) as session:
            found = service.status(session)
    finally:
        db.dispose()
    now = utcnow()
    table = Table(
        "consumer", "shard(s)", "position", "backlog", "oldest", "parked", "lease holder", "failing"
    )
    for c in found:
        if not shards:
            failing = [s for s in c.shards if s.attempts]
            table.add_row(
                escape(c.name),
                str(len(c.shards)),
                str(c.position),
                str(c.backlog),
                _age(c.oldest_at, now),
                str(c.parked),
                escape(", ".join(c.holders(now)) or "-"),
                escape(failing[0].last_error or "") if failing else "",
            )
            continue
        for s in c.shards:
            held = s.leased_by if s.leased_until and s.leased_until > now else None
            table.add_row(
                escape(c.name),
                str(s.shard),
                str(s.position),
                str(s.backlog),
                _age(s.oldest_at, now),
                "",
                escape(held or "-"),
                escape(f"{s.attempts}x {s.last_error}") if s.attempts else "",
            )
    common.console.print(table)


@events_app.command("parked")
def parked(
    consumer: str | None = typer.Option(None, help="Only this consumer's."),
    all_: bool = typer.Option(False, "--all", help="Replayed ones too."),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Events a consumer gave up on."""
    db = common.get_database()
    try:
        with unit_of_work(db, read_only=True) as session:
            rows = service.parked_events(
                session, consumer=consumer, include_replayed=all_, limit=limit
            )[:limit]
    finally:
        db.dispose()
    table = Table("id", "consumer", "event", "type", "attempts", "parked", "replay", "last error")
    now = utcnow()
    for p in rows:
        replay = "done" if p.replayed_at else "requested" if p.replay_requested_at else ""
        table.add_row(
            str(p.id),
            escape(p.consumer),
            str(p.event_id),
            escape(p.event_type),
            str(p.attempts),
            _age(p.parked_at, now) + " ago",
            replay,
            escape(p.last_error),
        )
    common.console.print(table)


@events_app.command("replay")
def replay(parked_id: int = typer.Argument(..., help="The parked event's id.")) -> None:
    """Deliver a parked event again: its consumer does on its next run."""
    db = common.get_database()
    try:
        with unit_of_work(db, actor="cli:events") as session:
            row = service.replay(session, parked_id=parked_id)
    except DomainError as e:
        common.err_console.print(f"[red]{escape(e.detail)}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    common.console.print(
        f"Replay of event {row.event_id} requested for {escape(row.consumer)}.", soft_wrap=True
    )


def register(app: typer.Typer) -> None:
    """Add `omni events ...`."""
    app.add_typer(events_app, name="events")
