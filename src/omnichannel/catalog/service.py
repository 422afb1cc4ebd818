"""Product and variant use cases. A product is the aggregate root: every change to it
or to one of its variants bumps its version and records one product event."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omnichannel.catalog import taxonomy
from omnichannel.catalog.errors import GtinTaken, ProductCodeTaken, SkuTaken
from omnichannel.catalog.facts import ShippingFacts as ShippingFacts

# Re-exported for other domains, which read the catalog only through this module.
from omnichannel.catalog.facts import VariantFacts as VariantFacts
from omnichannel.catalog.facts import existing_ids as existing_ids
from omnichannel.catalog.facts import pricing_facts as pricing_facts
from omnichannel.catalog.facts import shipping_facts as shipping_facts
from omnichannel.catalog.models import Brand, Category, Product, Variant
from omnichannel.catalog.rules import (
    DIMENSIONS,
    InvalidGtin,
    Status,
    like_escape,
    normalise_gtin,
    search_terms,
    search_text,
)
from omnichannel.catalog.schemas import ProductCreate, ProductUpdate, VariantCreate, VariantUpdate
from omnichannel.db import record_event
from omnichannel.kernel import NotFound, new_id, utcnow
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed


def _event(session: Session, product: Product, type: str) -> None:
    record_event(
        session,
        aggregate_type="product",
        aggregate_id=product.id,
        sequence=product.version,
        type=type,
        payload={
            "id": str(product.id),
            "code": product.code,
            "status": product.status,
            "skus": [v.sku for v in product.variants],
        },
    )


def _touch(product: Product) -> None:
    """Recompute what derives from the variants and force the versioned UPDATE."""
    product.search_text = search_text(
        name=product.name,
        code=product.code,
        skus=[v.sku for v in product.variants],
        gtins=[v.gtin for v in product.variants],
    )
    product.updated_at = utcnow()


def _load(session: Session, product_id: uuid.UUID) -> Product:
    product = session.scalar(
        select(Product).where(Product.id == product_id).options(selectinload(Product.variants))
    )
    if product is None:
        raise NotFound(f"Product {product_id} does not exist.")
    return product


def _check_version(product: Product, if_version: int | None) -> None:
    if if_version is not None and if_version != product.version:
        raise PreconditionFailed(
            f"Product {product.code} is at version {product.version}, not {if_version}."
        )


def _check_refs(
    session: Session, brand_id: uuid.UUID | None, category_id: uuid.UUID | None
) -> None:
    if brand_id is not None and session.get(Brand, brand_id) is None:
        raise InvalidInput(
            f"Brand {brand_id} does not exist.",
            errors=[{"field": "brand_id", "message": "no such brand", "type": "unknown_brand"}],
        )
    if category_id is not None and session.get(Category, category_id) is None:
        raise InvalidInput(
            f"Category {category_id} does not exist.",
            errors=[
                {"field": "category_id", "message": "no such category", "type": "unknown_category"}
            ],
        )


def _check_code(session: Session, code: str, *, other_than: uuid.UUID | None = None) -> None:
    found = session.scalar(select(Product.id).where(Product.code == code))
    if found is not None and found != other_than:
        raise ProductCodeTaken(
            f"A product with code {code} already exists.",
            errors=[{"field": "code", "message": "already in use", "type": "duplicate"}],
        )


def _check_variants(
    session: Session,
    variants: Sequence[tuple[str, str | None, str | None]],
    *,
    other_than: uuid.UUID | None = None,
) -> None:
    """(field prefix, new sku, gtin) triples: unique among themselves and in the catalog."""
    seen: dict[tuple[str, str], str] = {}
    for prefix, sku, gtin in variants:
        for kind, value in (("sku", sku), ("gtin", gtin)):
            if value is None:
                continue
            if (kind, value) in seen:
                raise InvalidInput(
                    f"{kind.upper()} {value} is given twice.",
                    errors=[
                        {
                            "field": f"{prefix}{kind}",
                            "message": f"same as {seen[kind, value]}",
                            "type": "duplicate",
                        }
                    ],
                )
            seen[kind, value] = f"{prefix}{kind}"
    skus = [sku for _, sku, _ in variants if sku]
    taken = (
        set(session.scalars(select(Variant.sku).where(Variant.sku.in_(skus)))) if skus else set()
    )
    for prefix, sku, _ in variants:
        if sku and sku in taken:
            raise SkuTaken(
                f"SKU {sku} already exists.",
                errors=[
                    {"field": f"{prefix}sku", "message": "already in use", "type": "sku_taken"}
                ],
            )
    gtins = [g for _, _, g in variants if g]
    if not gtins:
        return
    rows = session.execute(select(Variant.gtin, Variant.id).where(Variant.gtin.in_(gtins)))
    owners: dict[str | None, uuid.UUID] = dict(rows.all())
    for prefix, _, gtin in variants:
        if gtin and gtin in owners and owners[gtin] != other_than:
            raise GtinTaken(
                f"GTIN {gtin} is already used by another variant.",
                errors=[
                    {"field": f"{prefix}gtin", "message": "already in use", "type": "gtin_taken"}
                ],
            )


# Variant fields an explicit null clears (unknown); others keep their value.
_NULLABLE = frozenset({"gtin", "weight_g", *DIMENSIONS})


def _new_variant(data: VariantCreate) -> Variant:
    return Variant(
        id=new_id(),
        sku=data.sku,
        gtin=data.gtin,
        options=dict(data.options),
        weight_g=data.weight_g,
        length_mm=data.length_mm,
        width_mm=data.width_mm,
        height_mm=data.height_mm,
        vat_class=data.vat_class.value,
        images=list(data.images),
        status=data.status.value,
    )


def create_product(session: Session, *, data: ProductCreate) -> Product:
    """Add a product with its variants."""
    _check_code(session, data.code)
    _check_refs(session, data.brand_id, data.category_id)
    _check_variants(
        session, [(f"variants.{i}.", v.sku, v.gtin) for i, v in enumerate(data.variants)]
    )
    product = Product(
        id=new_id(),
        code=data.code,
        name=data.name,
        description=data.description,
        brand_id=data.brand_id,
        category_id=data.category_id,
        attributes=dict(data.attributes),
        images=list(data.images),
        status=data.status.value,
        variants=[_new_variant(v) for v in data.variants],
    )
    _touch(product)
    session.add(product)
    session.flush()
    _event(session, product, "product.created")
    return product


def get_product(session: Session, *, product_id: uuid.UUID) -> Product:
    """One product with its variants; 404 if unknown."""
    return _load(session, product_id)


def list_products(
    session: Session,
    *,
    after: uuid.UUID | None = None,
    limit: int = 50,
    category: str | None = None,
    brand: str | None = None,
    status: Status | None = None,
    q: str | None = None,
) -> list[Product]:
    """Products in id order with their variants, `limit + 1` of them so the caller can
    tell if more follow. `category` (id or code) includes everything below it."""
    stmt = select(Product).options(selectinload(Product.variants)).order_by(Product.id)
    if after is not None:
        stmt = stmt.where(Product.id > after)
    if category is not None:
        cat = taxonomy.find_category(session, ref=category)
        if cat is None:
            raise _unknown_filter("category", category)
        stmt = stmt.where(Product.category_id.in_(taxonomy.subtree(cat.path)))
    if brand is not None:
        found = taxonomy.find_brand(session, ref=brand)
        if found is None:
            raise _unknown_filter("brand", brand)
        stmt = stmt.where(Product.brand_id == found.id)
    if status is not None:
        stmt = stmt.where(Product.status == status.value)
    for term in search_terms(q or ""):
        stmt = stmt.where(Product.search_text.like(f"%{like_escape(term)}%", escape="\\"))
    return list(session.scalars(stmt.limit(limit + 1)))


def _unknown_filter(name: str, value: str) -> InvalidInput:
    return InvalidInput(
        f"No {name} has the id or code {value!r}.",
        errors=[{"field": name, "message": f"unknown {name}", "type": f"unknown_{name}"}],
    )


def update_product(
    session: Session, *, product_id: uuid.UUID, data: ProductUpdate, if_version: int | None = None
) -> Product:
    """Change a product's own fields; `if_version` guards against a lost update."""
    product = _load(session, product_id)
    _check_version(product, if_version)
    fields: dict[str, Any] = data.model_dump(exclude_unset=True)
    if fields.get("code") is not None and fields["code"] != product.code:
        _check_code(session, fields["code"], other_than=product.id)
    _check_refs(session, fields.get("brand_id"), fields.get("category_id"))
    for name, value in fields.items():
        if value is None and name not in ("description", "brand_id", "category_id"):
            continue  # required fields: null means "leave as is"
        setattr(product, name, str(value) if isinstance(value, StrEnum) else value)
    if not session.is_modified(product):
        return product
    _touch(product)
    session.flush()
    _event(session, product, "product.updated")
    return product


