"""`omni import products FILE`: check everything first, then commit batch by batch."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from omnichannel.catalog.importing import import_products
from omnichannel.catalog.models import Product, Variant
from omnichannel.catalog.schemas import ProductImport
from omnichannel.cli.main import app
from omnichannel.db import Database, OutboxEvent, unit_of_work
from tests.integration.catalog.builders import ean13

HEADER = "product_code,product_name,brand,category,sku,gtin,size,colour,weight_g,vat_class,image_url,option_fit,attr_material\n"


@pytest.fixture
def cli_db(committing_db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr("omnichannel.cli.common.get_database", lambda: committing_db)
    return committing_db


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["import", "products", *args])
    return result.exit_code, result.output


def _skus(db: Database) -> list[str]:
    with unit_of_work(db, read_only=True) as s:
        return list(s.scalars(select(Variant.sku).order_by(Variant.sku)))


def _csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_good_csv_is_imported_and_its_events_name_the_cli(
    cli_db: Database, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        f"TS-01,Żółta koszulka,Acme,Odzież/Koszulki,TS-01-M,{ean13(1)},M,żółty,180,,https://x.pl/1.jpg,slim,bawełna",
        f"TS-01,,,,TS-01-L,{ean13(2)},L,żółty,190,,,slim,",
        "MUG-1,Kubek,,Dom,MUG-1-W,,,biały,350,reduced,,,",
    )
    code, out = _run(str(path), "--batch-size", "1")
    assert code == 0, out
    assert "2 products created" in out
    assert "3 variants created" in out
    assert _skus(cli_db) == ["MUG-1-W", "TS-01-L", "TS-01-M"]
    with unit_of_work(cli_db, read_only=True) as s:
        actors = set(s.scalars(select(OutboxEvent.actor)))
        options = s.scalar(select(Variant.options).where(Variant.sku == "TS-01-M"))
        attributes = s.scalar(select(Product.attributes).where(Product.code == "TS-01"))
    assert actors == {"cli:import"}
    assert options == {"size": "M", "colour": "żółty", "fit": "slim"}
    assert attributes == {"material": "bawełna"}


def test_a_csv_with_a_bad_row_names_its_line_and_writes_nothing(
    cli_db: Database, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        f"TS-01,Koszulka,,,TS-01-M,{ean13(1)},M,,,,,,",
        "TS-01,,,,TS-01-L,5901234123458,L,,,,,,",
        "TS-02,Bluza,,,TS-02-M,,M,,heavy,,,,",
    )
    code, out = _run(str(path))
    assert code == 1
    assert "line 3: gtin: 5901234123458 has a wrong check digit" in out
    assert "line 4: weight_g: Input should be a valid integer" in out
    assert "2 problem(s) in products.csv; nothing was written." in out
    assert _skus(cli_db) == []


def test_a_jsonl_file_is_imported(cli_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "products.jsonl"
    docs = [
        {"code": "TS-01", "name": "Koszulka", "variants": [{"sku": "TS-01-M", "gtin": ean13(1)}]},
        {
            "code": "TS-02",
            "name": "Bluza",
            "category": "Odzież/Bluzy",
            "variants": [{"sku": "TS-02-M"}],
        },
    ]
    path.write_text(
        "\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n", encoding="utf-8"
    )
    code, out = _run(str(path))
    assert code == 0, out
    assert _skus(cli_db) == ["TS-01-M", "TS-02-M"]


def test_a_batch_the_database_refuses_stops_the_import_after_the_committed_ones(
    cli_db: Database, tmp_path: Path
) -> None:
    with unit_of_work(cli_db) as s:
        import_products(
            s,
            products=[
                ProductImport.model_validate(
                    {"code": "OLD", "name": "Old", "variants": [{"sku": "OLD-1", "gtin": ean13(5)}]}
                )
            ],
        )
    path = _csv(
        tmp_path,
        "A,Pierwszy,,,A-1,,,,,,,,",
        f"B,Drugi,,,B-1,{ean13(5)},,,,,,,",
        "C,Trzeci,,,C-1,,,,,,,,",
    )
    code, out = _run(str(path), "--batch-size", "1")
    assert code == 1
    assert f"line 3: gtin: GTIN {ean13(5)} is already used by SKU OLD-1" in out
    assert "1 earlier batch(es) were committed" in out
    assert _skus(cli_db) == ["A-1", "OLD-1"]
    with unit_of_work(cli_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 2
