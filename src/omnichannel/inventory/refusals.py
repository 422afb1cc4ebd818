"""Why the level refused a line of a reservation: an unknown variant or location
(422), or not enough stock there (409, with how much the level can still give).

Read only after the conditional UPDATE said no, so the hot path never pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.inventory.errors import InsufficientStock, UnknownStockItem
from omnichannel.inventory.models import StockLevel
from omnichannel.locations import service as locations

if TYPE_CHECKING:  # reservations imports this module
    from omnichannel.inventory.reservations import Line


def why_not(session: Session, *, index: int, line: Line) -> Exception:
    """Explain a refused line: unknown item, or not enough stock (and how much there is)."""
    level = session.execute(
        select(StockLevel.on_hand, StockLevel.reserved, StockLevel.allowance).where(
            StockLevel.variant_id == line.variant_id, StockLevel.location_id == line.location_id
        )
    ).first()
    if level is None:
        if not catalog.existing_variant_ids(session, variant_ids=[line.variant_id]):
            return UnknownStockItem(
                f"Variant {line.variant_id} does not exist.",
                errors=[
                    {
                        "field": f"lines.{index}.variant_id",
                        "message": "no such variant",
                        "type": "unknown_variant",
                    }
                ],
            )
        if not locations.location_kinds(session, location_ids=[line.location_id]):
            return UnknownStockItem(
                f"Location {line.location_id} does not exist.",
                errors=[
                    {
                        "field": f"lines.{index}.location_id",
                        "message": "no such location",
                        "type": "unknown_location",
                    }
                ],
            )
        available = 0
    else:
        available = max(0, level.on_hand - level.reserved + level.allowance)
    return InsufficientStock(
        f"Only {available} of variant {line.variant_id} can be reserved at location {line.location_id}; "
        f"{line.quantity} requested. Nothing was reserved.",
        errors=[
            {
                "field": f"lines.{index}.quantity",
                "message": f"only {available} available",
                "type": "insufficient_stock",
            }
        ],
        variant_id=str(line.variant_id),
        location_id=str(line.location_id),
        requested=line.quantity,
        available=available,
    )
