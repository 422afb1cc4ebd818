"""The catalog over HTTP: brands, categories, products, variants, bulk import."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from omnichannel.catalog import importing, service, taxonomy
from omnichannel.catalog.rules import Status
from omnichannel.catalog.schemas import (
    BrandCreate,
    BrandRead,
    BrandUpdate,
    CatalogImport,
    CatalogImportResult,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    ProductCreate,
    ProductPage,
    ProductRead,
    ProductUpdate,
    VariantCreate,
    VariantPage,
    VariantRead,
    VariantUpdate,
)
from omnichannel.http.deps import IfMatch, SessionDep, etag, parse_if_match, require
from omnichannel.http.errors import problem_responses
from omnichannel.http.pagination import CursorQuery, LimitQuery, decode_cursor, page_of
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, tags=["catalog"])

Reader = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
Writer = Annotated[Principal, Depends(require(Permission.CATALOG_WRITE))]

_READ = problem_responses(401, 403, 404, 422)
_WRITE = problem_responses(401, 403, 404, 409, 422)


# --- brands ------------------------------------------------------------------------


@router.post(
    "/brands",
    response_model=BrandRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a brand",
    responses=problem_responses(401, 403, 409, 422),
)
def create_brand(data: BrandCreate, _: Writer, session: SessionDep) -> BrandRead:
    return BrandRead.model_validate(taxonomy.create_brand(session, data=data))


@router.get(
    "/brands",
    response_model=list[BrandRead],
    summary="Every brand",
    responses=problem_responses(401, 403),
)
def list_brands(_: Reader, session: SessionDep) -> list[BrandRead]:
    return [BrandRead.model_validate(b) for b in taxonomy.list_brands(session)]


@router.get("/brands/{brand_id}", response_model=BrandRead, summary="One brand", responses=_READ)
def get_brand(brand_id: uuid.UUID, _: Reader, session: SessionDep) -> BrandRead:
    return BrandRead.model_validate(taxonomy.get_brand(session, brand_id=brand_id))


@router.patch(
    "/brands/{brand_id}", response_model=BrandRead, summary="Rename a brand", responses=_WRITE
)
def update_brand(
    brand_id: uuid.UUID, data: BrandUpdate, _: Writer, session: SessionDep
) -> BrandRead:
    return BrandRead.model_validate(taxonomy.update_brand(session, brand_id=brand_id, data=data))


@router.delete(
    "/brands/{brand_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a brand no product uses",
    responses=problem_responses(401, 403, 404, 409),
)
def delete_brand(brand_id: uuid.UUID, _: Writer, session: SessionDep) -> Response:
    taxonomy.delete_brand(session, brand_id=brand_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- categories --------------------------------------------------------------------


@router.post(
    "/categories",
    response_model=CategoryRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a category",
    responses=problem_responses(401, 403, 409, 422),
)
def create_category(data: CategoryCreate, _: Writer, session: SessionDep) -> CategoryRead:
    return CategoryRead.model_validate(taxonomy.create_category(session, data=data))


@router.get(
    "/categories",
    response_model=list[CategoryRead],
    summary="Categories in tree order",
    responses=problem_responses(401, 403, 422),
)
def list_categories(
    _: Reader,
    session: SessionDep,
    parent_id: Annotated[
        uuid.UUID | None, Query(description="Only the children of this category.")
    ] = None,
    top_level: Annotated[bool, Query(description="Only top-level categories.")] = False,
) -> list[CategoryRead]:
    cats = taxonomy.list_categories(session, parent_id=parent_id, top_level=top_level)
    return [CategoryRead.model_validate(c) for c in cats]


@router.get(
    "/categories/{category_id}",
    response_model=CategoryRead,
    summary="One category",
    responses=_READ,
)
def get_category(category_id: uuid.UUID, _: Reader, session: SessionDep) -> CategoryRead:
    return CategoryRead.model_validate(taxonomy.get_category(session, category_id=category_id))


@router.patch(
    "/categories/{category_id}",
    response_model=CategoryRead,
    summary="Rename or move a category (its subtree follows)",
    responses=_WRITE,
)
def update_category(
    category_id: uuid.UUID, data: CategoryUpdate, _: Writer, session: SessionDep
) -> CategoryRead:
    return CategoryRead.model_validate(
        taxonomy.update_category(session, category_id=category_id, data=data)
    )


@router.delete(
    "/categories/{category_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an empty category",
    responses=problem_responses(401, 403, 404, 409),
)
def delete_category(category_id: uuid.UUID, _: Writer, session: SessionDep) -> Response:
    taxonomy.delete_category(session, category_id=category_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- products ----------------------------------------------------------------------


@router.post(
    "/products",
    response_model=ProductRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a product with its variants",
    responses=problem_responses(401, 403, 409, 422),
)
def create_product(
    data: ProductCreate, _: Writer, session: SessionDep, response: Response
) -> ProductRead:
    product = service.create_product(session, data=data)
    response.headers["ETag"] = etag(product.version)
    response.headers["Location"] = f"/api/v1/products/{product.id}"
    return ProductRead.model_validate(product)


@router.get(
    "/products",
    response_model=ProductPage,
    summary="Find products",
    responses=problem_responses(401, 403, 422),
)
def list_products(
    _: Reader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    category: Annotated[
        str | None, Query(description="Category id or code; includes its subcategories.")
    ] = None,
    brand: Annotated[str | None, Query(description="Brand id or code.")] = None,
    status_: Annotated[
        Status | None, Query(alias="status", description="Active or archived.")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Words in the name, SKU or GTIN; accents optional."),
    ] = None,
) -> ProductPage:
    rows = service.list_products(
        session,
        after=decode_cursor(cursor),
        limit=limit,
        category=category,
        brand=brand,
        status=status_,
        q=q,
    )
    items, next_cursor = page_of(rows, limit)
    return ProductPage(
        items=[ProductRead.model_validate(p) for p in items], next_cursor=next_cursor
    )


@router.get(
    "/products/{product_id}",
    response_model=ProductRead,
    summary="One product with its variants",
    responses=_READ,
)
def get_product(
    product_id: uuid.UUID, _: Reader, session: SessionDep, response: Response
) -> ProductRead:
    product = service.get_product(session, product_id=product_id)
    response.headers["ETag"] = etag(product.version)
    return ProductRead.model_validate(product)


@router.patch(
    "/products/{product_id}",
    response_model=ProductRead,
    summary="Change a product",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def update_product(
    product_id: uuid.UUID,
    data: ProductUpdate,
    _: Writer,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProductRead:
    product = service.update_product(
        session, product_id=product_id, data=data, if_version=parse_if_match(if_match)
    )
    response.headers["ETag"] = etag(product.version)
    return ProductRead.model_validate(product)


@router.post(
    "/products/{product_id}/archive",
    response_model=ProductRead,
    summary="Stop selling a product and all its variants",
    responses=problem_responses(401, 403, 404, 409, 412),
)
def archive_product(
    product_id: uuid.UUID,
    _: Writer,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProductRead:
    product = service.archive_product(
        session, product_id=product_id, if_version=parse_if_match(if_match)
    )
    response.headers["ETag"] = etag(product.version)
    return ProductRead.model_validate(product)


# --- variants ----------------------------------------------------------------------


@router.post(
    "/products/{product_id}/variants",
    response_model=VariantRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a variant to a product",
    responses=_WRITE,
)
def add_variant(
    product_id: uuid.UUID, data: VariantCreate, _: Writer, session: SessionDep
) -> VariantRead:
    return VariantRead.model_validate(
        service.add_variant(session, product_id=product_id, data=data)
    )


@router.get(
    "/variants",
    response_model=VariantPage,
    summary="Find variants by SKU or GTIN",
    responses=problem_responses(401, 403, 422),
)
def list_variants(
    _: Reader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    sku: Annotated[str | None, Query(max_length=64, description="Exact SKU.")] = None,
    gtin: Annotated[
        str | None, Query(max_length=32, description="Exact GTIN/EAN (any valid length).")
    ] = None,
    product_id: Annotated[uuid.UUID | None, Query(description="Variants of this product.")] = None,
) -> VariantPage:
    rows = service.list_variants(
        session, after=decode_cursor(cursor), limit=limit, sku=sku, gtin=gtin, product_id=product_id
    )
    items, next_cursor = page_of(rows, limit)
    return VariantPage(
        items=[VariantRead.model_validate(v) for v in items], next_cursor=next_cursor
    )


@router.get(
    "/variants/{variant_id}", response_model=VariantRead, summary="One variant", responses=_READ
)
def get_variant(variant_id: uuid.UUID, _: Reader, session: SessionDep) -> VariantRead:
    return VariantRead.model_validate(service.get_variant(session, variant_id=variant_id))


@router.patch(
    "/variants/{variant_id}",
    response_model=VariantRead,
    summary="Change a variant (archive it with status)",
    responses=_WRITE,
)
def update_variant(
    variant_id: uuid.UUID, data: VariantUpdate, _: Writer, session: SessionDep
) -> VariantRead:
    return VariantRead.model_validate(
        service.update_variant(session, variant_id=variant_id, data=data)
    )


# --- bulk import -------------------------------------------------------------------


@router.post(
    "/catalog/import",
    response_model=CatalogImportResult,
    summary="Upsert up to 1000 products (by code) and their variants (by SKU), all or nothing",
    responses=problem_responses(401, 403, 409, 422),
)
def import_catalog(data: CatalogImport, _: Writer, session: SessionDep) -> CatalogImportResult:
    return importing.import_products(session, products=data.products)
