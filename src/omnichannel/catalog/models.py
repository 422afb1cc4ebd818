"""Brands, the category tree, products and their variants.

A product is the aggregate root: its `version` moves whenever the product or any of
its variants changes, and its events carry that version as their sequence.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnichannel.catalog.rules import DIMENSIONS
from omnichannel.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from omnichannel.db.types import JSONDoc


class Brand(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "brands"

    code: Mapped[str] = mapped_column(String(64), unique=True)  # slug
    name: Mapped[str] = mapped_column(String(200))


class Category(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "categories"

    # RESTRICT: a category with children cannot be deleted (the service says so first).
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(64), unique=True)  # slug, unique in the whole tree
    name: Mapped[str] = mapped_column(String(200))
    # Materialised path of codes, "apparel/t-shirts": a subtree is one prefix LIKE on
    # this unique index; moving a category rewrites its descendants' paths.
    path: Mapped[str] = mapped_column(String(1000), unique=True)


class Product(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "products"

    code: Mapped[str] = mapped_column(String(64), unique=True)  # the retailer's style number
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    brand_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("brands.id", ondelete="RESTRICT"), index=True
    )
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    images: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # Status
    # Name, code, SKUs and GTINs folded (rules.search_text): `q` is one portable LIKE.
    search_text: Mapped[str] = mapped_column(Text, default="")

    variants: Mapped[list[Variant]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="Variant.id", back_populates="product"
    )

    __table_args__ = (CheckConstraint("status IN ('active', 'archived')", name="status"),)


class Variant(IdMixin, TimestampMixin, Base):
    __tablename__ = "variants"

    product_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    # Digits of the length given (8, 12, 13 or 14); unique when present.
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    options: Mapped[dict[str, str]] = mapped_column(JSONDoc, default=dict)  # {"size": "M"}
    weight_g: Mapped[int | None]
    # The packed size in millimetres, any orientation: a parcel locker's compartment
    # is chosen from them (fulfillment.carriers.sizing). None: unknown.
    length_mm: Mapped[int | None]
    width_mm: Mapped[int | None]
    height_mm: Mapped[int | None]
    vat_class: Mapped[str] = mapped_column(String(16), default="standard")  # VatClass
    images: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")  # Status

    product: Mapped[Product] = relationship(lazy="raise", back_populates="variants")

    __table_args__ = (
        CheckConstraint("weight_g IS NULL OR weight_g >= 0", name="weight_g_non_negative"),
        *(
            CheckConstraint(f"{c} IS NULL OR {c} >= 0", name=f"{c}_non_negative")
            for c in DIMENSIONS
        ),
        CheckConstraint("status IN ('active', 'archived')", name="status"),
        CheckConstraint(
            "vat_class IN ('standard', 'reduced', 'super_reduced', 'zero', 'exempt')",
            name="vat_class",
        ),
    )
