"""What other domains need to know about variants in bulk, in one query: pricing asks
which product, brand and categories a variant belongs to, and its tax class; a carrier
how heavy and how big one is."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from omnichannel.catalog.models import Brand, Category, Product, Variant
from omnichannel.catalog.rules import DIMENSIONS
from omnichannel.db.idlist import any_id, id_list

_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class VariantFacts:
    variant_id: uuid.UUID
    sku: str
    product_id: uuid.UUID
    brand_id: uuid.UUID | None
    category_ids: frozenset[uuid.UUID]  # its category and every category above it
    vat_class: str
    active: bool  # the variant and its product are on sale


@lru_cache(maxsize=4)
def _facts_query(dialect: str) -> Select[Any]:
    """Built once per dialect, with the ids as one bound array (`db.idlist`): a quote
    runs it, and rendering an expanding IN cost more than SQLite takes to run it."""
    variants, products = Variant.__table__, Product.__table__
    own = Category.__table__.alias("own")
    above = Category.__table__.alias("above")
    return (
        select(
            variants.c.id,
            variants.c.sku,
            variants.c.product_id,
            products.c.brand_id,
            above.c.id,
            variants.c.vat_class,
            variants.c.status,
            products.c.status,
        )
        .select_from(variants)
        .join(products, products.c.id == variants.c.product_id)
        .outerjoin(own, own.c.id == products.c.category_id)
        # Category paths are slugs ("odziez/koszulki"): an ancestor's path is a prefix.
        .outerjoin(above, or_(above.c.id == own.c.id, own.c.path.like(above.c.path + "/%")))
        .where(any_id(dialect, variants.c.id, id_list("ids")))
    )


def pricing_facts(
    session: Session, *, variant_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, VariantFacts]:
    """Facts of the given variants that exist, in one query per 5,000 ids."""
    wanted = list(dict.fromkeys(variant_ids))
    if not wanted:
        return {}
    found: dict[uuid.UUID, VariantFacts] = {}
    categories: dict[uuid.UUID, set[uuid.UUID]] = {}
    conn = session.connection()
    query = _facts_query(conn.dialect.name)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for vid, sku, pid, brand, cat, vat, v_status, p_status in conn.execute(
            query, {"ids": chunk}
        ):
            if vid not in found:
                found[vid] = VariantFacts(
                    variant_id=vid,
                    sku=sku,
                    product_id=pid,
                    brand_id=brand,
                    category_ids=frozenset(),
                    vat_class=vat,
                    active=v_status == "active" and p_status == "active",
                )
                categories[vid] = set()
            if cat is not None:
                categories[vid].add(cat)
    return {
        vid: replace(f, category_ids=frozenset(categories[vid])) if categories[vid] else f
        for vid, f in found.items()
    }


def existing_ids(
    session: Session,
    *,
    product_ids: Iterable[uuid.UUID] = (),
    category_ids: Iterable[uuid.UUID] = (),
    brand_ids: Iterable[uuid.UUID] = (),
) -> tuple[set[uuid.UUID], set[uuid.UUID], set[uuid.UUID]]:
    """Which of these products, categories and brands exist (a query per kind asked)."""
    out: list[set[uuid.UUID]] = []
    for model, ids in ((Product, product_ids), (Category, category_ids), (Brand, brand_ids)):
        wanted = list(set(ids))
        out.append(
            set(session.scalars(select(model.id).where(model.id.in_(wanted)))) if wanted else set()
        )
    return out[0], out[1], out[2]


@dataclass(frozen=True, slots=True)
class ShippingFacts:
    """What a carrier needs to know of one unit of a variant (None: unknown)."""

    variant_id: uuid.UUID
    sku: str
    weight_g: int | None
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None


def shipping_facts(
    session: Session, *, variant_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ShippingFacts]:
    """Weight and packed size of the given variants that exist (one query per 5,000)."""
    wanted = list(dict.fromkeys(variant_ids))
    found: dict[uuid.UUID, ShippingFacts] = {}
    cols = (Variant.id, Variant.sku, Variant.weight_g, *(getattr(Variant, d) for d in DIMENSIONS))
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for row in session.execute(select(*cols).where(Variant.id.in_(chunk))):
            found[row[0]] = ShippingFacts(*row)
    return found
