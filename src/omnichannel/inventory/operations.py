"""Stock operations: receipts, adjustments, cycle counts and ERP sync, and the
shared machinery transfers and policies use. Each change of on_hand is a conditional UPDATE plus a
ledger line in the same transaction (promise 2)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.inventory import statements as sql
from omnichannel.inventory.errors import StockReserved, UnknownStockItem
from omnichannel.inventory.models import (
    StockLevel,
    StockPolicy,
)
from omnichannel.inventory.rules import MovementKind, allowance_of
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.locations import service as locations

# Kinds a person may record by hand with a signed quantity.
MANUAL_KINDS = frozenset(
    {MovementKind.ADJUSTMENT, MovementKind.DAMAGE, MovementKind.RETURN, MovementKind.RECEIPT}
)


@dataclass(frozen=True, slots=True)
class Change:
    """One requested change of on_hand at a location."""

    variant_id: uuid.UUID
    quantity: int  # signed delta, or the absolute count for counts and syncs


def _check_items(
    session: Session, location_id: uuid.UUID, variant_ids: Sequence[uuid.UUID], field: str | None
) -> None:
    """Unknown location or variant: 422 naming `<field>.N.variant_id` (`variant_id` when
    the request names a single variant, `field=None`)."""
    if not locations.location_kinds(session, location_ids=[location_id]):
        raise UnknownStockItem(
            f"Location {location_id} does not exist.",
            errors=[
                {"field": "location_id", "message": "no such location", "type": "unknown_location"}
            ],
        )
    known = catalog.existing_variant_ids(session, variant_ids=variant_ids)
    for i, v in enumerate(variant_ids):
        if v not in known:
            raise UnknownStockItem(
                f"Variant {v} does not exist.",
                errors=[
                    {
                        "field": f"{field}.{i}.variant_id" if field else "variant_id",
                        "message": "no such variant",
                        "type": "unknown_variant",
                    }
                ],
            )


def _allowances(session: Session, variant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(StockPolicy.variant_id, StockPolicy.backorder, StockPolicy.backorder_limit).where(
            StockPolicy.variant_id.in_(set(variant_ids))
        )
    )
    return {r.variant_id: allowance_of(r.backorder, r.backorder_limit) for r in rows}


def _apply(
    session: Session,
    *,
    location_id: uuid.UUID,
    deltas: list[tuple[int, uuid.UUID, int]],  # (index in request, variant, delta)
    kind: MovementKind,
    covered: bool,
    reason: str | None,
    reference_type: str | None,
    reference_id: str | None,
    now: datetime,
    field: str | None = "lines",
) -> None:
    """Apply signed deltas at one location in lock order, with ledger lines and events.

    Only removals need the holds covered: goods that arrive are accepted even where a
    count left a shortage (they make it smaller)."""
    movements, events = [], []
    for index, variant_id, delta in sorted(deltas, key=lambda d: d[1]):
        if delta == 0:
            continue
        stmt = sql.MOVE_COVERED if covered and delta < 0 else sql.MOVE_REALITY
        row = session.execute(
            stmt, {"v": variant_id, "l": location_id, "d": delta, "now": now}
        ).first()
        if row is None:
            raise _refused(session, variant_id, location_id, delta, index, field, covered)
        movements.append(
            {
                "variant_id": variant_id,
                "location_id": location_id,
                "kind": kind.value,
                "quantity": delta,
                "reason": reason,
                "actor": session.info.get("actor"),
                "reference_type": reference_type,
                "reference_id": reference_id,
                "occurred_at": now,
            }
        )
        events.append(sql.level_event(variant_id, location_id, row, kind.value))
    sql.record_movements(session, movements)
    sql.record_level_events(session, events)


def _refused(
    session: Session,
    variant_id: uuid.UUID,
    location_id: uuid.UUID,
    delta: int,
    index: int,
    field: str | None,
    covered: bool,
) -> Exception:
    level = session.execute(
        select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.variant_id == variant_id, StockLevel.location_id == location_id
        )
    ).first()
    on_hand, reserved = (level.on_hand, level.reserved) if level else (0, 0)
    err = [
        {
            "field": f"{field}.{index}.quantity" if field else "quantity",
            "message": f"on hand {on_hand}, reserved {reserved}",
            "type": "insufficient_stock",
        }
    ]
    if on_hand + delta < 0:
        return StockReserved(
            f"Only {on_hand} on hand; cannot remove {-delta}.",
            errors=err,
            on_hand=on_hand,
            reserved=reserved,
        )
    return StockReserved(
        f"Removing {-delta} would leave {reserved} reserved units uncovered (on hand {on_hand}); "
        "release or re-source those reservations first.",
        errors=err,
        on_hand=on_hand,
        reserved=reserved,
    )


def receive(
    session: Session,
    *,
    location_id: uuid.UUID,
    lines: Sequence[Change],
    reference: str | None = None,
    now: datetime | None = None,
) -> None:
    """Goods arrive at a location (a delivery, a purchase order)."""
    _positive(lines)
    ids = [c.variant_id for c in lines]
    _check_items(session, location_id, ids, "lines")
    sql.ensure_levels(session, [(v, location_id) for v in ids], _allowances(session, ids))
    _apply(
        session,
        location_id=location_id,
        deltas=[(i, c.variant_id, c.quantity) for i, c in enumerate(lines)],
        kind=MovementKind.RECEIPT,
        covered=True,
        reason=None,
        reference_type="receipt" if reference else None,
        reference_id=reference,
        now=now or utcnow(),
    )


def adjust(
    session: Session,
    *,
    location_id: uuid.UUID,
    variant_id: uuid.UUID,
    quantity: int,
    kind: MovementKind,
    reason: str,
    reference: str | None = None,
    now: datetime | None = None,
) -> None:
    """A hand-recorded change of on_hand with a reason (damage is always a removal)."""
    if kind not in MANUAL_KINDS:
        raise InvalidInput(
            f"{kind} cannot be recorded by hand.",
            errors=[{"field": "kind", "message": f"one of {sorted(MANUAL_KINDS)}", "type": "enum"}],
        )
    if quantity == 0:
        raise InvalidInput(
            "A zero adjustment changes nothing.",
            errors=[{"field": "quantity", "message": "must not be 0", "type": "zero"}],
        )
    if kind == MovementKind.DAMAGE:
        quantity = -abs(quantity)
    elif kind in (MovementKind.RECEIPT, MovementKind.RETURN) and quantity < 0:
        raise InvalidInput(
            f"A {kind} adds stock.",
            errors=[{"field": "quantity", "message": "must be positive", "type": "greater_than"}],
        )
    _check_items(session, location_id, [variant_id], None)
    sql.ensure_levels(session, [(variant_id, location_id)], _allowances(session, [variant_id]))
    _apply(
        session,
        location_id=location_id,
        deltas=[(0, variant_id, quantity)],
        kind=kind,
        covered=True,
        reason=reason,
        reference_type=kind.value if reference else None,
        reference_id=reference,
        now=now or utcnow(),
        field=None,
    )


def _lock_levels(session: Session, *where: Any) -> None:
    """Lock the matching levels in (variant, location) order, as reservations do.

    A statement that changes several levels at once locks them in whatever order its
    plan finds them, which can deadlock against an order reserving the same rows. On
    SQLite a writer holds the whole file, so there is nothing to order.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        select(StockLevel.variant_id)
        .where(*where)
        .order_by(StockLevel.variant_id, StockLevel.location_id)
        .with_for_update()
    ).all()


