"""Brands and the category tree."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.catalog import service, taxonomy
from omnichannel.catalog.errors import (
    BrandCodeTaken,
    BrandInUse,
    CategoryCodeTaken,
    CategoryHasChildren,
    CategoryInUse,
)
from omnichannel.catalog.models import Category
from omnichannel.catalog.schemas import (
    BrandCreate,
    BrandUpdate,
    CategoryCreate,
    CategoryUpdate,
    ProductCreate,
)
from omnichannel.db import OutboxEvent
from omnichannel.kernel import NotFound
from omnichannel.kernel.errors import InvalidInput


def _cat(session: Session, code: str, parent: str | None = None) -> Category:
    parent_id = taxonomy.find_category(session, ref=parent).id if parent else None  # type: ignore[union-attr]
    return taxonomy.create_category(
        session, data=CategoryCreate(code=code, name=code.title(), parent_id=parent_id)
    )


def _events(session: Session, aggregate_type: str) -> list[tuple[str, int]]:
    rows = session.execute(
        select(OutboxEvent.type, OutboxEvent.sequence)
        .where(OutboxEvent.aggregate_type == aggregate_type)
        .order_by(OutboxEvent.position)
    )
    return [(r.type, r.sequence) for r in rows]


def test_a_brand_is_created_renamed_and_deleted_with_an_event_each(session: Session) -> None:
    brand = taxonomy.create_brand(session, data=BrandCreate(code="acme", name="Acme"))
    taxonomy.update_brand(session, brand_id=brand.id, data=BrandUpdate(name="ACME S.A."))
    assert brand.version == 2
    taxonomy.delete_brand(session, brand_id=brand.id)
    assert _events(session, "brand") == [
        ("brand.created", 1),
        ("brand.updated", 2),
        ("brand.deleted", 3),
    ]
    with pytest.raises(NotFound):
        taxonomy.get_brand(session, brand_id=brand.id)


def test_a_brand_code_is_unique(session: Session) -> None:
    taxonomy.create_brand(session, data=BrandCreate(code="acme", name="Acme"))
    other = taxonomy.create_brand(session, data=BrandCreate(code="zeta", name="Zeta"))
    with pytest.raises(BrandCodeTaken):
        taxonomy.create_brand(session, data=BrandCreate(code="acme", name="Acme 2"))
    with pytest.raises(BrandCodeTaken):
        taxonomy.update_brand(session, brand_id=other.id, data=BrandUpdate(code="acme"))


def test_a_brand_used_by_a_product_cannot_be_deleted(session: Session) -> None:
    brand = taxonomy.create_brand(session, data=BrandCreate(code="acme", name="Acme"))
    service.create_product(session, data=ProductCreate(code="P1", name="P", brand_id=brand.id))
    with pytest.raises(BrandInUse):
        taxonomy.delete_brand(session, brand_id=brand.id)


def test_a_category_path_is_its_ancestors_codes(session: Session) -> None:
    _cat(session, "apparel")
    _cat(session, "t-shirts", "apparel")
    polo = _cat(session, "polo", "t-shirts")
    assert polo.path == "apparel/t-shirts/polo"
    assert [c.path for c in taxonomy.list_categories(session)] == [
        "apparel",
        "apparel/t-shirts",
        "apparel/t-shirts/polo",
    ]
    apparel = taxonomy.find_category(session, ref="apparel")
    assert apparel is not None
    assert [c.code for c in taxonomy.list_categories(session, parent_id=apparel.id)] == ["t-shirts"]
    assert [c.code for c in taxonomy.list_categories(session, top_level=True)] == ["apparel"]


def test_a_category_code_is_unique_in_the_whole_tree(session: Session) -> None:
    _cat(session, "apparel")
    _cat(session, "kids")
    _cat(session, "t-shirts", "apparel")
    with pytest.raises(CategoryCodeTaken):
        _cat(session, "t-shirts", "kids")


def test_moving_a_category_moves_its_whole_subtree(session: Session) -> None:
    _cat(session, "apparel")
    _cat(session, "sale")
    tshirts = _cat(session, "t-shirts", "apparel")
    polo = _cat(session, "polo", "t-shirts")
    sale = taxonomy.find_category(session, ref="sale")
    assert sale is not None
    taxonomy.update_category(
        session, category_id=tshirts.id, data=CategoryUpdate(parent_id=sale.id)
    )
    assert tshirts.path == "sale/t-shirts"
    assert polo.path == "sale/t-shirts/polo"
    assert polo.version == 2
    assert ("category.moved", 2) in _events(session, "category")

    taxonomy.update_category(session, category_id=tshirts.id, data=CategoryUpdate(parent_id=None))
    assert [c.path for c in taxonomy.list_categories(session)] == [
        "apparel",
        "sale",
        "t-shirts",
        "t-shirts/polo",
    ]


def test_renaming_a_category_code_rewrites_the_paths_below(session: Session) -> None:
    apparel = _cat(session, "apparel")
    polo = _cat(session, "polo", "apparel")
    taxonomy.update_category(
        session, category_id=apparel.id, data=CategoryUpdate(code="clothing", name="Clothing")
    )
    assert polo.path == "clothing/polo"
    assert apparel.name == "Clothing"


def test_a_category_cannot_move_under_itself_or_its_descendant(session: Session) -> None:
    apparel = _cat(session, "apparel")
    polo = _cat(session, "polo", "apparel")
    for target in (apparel, polo):
        with pytest.raises(InvalidInput) as e:
            taxonomy.update_category(
                session, category_id=apparel.id, data=CategoryUpdate(parent_id=target.id)
            )
        assert e.value.errors[0]["type"] == "category_cycle"


def test_a_category_with_children_or_products_cannot_be_deleted(session: Session) -> None:
    apparel = _cat(session, "apparel")
    polo = _cat(session, "polo", "apparel")
    service.create_product(session, data=ProductCreate(code="P1", name="P", category_id=polo.id))
    with pytest.raises(CategoryHasChildren):
        taxonomy.delete_category(session, category_id=apparel.id)
    with pytest.raises(CategoryInUse):
        taxonomy.delete_category(session, category_id=polo.id)
    empty = _cat(session, "empty")
    taxonomy.delete_category(session, category_id=empty.id)
    assert taxonomy.find_category(session, ref="empty") is None
