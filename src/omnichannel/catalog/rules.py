"""Pure catalog rules: GTIN checks, slugs, the search key, and turning CSV rows into
product documents. No database, no HTTP: everything here is unit-tested alone."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stdnum import ean


class VatClass(StrEnum):
    """Tax class of a variant. Pricing maps it to a rate (PL: 23 / 8 / 5 / 0 %, exempt)."""

    STANDARD = "standard"
    REDUCED = "reduced"
    SUPER_REDUCED = "super_reduced"
    ZERO = "zero"
    EXEMPT = "exempt"


class Status(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MAX = 64
MAX_CATEGORY_DEPTH = 10
# A variant's packed size, each in millimetres (nullable: unknown).
DIMENSIONS = ("length_mm", "width_mm", "height_mm")
MAX_DIMENSION_MM = 100_000  # 100 m: beyond anything a shop ships
GTIN_LENGTHS = (8, 12, 13, 14)  # EAN-8, UPC-A, EAN-13, GTIN-14


class InvalidGtin(ValueError):
    """Not a GTIN: wrong length, not digits, or a wrong check digit."""


def normalise_gtin(value: str) -> str:
    """The GTIN as digits of its given length; spaces and hyphens are dropped."""
    digits = value if value.isdigit() else re.sub(r"[\s-]", "", value)
    if digits and not (digits.isascii() and digits.isdigit()):
        raise InvalidGtin("a GTIN has only digits")
    if len(digits) not in GTIN_LENGTHS:
        raise InvalidGtin(f"a GTIN has 8, 12, 13 or 14 digits, not {len(digits)}")
    # calc_check_digit is stdnum's EAN rule without validate()'s cleaning, which we did:
    # bulk imports check every GTIN, so this is the hot path.
    if ean.calc_check_digit(digits[:-1]) != digits[-1]:
        raise InvalidGtin(f"{digits} has a wrong check digit")
    return digits


_HTTP_URL = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)


def check_http_url(value: str) -> str:
    """An absolute http(s) URL, returned stripped; ValueError otherwise."""
    url = value.strip()
    if _HTTP_URL.fullmatch(url) is None:
        raise ValueError("must be an absolute http or https URL")
    return url


# NFKD splits "ó" into "o" + a combining accent but leaves these letters whole.
_UNSPLIT = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe"})


def fold(text: str) -> str:
    """Case- and accent-insensitive form of text: "Żółta Łódź" -> "zolta lodz"."""
    if text.isascii():  # SKUs, codes, most names: the fast path of bulk imports
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNSPLIT))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.translate(_UNSPLIT).split())


def slugify(text: str, *, max_length: int = SLUG_MAX) -> str:
    """A code made of [a-z0-9-]: "Odzież damska" -> "odziez-damska"; ValueError if nothing is left."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    slug = slug[:max_length].rstrip("-")
    if not slug:
        raise ValueError(f"{text!r} has no letters or digits to make a code from")
    return slug


def unique_slug(base: str, taken: set[str], *, prefix: str | None = None) -> str:
    """`base`, else `prefix-base`, else `base-2`, `base-3`, ...: the first not in `taken`."""
    candidates = [base] + ([f"{prefix}-{base}"[:SLUG_MAX].rstrip("-")] if prefix else [])
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        n += 1


def search_text(*, name: str, code: str, skus: Iterable[str], gtins: Iterable[str | None]) -> str:
    """The text a product is found by: its name, code, SKUs and GTINs, folded."""
    parts = [fold(name), fold(code), *(fold(s) for s in skus), *(g for g in gtins if g)]
    return " ".join(p for p in parts if p)


def search_terms(q: str) -> list[str]:
    """The folded words of a query; a product matches when its search text has all of them."""
    return fold(q).split()


def like_escape(term: str) -> str:
    """Escape LIKE wildcards (with backslash as the escape character)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def path_segments(path: str) -> list[str]:
    """The non-empty parts of a slash-separated category path: "Odzież / Koszulki" -> 2 names."""
    return [p.strip() for p in path.split("/") if p.strip()]


# --- CSV ---------------------------------------------------------------------------

PRODUCT_COLUMNS = {
    "product_code": "code",
    "product_name": "name",
    "description": "description",
    "brand": "brand",
    "category": "category",
    "product_status": "status",
}
VARIANT_COLUMNS = {
    "sku": "sku",
    "gtin": "gtin",
    "weight_g": "weight_g",
    **{d: d for d in DIMENSIONS},
    "vat_class": "vat_class",
}
OPTION_COLUMNS = ("size", "colour")
IMAGE_COLUMN = "image_url"
REQUIRED_COLUMNS = ("product_code", "product_name", "sku")
_KNOWN = {*PRODUCT_COLUMNS, *VARIANT_COLUMNS, *OPTION_COLUMNS, IMAGE_COLUMN}


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass(slots=True)
class CsvProduct:
    """One product's document gathered from its rows, with where each part came from."""

    line: int
    doc: dict[str, Any]
    variant_lines: list[int] = field(default_factory=list)
    _seen: dict[tuple[str, str], tuple[Any, int]] = field(default_factory=dict)


