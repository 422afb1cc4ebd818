"""Reading stock: levels, the movement ledger, and the ledger check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.inventory.models import (
    StockLevel,
    StockMovement,
)


def list_levels(
    session: Session,
    *,
    variant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    after: tuple[uuid.UUID, uuid.UUID] | None = None,
    limit: int = 100,
) -> list[StockLevel]:
    """Stock levels filtered by variant and/or location, in key order, `limit + 1` of them."""
    q = select(StockLevel).order_by(StockLevel.variant_id, StockLevel.location_id)
    if variant_id is not None:
        q = q.where(StockLevel.variant_id == variant_id)
    if location_id is not None:
        q = q.where(StockLevel.location_id == location_id)
    if after is not None:
        q = q.where(
            (StockLevel.variant_id > after[0])
            | ((StockLevel.variant_id == after[0]) & (StockLevel.location_id > after[1]))
        )
    return list(session.scalars(q.limit(limit + 1)))


def list_movements(
    session: Session,
    *,
    variant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    after: int | None = None,
    limit: int = 100,
) -> list[StockMovement]:
    """Ledger lines, oldest first, `limit + 1` of them."""
    q = select(StockMovement).order_by(StockMovement.id)
    if variant_id is not None:
        q = q.where(StockMovement.variant_id == variant_id)
    if location_id is not None:
        q = q.where(StockMovement.location_id == location_id)
    if after is not None:
        q = q.where(StockMovement.id > after)
    return list(session.scalars(q.limit(limit + 1)))


@dataclass(frozen=True, slots=True)
class Drift:
    variant_id: uuid.UUID
    location_id: uuid.UUID
    on_hand: int
    ledger: int


def check_ledger(session: Session) -> list[Drift]:
    """Levels whose on_hand differs from the sum of their movements (should be none)."""
    sums = (
        select(
            StockMovement.variant_id,
            StockMovement.location_id,
            func.sum(StockMovement.quantity).label("total"),
        )
        .group_by(StockMovement.variant_id, StockMovement.location_id)
        .subquery()
    )
    rows = session.execute(
        select(
            StockLevel.variant_id,
            StockLevel.location_id,
            StockLevel.on_hand,
            func.coalesce(sums.c.total, 0),
        )
        .outerjoin(
            sums,
            (sums.c.variant_id == StockLevel.variant_id)
            & (sums.c.location_id == StockLevel.location_id),
        )
        .where(StockLevel.on_hand != func.coalesce(sums.c.total, 0))
    ).all()
    orphans = session.execute(
        select(sums.c.variant_id, sums.c.location_id, sums.c.total)
        .outerjoin(
            StockLevel,
            (sums.c.variant_id == StockLevel.variant_id)
            & (sums.c.location_id == StockLevel.location_id),
        )
        .where(StockLevel.variant_id.is_(None), sums.c.total != 0)
    ).all()
    return [Drift(r[0], r[1], r[2], int(r[3])) for r in rows] + [
        Drift(r[0], r[1], 0, int(r[2])) for r in orphans
    ]