def _on_hand_locked(
    session: Session, location_id: uuid.UUID, variant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Current on_hand of the given rows, locked until the end of the transaction.

    A count sets an absolute quantity, so the ledger needs the difference: this read
    holds the row lock (FOR UPDATE on PostgreSQL; the writer lock on SQLite) so no
    change can slip between it and the UPDATE.
    """
    rows = session.execute(
        select(StockLevel.variant_id, StockLevel.on_hand)
        .where(StockLevel.location_id == location_id, StockLevel.variant_id.in_(set(variant_ids)))
        .order_by(StockLevel.variant_id)
        .with_for_update()
    )
    return {r.variant_id: r.on_hand for r in rows}


def count(
    session: Session,
    *,
    location_id: uuid.UUID,
    lines: Sequence[Change],
    reference: str | None = None,
    kind: MovementKind = MovementKind.COUNT,
    now: datetime | None = None,
) -> dict[uuid.UUID, int]:
    """Set counted quantities; the ledger records the differences. Reservations are kept
    even when the count finds fewer goods than are reserved (reality wins; the level
    then shows a shortage). Returns the differences."""
    for i, c in enumerate(lines):
        if c.quantity < 0:
            raise InvalidInput(
                "A count cannot be negative.",
                errors=[
                    {
                        "field": f"lines.{i}.quantity",
                        "message": "must be 0 or more",
                        "type": "greater_than_equal",
                    }
                ],
            )
    ids = [c.variant_id for c in lines]
    if len(set(ids)) != len(ids):
        raise InvalidInput(
            "Each variant may be counted once per request.",
            errors=[{"field": "lines", "message": "duplicate variant", "type": "duplicate"}],
        )
    _check_items(session, location_id, ids, "lines")
    sql.ensure_levels(session, [(v, location_id) for v in ids], _allowances(session, ids))
    before = _on_hand_locked(session, location_id, ids)
    deltas = [
        (i, c.variant_id, c.quantity - before.get(c.variant_id, 0)) for i, c in enumerate(lines)
    ]
    _apply(
        session,
        location_id=location_id,
        deltas=deltas,
        kind=kind,
        covered=False,
        reason=None,
        reference_type=kind.value if reference else None,
        reference_id=reference,
        now=now or utcnow(),
    )
    return {v: d for _, v, d in deltas}


def _positive(lines: Sequence[Change]) -> None:
    if not lines:
        raise InvalidInput(
            "No lines.", errors=[{"field": "lines", "message": "empty", "type": "missing"}]
        )
    for i, c in enumerate(lines):
        if c.quantity <= 0:
            raise InvalidInput(
                "Quantities must be positive.",
                errors=[
                    {
                        "field": f"lines.{i}.quantity",
                        "message": "must be greater than 0",
                        "type": "greater_than",
                    }
                ],
            )


def sync_levels(
    session: Session,
    *,
    levels: Sequence[tuple[uuid.UUID, uuid.UUID, int]],
    reference: str | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Absolute levels from an ERP/WMS, as (variant, location, on_hand). Reservations are
    kept; the ledger records each difference as a `sync` movement."""
    now = now or utcnow()
    by_location: dict[uuid.UUID, list[Change]] = {}
    for v, loc, q in levels:
        by_location.setdefault(loc, []).append(Change(v, q))
    if len(by_location) > 1:
        # The counts below go location by location: take the rows in lock order first.
        keys = sorted({(v, loc) for v, loc, _ in levels})
        _lock_levels(session, tuple_(StockLevel.variant_id, StockLevel.location_id).in_(keys))
    changed = 0
    for loc in sorted(by_location):
        diffs = count(
            session,
            location_id=loc,
            lines=by_location[loc],
            reference=reference,
            kind=MovementKind.SYNC,
            now=now,
        )
        changed += sum(1 for d in diffs.values() if d)
    return {"levels": len(levels), "changed": changed}