def archive_product(
    session: Session, *, product_id: uuid.UUID, if_version: int | None = None
) -> Product:
    """Stop selling a product and all its variants."""
    product = _load(session, product_id)
    _check_version(product, if_version)
    product.status = Status.ARCHIVED.value
    for variant in product.variants:
        variant.status = Status.ARCHIVED.value
    _touch(product)
    session.flush()
    _event(session, product, "product.archived")
    return product


def add_variant(session: Session, *, product_id: uuid.UUID, data: VariantCreate) -> Variant:
    """Add a variant to a product."""
    product = _load(session, product_id)
    _check_variants(session, [("", data.sku, data.gtin)])
    variant = _new_variant(data)
    product.variants.append(variant)
    _touch(product)
    session.flush()
    _event(session, product, "product.updated")
    return variant


def get_variant(session: Session, *, variant_id: uuid.UUID) -> Variant:
    """One variant; 404 if unknown."""
    variant = session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(f"Variant {variant_id} does not exist.")
    return variant


def list_variants(
    session: Session,
    *,
    after: uuid.UUID | None = None,
    limit: int = 50,
    sku: str | None = None,
    gtin: str | None = None,
    product_id: uuid.UUID | None = None,
) -> list[Variant]:
    """Variants in id order, `limit + 1` of them; by SKU, GTIN or product if asked."""
    if gtin is not None:
        try:
            gtin = normalise_gtin(gtin)
        except InvalidGtin as e:
            raise InvalidInput(
                f"{gtin!r} is not a GTIN: {e}.",
                errors=[{"field": "gtin", "message": str(e), "type": "invalid_gtin"}],
            ) from None
    stmt = select(Variant).order_by(Variant.id)
    if after is not None:
        stmt = stmt.where(Variant.id > after)
    if sku is not None:
        stmt = stmt.where(Variant.sku == sku)
    if gtin is not None:
        stmt = stmt.where(Variant.gtin == gtin)
    if product_id is not None:
        stmt = stmt.where(Variant.product_id == product_id)
    return list(session.scalars(stmt.limit(limit + 1)))


