"""Public contract of the catalog: brands, categories, products, variants, bulk import."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from omnichannel.catalog.rules import (
    MAX_CATEGORY_DEPTH,
    MAX_DIMENSION_MM,
    SLUG_MAX,
    SLUG_PATTERN,
    InvalidGtin,
    Status,
    VatClass,
    check_http_url,
    normalise_gtin,
    path_segments,
    slugify,
)
from omnichannel.contract import InputModel

MAX_IMPORT_PRODUCTS = 1000
MAX_IMPORT_VARIANTS = 10_000


def _gtin(value: str) -> str:
    try:
        return normalise_gtin(value)
    except InvalidGtin as e:
        raise PydanticCustomError("invalid_gtin", str(e)) from None


def _url(value: str) -> str:
    try:
        return check_http_url(value)
    except ValueError as e:
        raise PydanticCustomError("invalid_url", str(e)) from None


def _named(value: str) -> str:
    try:
        slugify(value)
    except ValueError as e:
        raise PydanticCustomError("invalid_name", str(e)) from None
    return value


def _category_path(value: str) -> str:
    names = path_segments(value)
    if not names or len(names) > MAX_CATEGORY_DEPTH:
        raise PydanticCustomError(
            "invalid_category",
            f"a category path has 1 to {MAX_CATEGORY_DEPTH} names separated by /",
        )
    for name in names:
        if len(name) > 200:
            raise PydanticCustomError(
                "invalid_category", "a category name has at most 200 characters"
            )
        _named(name)
    return "/".join(names)


Slug = Annotated[
    str,
    Field(min_length=1, max_length=SLUG_MAX, pattern=SLUG_PATTERN, examples=["t-shirts"]),
]
Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[^\s]+$",
        description="No whitespace.",
        examples=["TS-1001"],
    ),
]
Millimetres = Annotated[int, Field(ge=0, le=MAX_DIMENSION_MM)]
Gtin = Annotated[
    str,
    AfterValidator(_gtin),
    Field(
        description="EAN-8, UPC-A (12), EAN-13 or GTIN-14 with a valid check digit.",
        examples=["5901234123457"],
    ),
]
ImageUrl = Annotated[str, Field(max_length=2048), AfterValidator(_url)]
Name = Annotated[str, Field(min_length=1, max_length=300)]
Options = dict[
    Annotated[str, Field(min_length=1, max_length=64)],
    Annotated[str, Field(min_length=1, max_length=200)],
]
Description = Annotated[str, Field(max_length=20_000)]


class _In(InputModel):
    pass


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- brands ------------------------------------------------------------------------


class BrandCreate(_In):
    code: Slug = Field(description="Unique slug, e.g. `acme`.")
    name: str = Field(min_length=1, max_length=200, description="Display name.")


class BrandUpdate(_In):
    code: Slug | None = Field(None, description="New unique slug.")
    name: str | None = Field(None, min_length=1, max_length=200, description="New display name.")


class BrandRead(_Out):
    id: uuid.UUID
    code: str
    name: str
    version: int
    created_at: datetime
    updated_at: datetime


# --- categories --------------------------------------------------------------------


class CategoryCreate(_In):
    code: Slug = Field(description="Unique slug in the whole tree; the last part of the path.")
    name: str = Field(min_length=1, max_length=200, description="Display name.")
    parent_id: uuid.UUID | None = Field(
        None, description="Parent category; none for a top-level one."
    )


class CategoryUpdate(_In):
    code: Slug | None = Field(None, description="New slug; the paths below follow.")
    name: str | None = Field(None, min_length=1, max_length=200, description="New display name.")
    parent_id: uuid.UUID | None = Field(
        None, description="Move under this category; an explicit null moves it to the top level."
    )


class CategoryRead(_Out):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    code: str
    name: str
    path: str = Field(description='Codes from the top, e.g. "apparel/t-shirts".')
    version: int
    created_at: datetime
    updated_at: datetime


# --- variants ----------------------------------------------------------------------


class VariantCreate(_In):
    sku: Code = Field(description="Stock keeping unit, unique across the catalog.")
    gtin: Gtin | None = Field(None, description="Barcode; unique when given. Stored as digits.")
    options: Options = Field(default_factory=dict, description='Option values, e.g. {"size": "M"}.')
    weight_g: int | None = Field(None, ge=0, le=10_000_000, description="Shipping weight in grams.")
    length_mm: Millimetres | None = Field(None, description="Packed length in millimetres.")
    width_mm: Millimetres | None = Field(None, description="Packed width in millimetres.")
    height_mm: Millimetres | None = Field(None, description="Packed height in millimetres.")
    vat_class: VatClass = Field(
        VatClass.STANDARD, description="Tax class; pricing maps it to a rate."
    )
    images: list[ImageUrl] = Field(default_factory=list, max_length=50, description="http(s) URLs.")
    status: Status = Field(Status.ACTIVE, description="Archived variants are no longer sold.")


class VariantUpdate(_In):
    gtin: Gtin | None = Field(None, description="New barcode; explicit null removes it.")
    options: Options | None = Field(None, description="Replaces the option values.")
    weight_g: int | None = Field(None, ge=0, le=10_000_000, description="Explicit null: unknown.")
    length_mm: Millimetres | None = Field(None, description="Explicit null: unknown.")
    width_mm: Millimetres | None = Field(None, description="Explicit null: unknown.")
    height_mm: Millimetres | None = Field(None, description="Explicit null: unknown.")
    vat_class: VatClass | None = Field(None, description="New tax class.")
    images: list[ImageUrl] | None = Field(None, max_length=50, description="Replaces the images.")
    status: Status | None = Field(None, description="`archived` stops selling the variant.")


class VariantRead(_Out):
    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    gtin: str | None
    options: dict[str, str]
    weight_g: int | None
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None
    vat_class: VatClass
    images: list[str]
    status: Status
    created_at: datetime
    updated_at: datetime


class VariantPage(BaseModel):
    items: list[VariantRead]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last."
    )


# --- products ----------------------------------------------------------------------


class ProductCreate(_In):
    code: Code = Field(description="The retailer's style number, unique.")
    name: Name = Field(description="Display name.")
    description: Description | None = Field(None, description="Plain-text description.")
    brand_id: uuid.UUID | None = Field(None, description="Brand of the product.")
    category_id: uuid.UUID | None = Field(None, description="Category the product is filed under.")
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Free-form attributes (JSON)."
    )
    images: list[ImageUrl] = Field(default_factory=list, max_length=50, description="http(s) URLs.")
    status: Status = Field(Status.ACTIVE, description="Archived products are no longer sold.")
    variants: list[VariantCreate] = Field(
        default_factory=list, max_length=1000, description="Sellable variants."
    )


class ProductUpdate(_In):
    code: Code | None = Field(None, description="New unique style number.")
    name: Name | None = Field(None, description="New display name.")
    description: Description | None = Field(None, description="Explicit null removes it.")
    brand_id: uuid.UUID | None = Field(None, description="Explicit null removes the brand.")
    category_id: uuid.UUID | None = Field(None, description="Explicit null removes the category.")
    attributes: dict[str, Any] | None = Field(None, description="Replaces the attributes.")
    images: list[ImageUrl] | None = Field(None, max_length=50, description="Replaces the images.")
    status: Status | None = Field(
        None, description="Use POST .../archive to archive with the variants."
    )


class ProductRead(_Out):
    id: uuid.UUID
    code: str
    name: str
    description: str | None
    brand_id: uuid.UUID | None
    category_id: uuid.UUID | None
    attributes: dict[str, Any]
    images: list[str]
    status: Status
    version: int = Field(description='Changes with every edit; the ETag is W/"<version>".')
    created_at: datetime
    updated_at: datetime
    variants: list[VariantRead]


class ProductPage(BaseModel):
    items: list[ProductRead]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last."
    )


# --- bulk import -------------------------------------------------------------------


class VariantImport(_In):
    """A variant by SKU; fields left out (or null) keep their current value."""

    sku: Code = Field(description="Upsert key: unique across the catalog.")
    gtin: Gtin | None = None
    options: Options | None = None
    weight_g: int | None = Field(None, ge=0, le=10_000_000)
    length_mm: Millimetres | None = None
    width_mm: Millimetres | None = None
    height_mm: Millimetres | None = None
    vat_class: VatClass | None = None
    images: list[ImageUrl] | None = Field(None, max_length=50)
    status: Status | None = None


class ProductImport(_In):
    """A product by code with its variants; fields left out (or null) keep their value."""

    code: Code = Field(description="Upsert key: the retailer's style number.")
    name: Name
    description: Description | None = None
    brand: Annotated[str, Field(max_length=200), AfterValidator(_named)] | None = Field(
        None, description="Brand NAME; created (with a slug code) when new."
    )
    category: Annotated[str, Field(max_length=2100), AfterValidator(_category_path)] | None = Field(
        None,
        description='Path of category NAMES, e.g. "Odzież/Koszulki"; missing ones are created.',
    )
    status: Status | None = None
    images: list[ImageUrl] | None = Field(None, max_length=50)
    attributes: dict[str, Any] | None = None
    variants: list[VariantImport] = Field(default_factory=list, max_length=1000)


class CatalogImport(_In):
    products: list[ProductImport] = Field(
        max_length=MAX_IMPORT_PRODUCTS,
        description=f"At most {MAX_IMPORT_PRODUCTS} products per request.",
    )

    @field_validator("products")
    @classmethod
    def _not_too_many_variants(cls, products: list[ProductImport]) -> list[ProductImport]:
        total = sum(len(p.variants) for p in products)
        if total > MAX_IMPORT_VARIANTS:
            raise ValueError(f"at most {MAX_IMPORT_VARIANTS} variants per request, not {total}")
        return products


class CatalogImportResult(BaseModel):
    created_products: int
    updated_products: int
    created_variants: int
    updated_variants: int
