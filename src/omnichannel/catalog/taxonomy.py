"""Brand and category use cases: the catalog's reference data."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from omnichannel.catalog.errors import (
    BrandCodeTaken,
    BrandInUse,
    CategoryCodeTaken,
    CategoryHasChildren,
    CategoryInUse,
)
from omnichannel.catalog.models import Brand, Category, Product
from omnichannel.catalog.rules import MAX_CATEGORY_DEPTH, like_escape
from omnichannel.catalog.schemas import BrandCreate, BrandUpdate, CategoryCreate, CategoryUpdate
from omnichannel.db import record_event, record_events
from omnichannel.kernel import NotFound, new_id
from omnichannel.kernel.errors import InvalidInput

# --- brands ------------------------------------------------------------------------


def _brand_event(session: Session, brand: Brand, type: str, sequence: int | None = None) -> None:
    record_event(
        session,
        aggregate_type="brand",
        aggregate_id=brand.id,
        sequence=sequence or brand.version,
        type=type,
        payload={"id": str(brand.id), "code": brand.code, "name": brand.name},
    )


def _check_brand_code(session: Session, code: str, *, other_than: uuid.UUID | None = None) -> None:
    found = session.scalar(select(Brand.id).where(Brand.code == code))
    if found is not None and found != other_than:
        raise BrandCodeTaken(
            f"A brand with code {code} already exists.",
            errors=[{"field": "code", "message": "already in use", "type": "duplicate"}],
        )


def list_brands(session: Session) -> list[Brand]:
    """Every brand, by code."""
    return list(session.scalars(select(Brand).order_by(Brand.code)))


def get_brand(session: Session, *, brand_id: uuid.UUID) -> Brand:
    """One brand; 404 if unknown."""
    brand = session.get(Brand, brand_id)
    if brand is None:
        raise NotFound(f"Brand {brand_id} does not exist.")
    return brand


def find_brand(session: Session, *, ref: str) -> Brand | None:
    """A brand by id or by code."""
    return session.scalar(select(Brand).where(_id_or_code(Brand.id, Brand.code, ref)))


def create_brand(session: Session, *, data: BrandCreate) -> Brand:
    """Add a brand."""
    _check_brand_code(session, data.code)
    brand = Brand(id=new_id(), code=data.code, name=data.name)
    session.add(brand)
    session.flush()
    _brand_event(session, brand, "brand.created")
    return brand


def update_brand(session: Session, *, brand_id: uuid.UUID, data: BrandUpdate) -> Brand:
    """Rename a brand or change its code."""
    brand = get_brand(session, brand_id=brand_id)
    if data.code is not None and data.code != brand.code:
        _check_brand_code(session, data.code, other_than=brand.id)
        brand.code = data.code
    if data.name is not None:
        brand.name = data.name
    if session.is_modified(brand):
        session.flush()
        _brand_event(session, brand, "brand.updated")
    return brand


def delete_brand(session: Session, *, brand_id: uuid.UUID) -> None:
    """Remove a brand no product uses (409 otherwise)."""
    brand = get_brand(session, brand_id=brand_id)
    if session.scalar(select(exists().where(Product.brand_id == brand.id))):
        raise BrandInUse(
            f"Brand {brand.code} is used by products; move them to another brand first."
        )
    _brand_event(session, brand, "brand.deleted", sequence=brand.version + 1)
    session.delete(brand)
    session.flush()


# --- categories --------------------------------------------------------------------


def _id_or_code(
    id_col: InstrumentedAttribute[uuid.UUID], code_col: InstrumentedAttribute[str], ref: str
) -> ColumnElement[bool]:
    try:
        return id_col == uuid.UUID(ref)
    except ValueError:
        return code_col == ref


def _category_payload(cat: Category) -> dict[str, str | None]:
    parent = str(cat.parent_id) if cat.parent_id else None
    return {
        "id": str(cat.id),
        "code": cat.code,
        "name": cat.name,
        "path": cat.path,
        "parent_id": parent,
    }


def _category_event(
    session: Session, cat: Category, type: str, sequence: int | None = None
) -> None:
    record_event(
        session,
        aggregate_type="category",
        aggregate_id=cat.id,
        sequence=sequence or cat.version,
        type=type,
        payload=_category_payload(cat),
    )


def _check_category_code(session: Session, code: str) -> None:
    if session.scalar(select(Category.id).where(Category.code == code)) is not None:
        raise CategoryCodeTaken(
            f"A category with code {code} already exists.",
            errors=[{"field": "code", "message": "already in use", "type": "duplicate"}],
        )


def _parent(session: Session, parent_id: uuid.UUID | None) -> Category | None:
    if parent_id is None:
        return None
    parent = session.get(Category, parent_id)
    if parent is None:
        raise InvalidInput(
            f"Category {parent_id} does not exist.",
            errors=[
                {"field": "parent_id", "message": "no such category", "type": "unknown_category"}
            ],
        )
    return parent


def _too_deep(depth: int) -> InvalidInput:
    return InvalidInput(
        f"Categories nest at most {MAX_CATEGORY_DEPTH} levels deep, not {depth}.",
        errors=[{"field": "parent_id", "message": "too deep", "type": "too_deep"}],
    )


def subtree(path: str) -> Select[Any]:
    """Ids of the category at `path` and all below it: one prefix LIKE on the path index."""
    return select(Category.id).where(
        or_(Category.path == path, Category.path.like(like_escape(path) + "/%", escape="\\"))
    )


def list_categories(
    session: Session, *, parent_id: uuid.UUID | None = None, top_level: bool = False
) -> list[Category]:
    """Categories in tree order (by path); only the children of `parent_id` or the top level if asked."""
    q = select(Category).order_by(Category.path)
    if parent_id is not None:
        q = q.where(Category.parent_id == parent_id)
    elif top_level:
        q = q.where(Category.parent_id.is_(None))
    return list(session.scalars(q))


def get_category(session: Session, *, category_id: uuid.UUID) -> Category:
    """One category; 404 if unknown."""
    cat = session.get(Category, category_id)
    if cat is None:
        raise NotFound(f"Category {category_id} does not exist.")
    return cat


def find_category(session: Session, *, ref: str) -> Category | None:
    """A category by id or by code."""
    return session.scalar(select(Category).where(_id_or_code(Category.id, Category.code, ref)))


def create_category(session: Session, *, data: CategoryCreate) -> Category:
    """Add a category at the top level or under a parent."""
    _check_category_code(session, data.code)
    parent = _parent(session, data.parent_id)
    if parent is not None and parent.path.count("/") + 2 > MAX_CATEGORY_DEPTH:
        raise _too_deep(parent.path.count("/") + 2)
    path = f"{parent.path}/{data.code}" if parent else data.code
    cat = Category(id=new_id(), parent_id=data.parent_id, code=data.code, name=data.name, path=path)
    session.add(cat)
    session.flush()
    _category_event(session, cat, "category.created")
    return cat


def update_category(session: Session, *, category_id: uuid.UUID, data: CategoryUpdate) -> Category:
    """Rename, re-code or move a category; the paths of everything below it follow."""
    cat = get_category(session, category_id=category_id)
    if data.name is not None:
        cat.name = data.name
    code = cat.code
    if data.code is not None and data.code != cat.code:
        _check_category_code(session, data.code)
        code = data.code
    parent_id = data.parent_id if "parent_id" in data.model_fields_set else cat.parent_id
    parent = _parent(session, parent_id)
    if parent is not None and (parent.id == cat.id or parent.path.startswith(cat.path + "/")):
        raise InvalidInput(
            f"Category {cat.code} cannot move under itself or its own descendant {parent.code}.",
            errors=[
                {"field": "parent_id", "message": "would make a cycle", "type": "category_cycle"}
            ],
        )
    reparented = parent_id != cat.parent_id
    old_path = cat.path
    new_path = f"{parent.path}/{code}" if parent else code
    moved = new_path != old_path
    descendants: list[Category] = []
    if moved:
        descendants = list(
            session.scalars(
                select(Category).where(
                    Category.path.like(like_escape(old_path) + "/%", escape="\\")
                )
            )
        )
        shift = new_path.count("/") - old_path.count("/")
        deepest = max([d.path.count("/") + 1 + shift for d in descendants], default=0)
        deepest = max(deepest, new_path.count("/") + 1)
        if deepest > MAX_CATEGORY_DEPTH:
            raise _too_deep(deepest)
        cat.code, cat.parent_id, cat.path = code, parent_id, new_path
        for d in descendants:
            d.path = new_path + d.path[len(old_path) :]
    if not session.is_modified(cat) and not moved:
        return cat
    session.flush()
    _category_event(session, cat, "category.moved" if reparented else "category.updated")
    record_events(
        session,
        [
            {
                "aggregate_type": "category",
                "aggregate_id": d.id,
                "sequence": d.version,
                "type": "category.updated",
                "payload": _category_payload(d),
            }
            for d in descendants
        ],
    )
    return cat


def delete_category(session: Session, *, category_id: uuid.UUID) -> None:
    """Remove a category with no children and no products (409 otherwise)."""
    cat = get_category(session, category_id=category_id)
    if session.scalar(select(exists().where(Category.parent_id == cat.id))):
        raise CategoryHasChildren(
            f"Category {cat.path} has subcategories; move or delete them first."
        )
    if session.scalar(select(exists().where(Product.category_id == cat.id))):
        raise CategoryInUse(
            f"Category {cat.path} has products; move them to another category first."
        )
    _category_event(session, cat, "category.deleted", sequence=cat.version + 1)
    session.delete(cat)
    session.flush()
