"""Import files (CSV, JSONL) read into product documents that remember their line
numbers, so every problem is reported as "line N: field: message"."""

from __future__ import annotations

import csv
import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from omnichannel.catalog.rules import (
    InvalidGtin,
    LineError,
    check_header,
    csv_location,
    group_csv_rows,
    normalise_gtin,
)
from omnichannel.catalog.schemas import ProductImport

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    A file of 100k rows allocates millions of short-lived objects; every collection
    would rescan the ones already kept, which roughly doubles the time. Reference
    counting still frees everything; the collector resumes (and catches up) after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class Origin:
    """The lines a product document came from."""

    line: int
    variant_lines: list[int] = field(default_factory=list)
    csv: bool = False

    def locate(self, loc: Sequence[str | int]) -> tuple[int, str]:
        """The line and field a problem at `loc` (inside the document) points to."""
        if self.csv:
            index, column = csv_location(loc)
            return (self.variant_lines[index] if index is not None else self.line), column
        where = ".".join(str(p) for p in loc) or "document"
        if (
            len(loc) >= 2
            and loc[0] == "variants"
            and isinstance(loc[1], int)
            and loc[1] < len(self.variant_lines)
        ):
            return self.variant_lines[loc[1]], where
        return self.line, where

    @property
    def lines(self) -> list[int]:
        return sorted({self.line, *self.variant_lines})


@dataclass(frozen=True, slots=True)
class SourcedProduct:
    """A validated product document and where it came from."""

    product: ProductImport
    origin: Origin


@dataclass(slots=True)
class ParsedFile:
    products: list[SourcedProduct]
    errors: list[LineError]

    @property
    def variants(self) -> int:
        return sum(len(p.product.variants) for p in self.products)


@dataclass(slots=True)
class _Doc:
    raw: dict[str, Any]
    origin: Origin
    product: ProductImport | None = None


def read_import_file(path: Path) -> ParsedFile:
    """Read and validate a whole CSV or JSONL file without touching the database."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path.name}: unknown format; use .csv or .jsonl")
    with bulk_allocation(), path.open(encoding="utf-8-sig", newline="") as f:
        docs, errors = _read_csv(f) if kind == "csv" else _read_jsonl(f)
        for doc in docs:
            try:
                doc.product = ProductImport.model_validate(doc.raw)
            except ValidationError as e:
                for err in e.errors():
                    line, where = doc.origin.locate(tuple(err["loc"]))
                    message = str(err["msg"]).removeprefix("Value error, ")
                    errors.append(LineError(line, where, message))
        errors.extend(_cross_check(docs))
        errors.sort(key=lambda e: (e.line, e.field))
        products = [SourcedProduct(d.product, d.origin) for d in docs if d.product is not None]
    return ParsedFile(products, errors)


def _read_csv(f: IO[str]) -> tuple[list[_Doc], list[LineError]]:
    first = f.readline()
    f.seek(0)
    delimiter = max((";", "\t", ","), key=first.count)  # Excel in Poland writes semicolons
    reader = csv.DictReader(f, delimiter=delimiter)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    errors = check_header(header)
    if errors:
        return [], errors

    def rows() -> Iterator[tuple[int, dict[str, str | None]]]:
        for row in reader:
            # Skip rows of bare separators, as spreadsheets write at the end.
            if row.get("product_code") or any(
                isinstance(v, str) and v.strip() for v in row.values()
            ):
                yield reader.line_num, row

    grouped, errors = group_csv_rows(rows(), header)
    return [_Doc(g.doc, Origin(g.line, g.variant_lines, csv=True)) for g in grouped], errors


def _read_jsonl(f: IO[str]) -> tuple[list[_Doc], list[LineError]]:
    docs: list[_Doc] = []
    errors: list[LineError] = []
    for n, text in enumerate(f, start=1):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as e:
            errors.append(LineError(n, "json", f"not valid JSON ({e.msg} at column {e.colno})"))
            continue
        if not isinstance(raw, dict):
            errors.append(LineError(n, "json", "each line must be one JSON object"))
            continue
        variants = raw.get("variants")
        count = len(variants) if isinstance(variants, list) else 0
        docs.append(_Doc(raw, Origin(n, [n] * count)))
    return docs, errors


def _keys(doc: _Doc) -> Iterator[tuple[str, str, Sequence[str | int]]]:
    """(kind, value, location) of what must be unique in a file; from the validated
    document when there is one, else from the raw one (so repeats are reported next to
    a document's other problems)."""
    if not doc.origin.csv:
        code = doc.product.code if doc.product else doc.raw.get("code")
        if isinstance(code, str):
            yield "product code", code.strip(), ("code",)
    if doc.product is not None:
        for j, v in enumerate(doc.product.variants):
            yield "SKU", v.sku, ("variants", j, "sku")
            if v.gtin:
                yield "GTIN", v.gtin, ("variants", j, "gtin")
        return
    variants = doc.raw.get("variants")
    for j, raw in enumerate(variants if isinstance(variants, list) else []):
        if not isinstance(raw, dict):
            continue
        if isinstance(raw.get("sku"), str) and raw["sku"].strip():
            yield "SKU", raw["sku"].strip(), ("variants", j, "sku")
        try:
            gtin = normalise_gtin(raw["gtin"]) if isinstance(raw.get("gtin"), str) else None
        except InvalidGtin:
            continue  # reported by the schema
        if gtin:
            yield "GTIN", gtin, ("variants", j, "gtin")


def _cross_check(docs: Sequence[_Doc]) -> list[LineError]:
    """What one document cannot see: codes, SKUs and GTINs repeated across the file."""
    errors: list[LineError] = []
    first: dict[tuple[str, str], tuple[_Doc, Sequence[str | int]]] = {}
    for doc in docs:
        for kind, value, loc in _keys(doc):
            earlier = first.setdefault((kind, value), (doc, loc))
            if earlier[0] is not doc or earlier[1] != loc:
                line, where = doc.origin.locate(loc)
                first_line, _ = earlier[0].origin.locate(earlier[1])
                errors.append(LineError(line, where, f"{kind} {value} also on line {first_line}"))
    return errors
