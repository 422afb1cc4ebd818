"""Bulk price import (service, `omni import prices`) and `omni pricing parity`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnichannel.cli.main import app
from omnichannel.db import Database, unit_of_work
from omnichannel.pricing import service
from omnichannel.pricing.errors import PriceImportRejected
from omnichannel.pricing.schemas import PriceImportRow, PriceListCreate
from tests.integration.pricing.conftest import Shop, build_shop


def _rows(*docs: dict[str, str | None]) -> list[PriceImportRow]:
    return [PriceImportRow.model_validate(d) for d in docs]


def test_an_import_sets_prices_in_several_lists(session: Session, shop: Shop) -> None:
    result = service.import_prices(
        session,
        rows=_rows(
            {"sku": "TS-S", "price_list": "base-pln", "price": "45,99"},
            {"sku": "TS-S", "price_list": "vip", "price": "39.99"},
            {"sku": "TS-M", "price_list": "base-pln", "price": "49.99"},  # unchanged
        ),
    )
    assert (result.rows, result.changed, result.price_lists) == (3, 2, ["base-pln", "vip"])
    q = service.quote(session, items=shop.items(TS_S=1), segments=["vip"])
    assert q.lines[0].priced.line.unit_price == 3999


def test_an_import_names_every_bad_row_and_writes_nothing(session: Session, shop: Shop) -> None:
    with pytest.raises(PriceImportRejected) as e:
        service.import_prices(
            session,
            rows=_rows(
                {"sku": "TS-S", "price_list": "base-pln", "price": "1.00"},
                {"sku": "NIEMA", "price_list": "base-pln", "price": "12.345"},
                {"sku": "TS-M", "price_list": "nope", "price": "1"},
                {"sku": "TS-S", "price_list": "base-pln", "price": "2.00"},
            ),
        )
    assert [(x["field"], x["type"]) for x in e.value.errors] == [
        ("rows.1.sku", "unknown_variant"),
        ("rows.1.price", "invalid_price"),
        ("rows.2.price_list", "unknown_price_list"),
        ("rows.3.sku", "duplicate"),
    ]
    assert service.quote(session, items=shop.items(TS_S=1)).priced.total == 4999


@pytest.fixture
def cli_shop(committing_db: Database, monkeypatch: pytest.MonkeyPatch) -> Shop:
    monkeypatch.setattr("omnichannel.cli.common.get_database", lambda: committing_db)
    with unit_of_work(committing_db, actor="test") as s:
        return build_shop(s)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_cli_imports_a_csv_file(
    cli_shop: Shop, committing_db: Database, tmp_path: Path
) -> None:
    f = tmp_path / "ceny.csv"
    f.write_text(
        'sku,price_list,price,valid_from\nTS-S,base-pln,44.99,\nTS-M,vip,"39,99",\n',
        encoding="utf-8",
    )
    code, out = _run("import", "prices", str(f))
    assert code == 0, out
    assert "2 prices changed in base-pln, vip" in out
    with unit_of_work(committing_db, read_only=True) as s:
        assert service.quote(s, items=cli_shop.items(TS_S=1)).priced.total == 4499


def test_the_cli_lists_problems_by_line_and_writes_nothing(
    cli_shop: Shop, committing_db: Database, tmp_path: Path
) -> None:
    f = tmp_path / "ceny.jsonl"
    f.write_text(
        '{"sku": "TS-S", "price_list": "base-pln", "price": "44.99"}\n'
        "\n"
        '{"sku": "NIEMA", "price_list": "base-pln", "price": "1"}\n'
        "not json\n"
        '{"sku": "TS-M", "price_list": "base-pln", "price": "abc"}\n',
        encoding="utf-8",
    )
    code, out = _run("import", "prices", str(f))
    assert code == 1
    assert "line 4: not JSON" in out
    assert "nothing was written" in out
    f.write_text(
        '{"sku": "TS-S", "price_list": "base-pln", "price": "44.99"}\n'
        '{"sku": "NIEMA", "price_list": "base-pln", "price": "1"}\n'
        '{"sku": "TS-M", "price_list": "base-pln", "price": "abc"}\n',
        encoding="utf-8",
    )
    code, out = _run("import", "prices", str(f))
    assert code == 1
    assert "line 2: sku: unknown SKU 'NIEMA'" in out
    assert "line 3: price: 'abc' is not a price" in out
    with unit_of_work(committing_db, read_only=True) as s:
        assert service.quote(s, items=cli_shop.items(TS_S=1)).priced.total == 4999


def test_parity_is_clean_without_overrides(cli_shop: Shop) -> None:
    code, out = _run("pricing", "parity", "--strict")
    assert code == 0, out
    assert "No differences" in out


def test_parity_lists_a_channel_override_and_fails_when_strict(
    cli_shop: Shop, committing_db: Database
) -> None:
    with unit_of_work(committing_db, actor="test") as s:
        allegro = service.create_price_list(
            s,
            data=PriceListCreate(
                code="allegro-pln", name="Allegro", kind="channel", channel="allegro"
            ),
        )
        cli_shop.prices(s, allegro.id, {"TS-S": 5299})
    code, out = _run("pricing", "parity", "--strict")
    assert code == 1
    assert "price_list allegro-pln: allegro" in out
    assert "difference" in out
