"""Reading import files: every problem comes back as "line N: field: message"."""

import json
from pathlib import Path

import pytest

from omnichannel.catalog.files import read_import_file

HEADER = "product_code,product_name,brand,category,sku,gtin,size,colour,weight_g,vat_class,image_url,attr_fit\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_csv_becomes_validated_products_with_their_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "good.csv",
        HEADER
        + "TS-01,Żółta koszulka,Acme,Odzież/Koszulki,TS-01-M,5901234123457,M,żółty,180,standard,https://x.pl/1.jpg,slim\n"
        + "TS-01,,,,TS-01-L,,L,żółty,190,,,\n"
        + "\n"
        + "TS-02,Bluza,,,TS-02-M,96385074,M,,,reduced,,\n",
    )
    parsed = read_import_file(path)
    assert parsed.errors == []
    assert parsed.variants == 3
    first, second = parsed.products
    assert first.origin.line == 2
    assert first.origin.variant_lines == [2, 3]
    assert first.product.attributes == {"fit": "slim"}
    assert first.product.variants[0].weight_g == 180
    assert first.product.variants[0].options == {"size": "M", "colour": "żółty"}
    assert second.origin.line == 5
    assert second.product.variants[0].gtin == "96385074"


def test_a_semicolon_csv_from_excel_with_a_bom_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffproduct_code;product_name;sku\nTS-01;Koszulka;TS-01-M\n".encode())
    parsed = read_import_file(path)
    assert parsed.errors == []
    assert parsed.products[0].product.variants[0].sku == "TS-01-M"


def test_every_bad_csv_row_is_reported_with_its_line_and_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "bad.csv",
        HEADER
        + "TS-01,Koszulka,,,TS-01-M,5901234123458,M,,,,,\n"  # line 2: bad check digit
        + "TS-01,,,,TS-01-L,,L,,-5,,,\n"  # line 3: negative weight
        + "TS-02,Bluza,,,TS-02-M,,M,,,luxury,ftp://x.pl/a.jpg,\n"  # line 4: vat class and url
        + "TS-03,Spodnie,,,TS-01-M,,,,,,,\n",  # line 5: SKU of line 2 again
    )
    messages = [str(e) for e in read_import_file(path).errors]
    assert messages[0] == "line 2: gtin: 5901234123458 has a wrong check digit"
    assert messages[1].startswith("line 3: weight_g: Input should be greater than or equal to 0")
    assert messages[2].startswith("line 4: image_url: must be an absolute http or https URL")
    assert messages[3].startswith("line 4: vat_class: Input should be")
    assert messages[4] == "line 5: sku: SKU TS-01-M also on line 2"
    assert len(messages) == 5


def test_a_csv_without_a_required_column_is_refused_at_line_1(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.csv", "product_code,name,sku\nA,B,C\n")
    assert [str(e) for e in read_import_file(path).errors] == [
        "line 1: name: unknown column (extra columns start with option_ or attr_)",
        "line 1: product_name: required column is missing",
    ]


def test_a_jsonl_file_is_one_product_per_line(tmp_path: Path) -> None:
    docs = [
        {
            "code": "TS-01",
            "name": "Koszulka",
            "category": "Odzież/Koszulki",
            "variants": [{"sku": "TS-01-M", "gtin": "5901234123457"}, {"sku": "TS-01-L"}],
        },
        {"code": "TS-02", "name": "Bluza", "variants": [{"sku": "TS-02-M", "gtin": "59012341234"}]},
        {"code": "TS-01", "name": "Again", "variants": []},
    ]
    path = _write(tmp_path, "p.jsonl", "\n".join(json.dumps(d) for d in docs) + "\n{oops\n")
    parsed = read_import_file(path)
    assert [p.product.code for p in parsed.products] == ["TS-01", "TS-01"]
    assert [str(e) for e in parsed.errors] == [
        "line 2: variants.0.gtin: a GTIN has 8, 12, 13 or 14 digits, not 11",
        "line 3: code: product code TS-01 also on line 1",
        "line 4: json: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
    ]


def test_a_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        read_import_file(_write(tmp_path, "p.xlsx", ""))
