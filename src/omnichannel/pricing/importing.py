"""Bulk price import: rows of `sku, price_list, price, valid_from` from a CSV or JSON
Lines file (or an HTTP body), every row checked first, then written list by list.

Prices in files are decimals in the list's currency ("129.99", or "129,99" as Polish
spreadsheets write it); an empty price stops selling the variant in that list.
Problems are reported as `rows.N.<field>` (HTTP) or `line N: field: message` (files),
and if there is any, nothing is written.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing.errors import PriceImportRejected, field_error
from omnichannel.pricing.lists import (
    PAST_TOLERANCE,
    PriceChange,
    get_price_list,
    price_lists_by_code,
    set_prices,
)
from omnichannel.pricing.rules import parse_price
from omnichannel.pricing.schemas import PriceImportResult, PriceImportRow

COLUMNS = ("sku", "price_list", "price", "valid_from")
REQUIRED = ("sku", "price_list", "price")


@dataclass(frozen=True, slots=True)
class SourcedRow:
    line: int
    row: PriceImportRow


@dataclass
class PriceFile:
    rows: list[SourcedRow]
    errors: list[str]  # "line N: field: message"


def resolve_rows(
    session: Session, *, rows: Sequence[PriceImportRow], now: datetime | None = None
) -> dict[uuid.UUID, list[tuple[int, PriceChange]]]:
    """The changes per price list id, each with the index of its row; every unknown SKU
    or list, malformed price, past date and repeated row is named as `rows.N.<field>`,
    and then nothing is resolved."""
    now = now or utcnow()
    variants = catalog.variant_ids_by_sku(session, skus={r.sku for r in rows})
    lists = price_lists_by_code(session, codes={r.price_list for r in rows})
    errors: list[dict[str, Any]] = []
    out: dict[uuid.UUID, list[tuple[int, PriceChange]]] = defaultdict(list)
    first: dict[tuple[str, str, datetime | None], int] = {}
    for i, r in enumerate(rows):
        if r.sku not in variants:
            errors.append(field_error(f"rows.{i}.sku", f"unknown SKU {r.sku!r}", "unknown_variant"))
        pl = lists.get(r.price_list)
        if pl is None:
            errors.append(
                field_error(
                    f"rows.{i}.price_list",
                    f"unknown price list {r.price_list!r}",
                    "unknown_price_list",
                )
            )
        amount = None
        if pl is not None and r.price:
            try:
                amount = parse_price(r.price, pl.currency)
            except ValueError as e:
                errors.append(field_error(f"rows.{i}.price", str(e), "invalid_price"))
        if r.valid_from is not None and r.valid_from < now - PAST_TOLERANCE:
            errors.append(
                field_error(f"rows.{i}.valid_from", "prices cannot change the past", "in_the_past")
            )
        seen = first.setdefault((r.sku, r.price_list, r.valid_from), i)
        if seen != i:
            errors.append(
                field_error(
                    f"rows.{i}.sku", f"{r.sku} in {r.price_list} repeats row {seen}", "duplicate"
                )
            )
        if pl is not None and r.sku in variants:
            out[pl.id].append((i, PriceChange(variants[r.sku], amount, r.valid_from)))
    if errors:
        raise PriceImportRejected(
            f"{len(errors)} row problem(s); nothing was written.", errors=errors
        )
    return out


def import_prices(
    session: Session, *, rows: Sequence[PriceImportRow], now: datetime | None = None
) -> PriceImportResult:
    """Check every row, then set the prices of each list (all or nothing)."""
    now = now or utcnow()
    by_list = resolve_rows(session, rows=rows, now=now)
    changed = 0
    for list_id, indexed in by_list.items():
        changes = [c for _, c in indexed]
        try:
            changed += set_prices(session, price_list_id=list_id, changes=changes, now=now)
        except InvalidInput as e:  # errors about `prices.N`: name the import's rows instead
            raise PriceImportRejected(
                "Some rows cannot be applied; nothing was written.",
                errors=[_renumber(err, indexed) for err in e.errors],
            ) from None
    codes = sorted(get_price_list(session, price_list_id=i).code for i in by_list)
    return PriceImportResult(rows=len(rows), changed=changed, price_lists=codes)


def _renumber(err: dict[str, Any], indexed: list[tuple[int, PriceChange]]) -> dict[str, Any]:
    parts = str(err.get("field", "")).split(".")
    if (
        len(parts) == 3
        and parts[0] == "prices"
        and parts[1].isdigit()
        and int(parts[1]) < len(indexed)
    ):
        return {**err, "field": f"rows.{indexed[int(parts[1])][0]}.{parts[2]}"}
    return err


def read_price_file(path: Path) -> PriceFile:
    """Read a .csv (header sku,price_list,price[,valid_from]) or .jsonl file, checking
    every row; ValueError for a file that cannot be read at all."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = _csv_rows(path)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        raw = _json_rows(path)
    else:
        raise ValueError(f"{path.name}: expected a .csv, .json or .jsonl file")
    out = PriceFile([], [])
    for line, doc in raw:
        if isinstance(doc, str):
            out.errors.append(f"line {line}: {doc}")
            continue
        if doc.get("valid_from") == "":
            doc["valid_from"] = None
        if doc.get("price") == "":
            doc["price"] = None
        try:
            out.rows.append(SourcedRow(line, PriceImportRow.model_validate(doc)))
        except ValidationError as e:
            for err in e.errors():
                where = ".".join(str(p) for p in err["loc"]) or "row"
                message = str(err["msg"]).removeprefix("Value error, ")
                out.errors.append(f"line {line}: {where}: {message}")
    if not out.rows and not out.errors:
        out.errors.append("line 1: the file has no rows")
    return out


def located(rows: Sequence[SourcedRow], error: dict[str, Any]) -> tuple[int, str]:
    """`rows.3.price` back to the file's line: (line, "line N: price: message")."""
    parts = str(error.get("field", "")).split(".")
    if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit() and int(parts[1]) < len(rows):
        line = rows[int(parts[1])].line
        return line, f"line {line}: {parts[2]}: {error.get('message', '')}"
    return 0, str(error.get("message", ""))


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        extra = [c for c in header if c not in COLUMNS]
        if missing or extra:
            problem = "; ".join(
                x
                for x in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unknown {', '.join(extra)}" if extra else "",
                )
                if x
            )
            raise ValueError(f"{path.name}: the header must be {','.join(COLUMNS)} ({problem})")
        reader.fieldnames = header
        for row in reader:
            if None in row:
                yield reader.line_num, "more values than columns"
            else:
                yield reader.line_num, dict(row)


def _json_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(encoding="utf-8") as f:
        text = f.read()
    stripped = text.lstrip()
    if stripped.startswith("["):  # a JSON array: number rows from 1
        try:
            docs = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path.name}: not JSON: {e.msg} (line {e.lineno})") from None
        for n, doc in enumerate(docs, start=1):
            yield n, doc if isinstance(doc, dict) else "expected a JSON object"
        return
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError as e:
            yield line, f"not JSON: {e.msg}"
            continue
        yield line, doc if isinstance(doc, dict) else "expected a JSON object"
