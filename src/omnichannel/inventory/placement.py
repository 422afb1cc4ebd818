"""Where each line of an order is taken from: the first of the channel's locations,
in the channel's order, whose stock covers the whole line (one location per line).

Sourcing across locations (splitting a line, nearest store, cheapest shipment) is the
fulfilment domain's job; this is the plain rule checkout uses until then. One read
of the levels for all lines, then the caller reserves the chosen (variant, location)
pairs with the atomic conditional UPDATE; a line another buyer took in between is
refused there, never oversold.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.levels import levels_by_variant
from omnichannel.inventory.reservations import Line
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Want:
    variant_id: uuid.UUID
    quantity: int


def place(
    session: Session,
    *,
    wants: Sequence[Want],
    locations: Sequence[uuid.UUID],
    now: datetime | None = None,
) -> list[Line]:
    """A location for every line, in the lines' order; 409 `insufficient_stock` naming
    the first line no single location can cover, with the most any one location has."""
    if not locations:
        raise InvalidInput(
            "This channel sells from no location.",
            errors=[{"field": "channel", "message": "no sell-from locations", "type": "no_stock"}],
        )
    if len(locations) == 1:
        # Nothing to choose: the conditional UPDATE is the check, and a line it
        # refuses is named by the reservation (after freeing overdue holds).
        return [Line(w.variant_id, locations[0], w.quantity) for w in wants]
    now = now or utcnow()
    levels = levels_by_variant(
        session, list(dict.fromkeys(w.variant_id for w in wants)), locations, now
    )
    rank = {loc: i for i, loc in enumerate(locations)}
    placed = []
    for index, want in enumerate(wants):
        views = sorted(levels.get(want.variant_id, []), key=lambda v: rank[v.location_id])
        best = max((v.orderable for v in views), default=0)
        chosen = next((v.location_id for v in views if v.orderable >= want.quantity), None)
        if chosen is None:
            raise InsufficientStock(
                f"Line {index}: only {best} of variant {want.variant_id} can be sold from one "
                f"location of this channel; {want.quantity} requested. Nothing was reserved.",
                errors=[
                    {
                        "field": f"lines.{index}.quantity",
                        "message": f"only {best} available",
                        "type": "insufficient_stock",
                    }
                ],
                line=index,
                variant_id=str(want.variant_id),
                requested=want.quantity,
                available=best,
            )
        placed.append(Line(want.variant_id, chosen, want.quantity))
    return placed
