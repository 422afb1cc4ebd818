"""Backorder/preorder policies and safety stock."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.inventory import statements as sql
from omnichannel.inventory.errors import StockReserved
from omnichannel.inventory.models import (
    LocationStockSettings,
    StockLevel,
    StockPolicy,
)
from omnichannel.inventory.operations import (
    _allowances,
    _check_items,
    _lock_levels,
)
from omnichannel.inventory.rules import allowance_of
from omnichannel.kernel import NotFound, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.locations import service as locations
from omnichannel.locations.rules import Capability


def set_policy(
    session: Session,
    *,
    variant_id: uuid.UUID,
    backorder: bool,
    backorder_limit: int | None,
    preorder_until: date | None,
) -> StockPolicy:
    """Set a variant's backorder/preorder policy and its headroom at every location."""
    if not catalog.existing_variant_ids(session, variant_ids=[variant_id]):
        raise NotFound(f"Variant {variant_id} does not exist.")
    if preorder_until is not None and not backorder:
        raise InvalidInput(
            "A preorder is a backorder with an expected date: set backorder too.",
            errors=[
                {"field": "backorder", "message": "must be true for a preorder", "type": "invalid"}
            ],
        )
    # Insert-or-ignore, then lock: two first policies of a variant set at the same time
    # must queue here, not both INSERT (the second would fail on the primary key).
    sql.insert_ignore(session, sql.policies, [{"variant_id": variant_id}])
    policy = session.get_one(StockPolicy, variant_id, with_for_update=True, populate_existing=True)
    policy.backorder, policy.backorder_limit, policy.preorder_until = (
        backorder,
        backorder_limit,
        preorder_until,
    )
    policy.updated_at = utcnow()
    session.add(policy)
    allowance = allowance_of(backorder, backorder_limit)
    if backorder:
        # Goods on backorder or preorder arrive where suppliers deliver: give the variant
        # a level at every shipping location, so an item never yet received can be promised.
        shipping = locations.list_locations(
            session, capability=Capability.SHIPS, status="active", limit=10_000
        )
        sql.ensure_levels(
            session, [(variant_id, loc.id) for loc in shipping], {variant_id: allowance}
        )
    _lock_levels(session, StockLevel.variant_id == variant_id)
    # Conditional, like a reservation: a level that already promises more than a lower
    # headroom allows keeps its old allowance, and the check below refuses the change.
    # Raising the headroom always applies (even where a count left a shortage).
    session.execute(
        update(StockLevel)
        .where(
            StockLevel.variant_id == variant_id,
            (StockLevel.reserved <= StockLevel.on_hand + allowance)
            | (StockLevel.allowance <= allowance),
        )
        .values(allowance=allowance, updated_at=utcnow())
    )
    over = session.execute(
        select(StockLevel.location_id).where(
            StockLevel.variant_id == variant_id, StockLevel.allowance != allowance
        )
    ).first()
    if over is not None:
        raise StockReserved(
            f"Location {over.location_id} already promises more than the new limit allows."
        )
    sql.touch_levels(session, StockLevel.variant_id == variant_id, cause="policy", now=utcnow())
    session.flush()
    return policy


def get_policy(session: Session, *, variant_id: uuid.UUID) -> StockPolicy | None:
    """A variant's policy, or None for the default (no backorder)."""
    return session.get(StockPolicy, variant_id)


def set_safety_stock(
    session: Session, *, location_id: uuid.UUID, units: int, variant_id: uuid.UUID | None = None
) -> None:
    """Safety stock kept back from ATP: a location default, or one variant's override there."""
    if units < 0:
        raise InvalidInput(
            "Safety stock cannot be negative.",
            errors=[
                {"field": "units", "message": "must be 0 or more", "type": "greater_than_equal"}
            ],
        )
    _check_items(session, location_id, [variant_id] if variant_id else [], None)
    if variant_id is None:
        row = session.get(LocationStockSettings, location_id) or LocationStockSettings(
            location_id=location_id
        )
        row.safety_stock = units
        session.add(row)
        session.flush()
        affected = StockLevel.location_id == location_id
    else:
        sql.ensure_levels(session, [(variant_id, location_id)], _allowances(session, [variant_id]))
        affected = (StockLevel.variant_id == variant_id) & (StockLevel.location_id == location_id)
        session.execute(update(StockLevel).where(affected).values(safety_stock=units))
    _lock_levels(session, affected)
    sql.touch_levels(session, affected, cause="safety_stock", now=utcnow())


def policy_view(policy: StockPolicy | None) -> dict[str, Any]:
    if policy is None:
        return {"backorder": False, "backorder_limit": None, "preorder_until": None}
    return {
        "backorder": policy.backorder,
        "backorder_limit": policy.backorder_limit,
        "preorder_until": policy.preorder_until,
    }