def update_variant(session: Session, *, variant_id: uuid.UUID, data: VariantUpdate) -> Variant:
    """Change a variant (archive it with status); its product's version moves."""
    product_id = session.scalar(select(Variant.product_id).where(Variant.id == variant_id))
    if product_id is None:
        raise NotFound(f"Variant {variant_id} does not exist.")
    product = _load(session, product_id)
    variant = next(v for v in product.variants if v.id == variant_id)
    fields: dict[str, Any] = data.model_dump(exclude_unset=True)
    if fields.get("gtin") is not None and fields["gtin"] != variant.gtin:
        _check_variants(session, [("", None, fields["gtin"])], other_than=variant.id)
    for name, value in fields.items():
        if value is None and name not in _NULLABLE:
            continue  # required fields: null means "leave as is"
        setattr(variant, name, str(value) if isinstance(value, StrEnum) else value)
    if not session.is_modified(variant):
        return variant
    _touch(product)
    session.flush()
    _event(session, product, "product.updated")
    return variant


def existing_variant_ids(session: Session, *, variant_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these variant ids exist (one query)."""
    ids = list(set(variant_ids))
    if not ids:
        return set()
    return set(session.scalars(select(Variant.id).where(Variant.id.in_(ids))))


def variant_ids_by_sku(session: Session, *, skus: Iterable[str]) -> dict[str, uuid.UUID]:
    """Map the given SKUs that exist to their variant ids (chunked IN queries)."""
    wanted = list(set(skus))
    out: dict[str, uuid.UUID] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        out.update(
            {
                r.sku: r.id
                for r in session.execute(
                    select(Variant.sku, Variant.id).where(Variant.sku.in_(chunk))
                )
            }
        )
    return out
