"""Bulk upsert of products (by code) and their variants (by SKU): set-based and all
or nothing.

Per call: one SELECT of the products by code, one of the variants that share a SKU
or GTIN with the batch or belong to its products, one each of brands and categories
(resolved in memory), then multi-row INSERTs, executemany UPDATEs (versions bumped
here, guarded by the version read) and one multi-row INSERT of events. No ORM
objects: this is the path that loads a retailer's whole catalog.

Fields a document leaves out (or sets to null) keep their current value. A GTIN
must not belong to another SKU in the database, even one this batch gives a new
GTIN: moving a barcode between variants takes two imports.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from omnichannel.catalog.bulk import (
    PRODUCTS,
    VARIANTS,
    Taxonomy,
    expire,
    insert_rows,
    select_in,
    update_rows,
)
from omnichannel.catalog.errors import ImportRejected
from omnichannel.catalog.rules import (
    DIMENSIONS,
    InvalidGtin,
    Status,
    VatClass,
    normalise_gtin,
    search_text,
)
from omnichannel.catalog.schemas import CatalogImportResult, ProductImport, VariantImport
from omnichannel.db import record_events
from omnichannel.kernel import new_id, utcnow

_PRODUCT_FIELDS = (
    "name",
    "description",
    "brand_id",
    "category_id",
    "attributes",
    "images",
    "status",
    "search_text",
)
_VARIANT_FIELDS = ("gtin", "options", "weight_g", *DIMENSIONS, "vat_class", "images", "status")


def _pick(new: Any, old: Row[Any] | None, name: str, default: Any) -> Any:
    """The new value if given, else the stored one, else the default."""
    if new is not None:
        return new.value if isinstance(new, Status | VatClass) else new
    return getattr(old, name) if old is not None else default


class _Batch:
    """What one call will write, worked out in memory; `errors` collects every problem."""

    def __init__(self, session: Session, products: Sequence[ProductImport]) -> None:
        self.errors: list[dict[str, str]] = []
        self.gtins = self._check(products)
        codes = [p.code for p in products]
        p, v = PRODUCTS.c, VARIANTS.c
        stmt = select(p.id, p.code, p.version, *(p[f] for f in _PRODUCT_FIELDS))
        self.existing = {r.code: r for r in select_in(session, stmt, [(p.code, codes)])}
        known = select_in(
            session,
            select(
                v.id,
                v.product_id,
                v.sku,
                *(v[f] for f in _VARIANT_FIELDS),
                p.code.label("product_code"),
            )
            .join(PRODUCTS, p.id == v.product_id)
            .order_by(v.id),
            [
                (v.sku, [x.sku for product in products for x in product.variants]),
                (v.gtin, list(self.gtins.values())),
                (v.product_id, [r.id for r in self.existing.values()]),
            ],
        )
        self.by_sku = {r.sku: r for r in known}
        self.by_gtin = {r.gtin: r for r in known if r.gtin}
        self.by_product: dict[uuid.UUID, list[Row[Any]]] = {}
        for r in sorted(known, key=lambda r: r.id):
            self.by_product.setdefault(r.product_id, []).append(r)
        self.taxonomy = Taxonomy(session)
        self.now = utcnow()
        self.new_products: list[dict[str, Any]] = []
        self.product_updates: list[dict[str, Any]] = []
        self.new_variants: list[dict[str, Any]] = []
        self.variant_updates: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        for i, product in enumerate(products):
            self._product(i, product)

    def _error(self, field: str, message: str, type: str) -> None:
        self.errors.append({"field": field, "message": message, "type": type})

    def _check(self, products: Sequence[ProductImport]) -> dict[tuple[int, int], str]:
        """GTINs checked again (this path must not trust its caller) and uniqueness inside
        the batch; returns the GTIN of each (product, variant) index that has one."""
        gtins: dict[tuple[int, int], str] = {}
        seen: dict[tuple[str, str], str] = {}

        def once(kind: str, value: str, field: str) -> None:
            first = seen.setdefault((kind, value), field)
            if first != field:
                self._error(field, f"{kind} {value} also at {first}", "duplicate")

        for i, p in enumerate(products):
            once("product code", p.code, f"products.{i}.code")
            for j, v in enumerate(p.variants):
                once("SKU", v.sku, f"products.{i}.variants.{j}.sku")
                if v.gtin is None:
                    continue
                try:
                    gtins[i, j] = normalise_gtin(v.gtin)
                except InvalidGtin as e:
                    self._error(f"products.{i}.variants.{j}.gtin", str(e), "invalid_gtin")
                    continue
                once("GTIN", gtins[i, j], f"products.{i}.variants.{j}.gtin")
        return gtins

    def _product(self, i: int, p: ProductImport) -> None:
        old = self.existing.get(p.code)
        pid = old.id if old is not None else new_id()
        row: dict[str, Any] = {
            "name": p.name,
            "description": _pick(p.description, old, "description", None),
            "attributes": _pick(p.attributes, old, "attributes", {}),
            "images": _pick(p.images, old, "images", []),
            "status": _pick(p.status, old, "status", Status.ACTIVE.value),
        }
        try:
            row["brand_id"] = (
                self.taxonomy.brand(p.brand) if p.brand else _pick(None, old, "brand_id", None)
            )
        except ValueError as e:
            self._error(f"products.{i}.brand", str(e), "invalid_name")
        try:
            category = self.taxonomy.category(p.category) if p.category else None
            row["category_id"] = category or _pick(None, old, "category_id", None)
        except ValueError as e:
            self._error(f"products.{i}.category", str(e), "invalid_category")
        # The product's variants after the upsert (SKU -> GTIN), for its search text and event.
        final: dict[str, str | None] = {r.sku: r.gtin for r in self.by_product.get(pid, [])}
        changed = sum(self._variant(i, j, v, pid, final) for j, v in enumerate(p.variants))
        row["search_text"] = search_text(name=p.name, code=p.code, skus=final, gtins=final.values())
        payload = {"id": str(pid), "code": p.code, "status": row["status"], "skus": list(final)}
        if old is None:
            stamp = {"version": 1, "created_at": self.now, "updated_at": self.now}
            self.new_products.append({"id": pid, "code": p.code, **row, **stamp})
            self.events.append(_product_event(pid, 1, "product.created", payload))
        elif changed or any(row.get(f) != getattr(old, f) for f in _PRODUCT_FIELDS):
            version = old.version + 1
            stamp = {"version": version, "updated_at": self.now}
            self.product_updates.append({"b_id": pid, "b_version": old.version, **row, **stamp})
            self.events.append(_product_event(pid, version, "product.updated", payload))

    def _variant(
        self, i: int, j: int, v: VariantImport, pid: uuid.UUID, final: dict[str, str | None]
    ) -> bool:
        """Plan one variant; True if it is created or changed."""
        db = self.by_sku.get(v.sku)
        if db is not None and db.product_id != pid:
            message = f"SKU {v.sku} belongs to product {db.product_code}"
            self._error(f"products.{i}.variants.{j}.sku", message, "sku_taken")
            return False
        gtin = self.gtins.get((i, j))
        owner = self.by_gtin.get(gtin) if gtin else None
        if owner is not None and owner.sku != v.sku:
            message = f"GTIN {gtin} is already used by SKU {owner.sku}"
            self._error(f"products.{i}.variants.{j}.gtin", message, "gtin_taken")
            return False
        vals = {
            "gtin": gtin if gtin is not None else _pick(None, db, "gtin", None),
            "options": _pick(v.options, db, "options", {}),
            "weight_g": _pick(v.weight_g, db, "weight_g", None),
            **{d: _pick(getattr(v, d), db, d, None) for d in DIMENSIONS},
            "vat_class": _pick(v.vat_class, db, "vat_class", VatClass.STANDARD.value),
            "images": _pick(v.images, db, "images", []),
            "status": _pick(v.status, db, "status", Status.ACTIVE.value),
        }
        final[v.sku] = vals["gtin"]
        if db is None:
            stamp = {"created_at": self.now, "updated_at": self.now}
            self.new_variants.append(
                {"id": new_id(), "product_id": pid, "sku": v.sku, **vals, **stamp}
            )
            return True
        if any(vals[f] != getattr(db, f) for f in _VARIANT_FIELDS):
            self.variant_updates.append({"b_id": db.id, **vals, "updated_at": self.now})
            return True
        return False


def _product_event(
    pid: uuid.UUID, sequence: int, type: str, payload: dict[str, Any]
) -> dict[str, Any]:
    return {
        "aggregate_type": "product",
        "aggregate_id": pid,
        "sequence": sequence,
        "type": type,
        "payload": payload,
    }


def import_products(session: Session, *, products: Sequence[ProductImport]) -> CatalogImportResult:
    """Upsert products by code and variants by SKU; any problem rejects the whole batch
    (ImportRejected lists them all, with fields like `products.3.variants.1.gtin`)."""
    batch = _Batch(session, products)
    if batch.errors:
        raise ImportRejected(
            f"The import has {len(batch.errors)} problem(s); nothing was written.",
            errors=batch.errors,
        )
    events = batch.taxonomy.write(session, now=batch.now)
    insert_rows(session, PRODUCTS, batch.new_products)
    update_rows(session, PRODUCTS, batch.product_updates, versioned=True)
    insert_rows(session, VARIANTS, batch.new_variants)
    update_rows(session, VARIANTS, batch.variant_updates, versioned=False)
    record_events(session, events + batch.events)
    expire(session, {u["b_id"] for u in batch.product_updates + batch.variant_updates})
    return CatalogImportResult(
        created_products=len(batch.new_products),
        updated_products=len(batch.product_updates),
        created_variants=len(batch.new_variants),
        updated_variants=len(batch.variant_updates),
    )