def check_header(header: Sequence[str]) -> list[LineError]:
    """Errors of a CSV header row (line 1): missing required or unknown columns."""
    errors = [
        LineError(1, c, "required column is missing") for c in REQUIRED_COLUMNS if c not in header
    ]
    for c in header:
        if c not in _KNOWN and not c.startswith(("option_", "attr_")):
            errors.append(
                LineError(1, c, "unknown column (extra columns start with option_ or attr_)")
            )
    return errors


_SEPARATORS = re.compile(r"[\s|]+")


def _images(cell: str) -> list[str]:
    if "|" not in cell and " " not in cell:
        return [cell]
    return [u for u in _SEPARATORS.split(cell) if u]


@dataclass(frozen=True, slots=True)
class _Layout:
    """Which columns a header has, sorted by what they feed (worked out once per file)."""

    product: list[tuple[str, str]]  # (column, document key), without product_code
    attributes: list[tuple[str, str]]  # (column, attribute name)
    variant: list[tuple[str, str]]  # (column, variant key)
    options: list[tuple[str, str]]  # (column, option name)

    @classmethod
    def of(cls, header: Iterable[str | None]) -> _Layout:
        columns = [c for c in header if c]
        return cls(
            product=[
                (c, PRODUCT_COLUMNS[c])
                for c in columns
                if c in PRODUCT_COLUMNS and c != "product_code"
            ],
            attributes=[(c, c[5:]) for c in columns if c.startswith("attr_")],
            variant=[(c, VARIANT_COLUMNS[c]) for c in columns if c in VARIANT_COLUMNS],
            options=[(c, c) for c in columns if c in OPTION_COLUMNS]
            + [(c, c[7:]) for c in columns if c.startswith("option_")],
        )


def group_csv_rows(
    rows: Iterable[tuple[int, dict[str, str | None]]], header: Sequence[str] | None = None
) -> tuple[list[CsvProduct], list[LineError]]:
    """Gather (line number, row) pairs into product documents keyed by product_code.

    Product columns may repeat on every row of a product or be left empty after the
    first; a different value is an error. Values stay strings: the schema parses them.
    Without a `header`, each row's own keys are its columns.
    """
    products: dict[str, CsvProduct] = {}
    errors: list[LineError] = []
    fixed = _Layout.of(header) if header is not None else None
    for line, raw in rows:
        layout = fixed or _Layout.of(raw)
        row: dict[str, str] = {}
        for column, cell in raw.items():
            if cell and column is not None and (value := cell.strip()):
                row[column] = value
        code = row.get("product_code")
        if not code:
            errors.append(LineError(line, "product_code", "required"))
            continue
        product = products.get(code)
        if product is None:
            product = products[code] = CsvProduct(line=line, doc={"code": code, "variants": []})
        for column, key in layout.product:
            if column in row:
                _set_once(product, errors, line, column, ("doc", key), row[column])
        for column, name in layout.attributes:
            if column in row:
                _set_once(product, errors, line, column, ("attr", name), row[column])
        variant: dict[str, Any] = {
            key: row[column] for column, key in layout.variant if column in row
        }
        if "sku" not in row:
            errors.append(LineError(line, "sku", "required"))
        options = {name: row[column] for column, name in layout.options if column in row}
        if options:
            variant["options"] = options
        if IMAGE_COLUMN in row:
            variant["images"] = _images(row[IMAGE_COLUMN])
        product.doc["variants"].append(variant)
        product.variant_lines.append(line)
    for product in products.values():
        attributes = {k[1]: v for k, (v, _) in product._seen.items() if k[0] == "attr"}
        if attributes:
            product.doc["attributes"] = attributes
    return list(products.values()), errors


def _set_once(
    product: CsvProduct,
    errors: list[LineError],
    line: int,
    column: str,
    key: tuple[str, str],
    value: str,
) -> None:
    seen = product._seen.get(key)
    if seen is None:
        product._seen[key] = (value, line)
        if key[0] == "doc":
            product.doc[key[1]] = value
    elif seen[0] != value:
        errors.append(
            LineError(
                line, column, f"differs from line {seen[1]} ({seen[0]!r}) of the same product"
            )
        )


_DOC_TO_COLUMN = {v: k for k, v in PRODUCT_COLUMNS.items()}


def csv_location(loc: Sequence[str | int]) -> tuple[int | None, str]:
    """Where a schema error of a CSV-built document points: (variant index or None, column)."""
    if not loc:
        return None, "row"
    head = str(loc[0])
    if head == "variants" and len(loc) >= 3 and isinstance(loc[1], int):
        index, name = loc[1], str(loc[2])
        if name == "options" and len(loc) >= 4:
            option = str(loc[3])
            return index, option if option in OPTION_COLUMNS else f"option_{option}"
        return index, IMAGE_COLUMN if name == "images" else name
    if head == "attributes" and len(loc) >= 2:
        return None, f"attr_{loc[1]}"
    if head == "images":
        return None, IMAGE_COLUMN
    return None, _DOC_TO_COLUMN.get(head, ".".join(str(p) for p in loc))
