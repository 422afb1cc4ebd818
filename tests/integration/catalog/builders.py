"""Builders shared by the catalog's service tests."""

from typing import Any

from stdnum import ean


def ean13(n: int) -> str:
    """A valid EAN-13 in the Polish 590 range."""
    base = f"590{n:09d}"
    return base + ean.calc_check_digit(base)


def product_doc(code: str, *skus: str, **fields: Any) -> dict[str, Any]:
    """A ProductCreate / ProductImport body with one variant per SKU."""
    return {
        "code": code,
        "name": fields.pop("name", f"Product {code}"),
        "variants": [{"sku": s} for s in skus],
        **fields,
    }
