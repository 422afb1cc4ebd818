"""A parcel's items as a carrier sees them, from the catalog's weights and sizes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.fulfillment.carriers.sizing import ParcelItem


def parcel_items(
    session: Session, *, lines: Sequence[tuple[uuid.UUID, int]]
) -> tuple[ParcelItem, ...]:
    """(variant id, quantity) pairs as parcel items, in one query; a variant the
    catalog does not know counts as one of unknown size (`size_unknown` if a locker
    compartment is asked for it)."""
    facts = catalog.shipping_facts(session, variant_ids=[v for v, _ in lines])
    out = []
    for variant_id, quantity in lines:
        f = facts.get(variant_id)
        if f is None:
            out.append(ParcelItem(str(variant_id), quantity, None, None, None, None))
        else:
            out.append(
                ParcelItem(f.sku, quantity, f.weight_g, f.length_mm, f.width_mm, f.height_mm)
            )
    return tuple(out)
