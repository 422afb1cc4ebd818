"""`omni inventory check`, `omni import stock` and `omni worker --once`, with real commits."""

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from omnichannel.cli.main import app
from omnichannel.db import Database, OutboxEvent, unit_of_work
from omnichannel.inventory import service as inventory
from omnichannel.inventory.models import Reservation, StockLevel, StockMovement
from omnichannel.inventory.rules import OwnerType
from omnichannel.kernel import utcnow
from tests.integration.inventory.conftest import World, build_world


@pytest.fixture
def cli_db(committing_db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr("omnichannel.cli.common.get_database", lambda: committing_db)
    return committing_db


@pytest.fixture
def stocked(cli_db: Database) -> World:
    """SKU-000..SKU-002 with 10 each at WH-1, committed."""
    with unit_of_work(cli_db, actor="test") as s:
        return build_world(s, n_variants=3, stock=10)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _levels(db: Database) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[int, int]]:
    with unit_of_work(db, read_only=True) as s:
        return {
            (x.variant_id, x.location_id): (x.on_hand, x.reserved)
            for x in s.scalars(select(StockLevel))
        }


def test_check_says_the_ledger_is_consistent(stocked: World) -> None:
    code, out = _run("inventory", "check")
    assert code == 0, out
    assert "ledger consistent" in out


def test_check_lists_every_level_that_drifted_from_its_ledger_and_fails(
    cli_db: Database, stocked: World
) -> None:
    v = stocked.variants[1]
    with unit_of_work(cli_db) as s:
        s.execute(update(StockLevel).where(StockLevel.variant_id == v).values(on_hand=13))
    code, out = _run("inventory", "check")
    assert code == 1
    assert str(v)[:8] in out
    assert "+3" in out
    assert "1 level(s) disagree" in out


def _csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "stock.csv"
    path.write_text(
        "sku,location_code,on_hand\n" + "".join(r + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_import_stock_sets_absolute_levels_batch_by_batch_and_keeps_reservations(
    cli_db: Database, stocked: World, tmp_path: Path
) -> None:
    a, b, _ = stocked.variants
    with unit_of_work(cli_db, actor="test") as s:
        inventory.reserve(
            s,
            lines=[inventory.Line(a, stocked.warehouse, 4)],
            owner=inventory.Owner(OwnerType.ORDER, "A-1"),
            ttl=None,
        )
    path = _csv(tmp_path, "SKU-000,WH-1,2", "SKU-001,WH-1,10", "SKU-001,ST-1,5")
    code, out = _run("import", "stock", str(path), "--batch-size", "2")
    assert code == 0, out
    assert "3 levels, 2 changed" in out
    levels = _levels(cli_db)
    assert levels[(a, stocked.warehouse)] == (2, 4)
    assert levels[(b, stocked.store)] == (5, 0)
    with unit_of_work(cli_db, read_only=True) as s:
        syncs = s.execute(
            select(StockMovement.actor, StockMovement.reference_id).where(
                StockMovement.kind == "sync"
            )
        ).all()
    assert set(syncs) == {("cli:import", "stock.csv")}
    assert _run("inventory", "check")[0] == 0


def test_import_stock_names_every_bad_line_and_writes_nothing(
    cli_db: Database, stocked: World, tmp_path: Path
) -> None:
    before = _levels(cli_db)
    path = _csv(
        tmp_path,
        "SKU-000,WH-1,1",
        "SKU-001,WH-1,-4",
        "SKU-404,WH-1,1",
        "SKU-002,XX-9,1",
        "SKU-000,WH-1,2",
        "SKU-002,WH-1,many",
    )
    code, out = _run("import", "stock", str(path))
    assert code == 1
    assert "line 3: on_hand: Input should be greater than or equal to 0" in out
    assert "line 6: sku: SKU-000 at WH-1 repeats line 2" in out
    assert "line 7: on_hand: Input should be a valid integer" in out
    assert "3 problem(s) in stock.csv; nothing was written." in out
    assert _levels(cli_db) == before

    path = _csv(tmp_path, "SKU-000,WH-1,1", "SKU-404,WH-1,1", "SKU-002,XX-9,1")
    code, out = _run("import", "stock", str(path))
    assert code == 1
    assert "line 3: sku: unknown SKU 'SKU-404'" in out
    assert "line 4: location_code: unknown location 'XX-9'" in out
    assert "2 problem(s)" in out
    assert _levels(cli_db) == before


def test_import_stock_reads_json_lines_and_refuses_other_files(
    cli_db: Database, stocked: World, tmp_path: Path
) -> None:
    path = tmp_path / "stock.jsonl"
    rows = [
        {"sku": "SKU-002", "location_code": "ST-2", "on_hand": 7},
        {"sku": "SKU-000", "location_code": "WH-1", "on_hand": 10},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    code, out = _run("import", "stock", str(path))
    assert code == 0, out
    assert _levels(cli_db)[(stocked.variants[2], stocked.other_store)] == (7, 0)
    path.write_text(
        '{"sku": "SKU-002", "location_code": "ST-2", "on_hand": 1, "colour": "red"}\n[1]\n',
        encoding="utf-8",
    )
    code, out = _run("import", "stock", str(path))
    assert code == 1
    assert "line 1: colour: Extra inputs are not permitted" in out
    assert "line 2: expected a JSON object" in out
    other = tmp_path / "stock.xlsx"
    other.write_text("x", encoding="utf-8")
    assert _run("import", "stock", str(other))[0] == 1


def test_the_worker_expires_an_overdue_hold_and_publishes_availability(
    cli_db: Database, stocked: World
) -> None:
    v = stocked.variants[0]
    with unit_of_work(cli_db, actor="test") as s:
        [held] = inventory.reserve(
            s,
            lines=[inventory.Line(v, stocked.warehouse, 3)],
            owner=inventory.Owner(OwnerType.CART, "cart-1"),
            ttl=timedelta(minutes=15),
            now=utcnow() - timedelta(hours=1),
        )
    assert _levels(cli_db)[(v, stocked.warehouse)] == (10, 3)
    code, out = _run("worker", "--once")
    assert code == 0, out
    assert "expired holds at 1 level(s) (3 units)" in out
    assert _levels(cli_db)[(v, stocked.warehouse)] == (10, 0)
    with unit_of_work(cli_db, read_only=True) as s:
        assert s.get(Reservation, held.id).status == "expired"  # type: ignore[union-attr]
        published = s.execute(
            select(OutboxEvent.payload, OutboxEvent.actor).where(
                OutboxEvent.type == "inventory.availability_changed"
            )
        ).all()
    assert {(p["channel"], p["variant_id"], p["available"], actor) for p, actor in published} >= {
        ("web", str(v), 10, "worker:projector")
    }
    assert "events:inventory.availability: delivered" in out
    code, out = _run("worker", "--once")
    assert code == 0, out
    assert "expired holds at" not in out  # not due again within its second
    assert "published" not in out  # nothing moved since
