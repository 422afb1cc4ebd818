"""`omni`: serve the API, migrate, import, load the demo retailer."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.markup import escape

from omnichannel import __version__, wiring
from omnichannel.cli import catalog, customers, events, fulfilment, inventory, pricing, worker
from omnichannel.cli.common import console, err_console, get_database
from omnichannel.cli.customers import ensure_demo_key
from omnichannel.config import get_settings

app = typer.Typer(
    help="Omnichannel: unified commerce backend.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports from files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")


def _register_subcommands() -> None:
    wiring.install()

    catalog.register(import_app)
    inventory.register(app, import_app)
    customers.register(app)
    pricing.register(app, import_app)
    worker.register(app)
    events.register(app)
    fulfilment.register(app)


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the database (OMNI_DATABASE_URL) to the newest schema."""
    from omnichannel.db.migrate import current_revision, upgrade  # Alembic: ~0.3 s, see `demo`

    db = get_database()
    try:
        before = current_revision(db.engine)
        upgrade(db.engine, revision)
        after = current_revision(db.engine)
    finally:
        db.dispose()
    if before == after:
        console.print(f"[green]Schema is current[/] ({after}) on {db.backend}.")
    else:
        console.print(f"[green]Migrated[/] {before or 'empty'} → {after} on {db.backend}.")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from omnichannel.db.migrate import current_revision  # Alembic: ~0.3 s, see `demo`

    db = get_database()
    try:
        console.print(current_revision(db.engine) or "empty")
    finally:
        db.dispose()


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (default OMNI_HOST)."),
    port: int | None = typer.Option(None, help="Port (default OMNI_PORT)."),
    workers: int | None = typer.Option(None, help="Worker processes (default OMNI_WORKERS)."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
) -> None:
    """Serve the API."""
    from omnichannel.http import server  # uvicorn: ~0.2 s to import, only `omni serve` pays it

    try:
        s = get_settings()
    except ValidationError as e:
        err_console.print(f"[red]Refusing to start:[/] {escape(str(e))}", soft_wrap=True)
        raise typer.Exit(2) from None
    host, port = host or s.host, port or s.port
    console.print(f"API:  http://{host}:{port}/api/v1/health\nDocs: http://{host}:{port}/docs")
    server.run(
        host=host, port=port, workers=None if reload else (workers or s.workers), reload=reload
    )


@app.command()
def demo(
    serve_after: bool = typer.Option(
        True, "--serve/--no-serve", help="Serve the API after loading."
    ),
) -> None:
    """Migrate, load the demo retailer (once) and serve it."""
    # Alembic and the demo data cost ~0.3 s each to import: only these commands pay it.
    from omnichannel.db.migrate import upgrade
    from omnichannel.demo.load import load_demo

    s = get_settings()
    if s.env == "prod":
        err_console.print("[red]Refusing to load demo data with OMNI_ENV=prod.[/]")
        raise typer.Exit(2)
    if ensure_demo_key():
        console.print(
            "Generated OMNI_SECRET_KEY for the demo's customer data and saved it in .env."
        )
    db = get_database()
    try:
        upgrade(db.engine)
        report = load_demo(db, seed=s.demo_seed)
    finally:
        db.dispose()
    report.print(console)
    if serve_after:
        serve(host=None, port=None, workers=None, reload=False)


_register_subcommands()
