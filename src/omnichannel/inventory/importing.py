"""Absolute stock levels from an ERP or WMS, named by SKU and location code: read
from a file, checked, and resolved to ids for `service.sync_levels`."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.inventory.errors import UnknownStockItem
from omnichannel.inventory.schemas import SyncLevel
from omnichannel.kernel.errors import InvalidInput
from omnichannel.locations import service as locations

COLUMNS = ("sku", "location_code", "on_hand")


@dataclass(frozen=True, slots=True)
class SourcedLevel:
    """A checked row and the line of the file it came from."""

    line: int
    level: SyncLevel


@dataclass
class StockFile:
    levels: list[SourcedLevel]
    errors: list[str]  # "line N: field: message"


def resolve_levels(
    session: Session, *, levels: Sequence[SyncLevel]
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """(variant, location, on_hand) for each row. Every unknown SKU or location code
    and every repeated (SKU, location) pair is named as `levels.N.<field>`; if there
    is any, nothing is resolved."""
    variants = catalog.variant_ids_by_sku(session, skus={x.sku for x in levels})
    places: dict[str, uuid.UUID] = {}
    for code in sorted({x.location_code for x in levels}):
        loc = locations.find_location(session, code=code)
        if loc is not None:
            places[code] = loc.id
    errors: list[dict[str, Any]] = []
    first: dict[tuple[str, str], int] = {}
    for i, x in enumerate(levels):
        if x.sku not in variants:
            errors.append(_error(i, "sku", f"unknown SKU {x.sku!r}", "unknown_variant"))
        if x.location_code not in places:
            errors.append(
                _error(
                    i, "location_code", f"unknown location {x.location_code!r}", "unknown_location"
                )
            )
        seen = first.setdefault((x.sku, x.location_code), i)
        if seen != i:
            errors.append(
                _error(
                    i, "sku", f"{x.sku} at {x.location_code} is already on row {seen}", "duplicate"
                )
            )
    if errors:
        unknown = any(e["type"] != "duplicate" for e in errors)
        cls = UnknownStockItem if unknown else InvalidInput
        raise cls(
            f"{len(errors)} row problem(s): unknown SKUs or location codes, or repeated rows. "
            "Nothing was written.",
            errors=errors,
        )
    return [(variants[x.sku], places[x.location_code], x.on_hand) for x in levels]


def _error(index: int, field: str, message: str, type_: str) -> dict[str, Any]:
    return {"field": f"levels.{index}.{field}", "message": message, "type": type_}


def read_stock_file(path: Path) -> StockFile:
    """Read a .csv (header `sku,location_code,on_hand`) or .jsonl file, checking every
    row; raises ValueError for a file that cannot be read at all."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(path)
    else:
        raise ValueError(f"{path.name}: expected a .csv or .jsonl file")
    out = StockFile([], [])
    first: dict[tuple[str, str], int] = {}
    for line, raw in rows:
        if isinstance(raw, str):
            out.errors.append(f"line {line}: {raw}")
            continue
        try:
            level = SyncLevel.model_validate(raw)
            seen = first.setdefault((level.sku, level.location_code), line)
            if seen != line:
                out.errors.append(
                    f"line {line}: sku: {level.sku} at {level.location_code} repeats line {seen}"
                )
            out.levels.append(SourcedLevel(line, level))
        except ValidationError as e:
            for err in e.errors():
                where = ".".join(str(p) for p in err["loc"]) or "row"
                message = str(err["msg"]).removeprefix("Value error, ")
                out.errors.append(f"line {line}: {where}: {message}")
    if not out.levels and not out.errors:
        out.errors.append("line 1: the file has no rows")
    return out


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in COLUMNS if c not in header]
        extra = [c for c in header if c not in COLUMNS]
        if missing or extra:
            problem = f"missing {', '.join(missing)}" if missing else ""
            problem += ("; " if missing and extra else "") + (
                f"unknown {', '.join(extra)}" if extra else ""
            )
            raise ValueError(f"{path.name}: the header must be {','.join(COLUMNS)} ({problem})")
        reader.fieldnames = header
        for row in reader:
            line = reader.line_num
            if None in row:
                yield line, "more values than columns"
            else:
                yield line, row


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(encoding="utf-8") as f:
        for line, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as e:
                yield line, f"not JSON: {e.msg}"
                continue
            yield line, doc if isinstance(doc, dict) else "expected a JSON object"
