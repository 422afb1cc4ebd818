"""Products and variants: the aggregate, its uniqueness rules, and finding it."""

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.catalog import service, taxonomy
from omnichannel.catalog.errors import GtinTaken, ProductCodeTaken, SkuTaken
from omnichannel.catalog.rules import Status
from omnichannel.catalog.schemas import (
    BrandCreate,
    CategoryCreate,
    ProductCreate,
    ProductUpdate,
    VariantCreate,
    VariantUpdate,
)
from omnichannel.db import OutboxEvent
from omnichannel.kernel import NotFound
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed
from tests.integration.catalog.builders import ean13, product_doc


def _product(session: Session, code: str, *skus: str, **fields: object) -> uuid.UUID:
    doc = product_doc(code, *skus, **fields)
    return service.create_product(session, data=ProductCreate.model_validate(doc)).id


def _codes(products: list) -> list[str]:  # type: ignore[type-arg]
    return [p.code for p in products]


def test_a_product_is_created_with_its_variants_and_one_event(session: Session) -> None:
    product = service.create_product(
        session,
        data=ProductCreate.model_validate(
            {
                "code": "TS-01",
                "name": "Koszulka",
                "variants": [
                    {"sku": "TS-01-M", "gtin": ean13(1), "options": {"size": "M"}, "weight_g": 180},
                    {"sku": "TS-01-L", "vat_class": "reduced"},
                ],
            }
        ),
    )
    assert product.version == 1
    assert [v.sku for v in product.variants] == ["TS-01-M", "TS-01-L"]
    assert product.variants[1].vat_class == "reduced"
    event = session.scalars(
        select(OutboxEvent).where(OutboxEvent.aggregate_id == str(product.id))
    ).one()
    assert (event.type, event.sequence, event.actor) == ("product.created", 1, "test")
    assert event.payload == {
        "id": str(product.id),
        "code": "TS-01",
        "status": "active",
        "skus": ["TS-01-M", "TS-01-L"],
    }


def test_a_product_code_sku_and_gtin_are_each_unique(session: Session) -> None:
    _product(session, "TS-01", "TS-01-M")
    with pytest.raises(ProductCodeTaken):
        _product(session, "TS-01", "OTHER")
    with pytest.raises(SkuTaken) as e:
        _product(session, "TS-02", "TS-02-M", "TS-01-M")
    assert e.value.errors[0]["field"] == "variants.1.sku"
    service.add_variant(
        session,
        product_id=_product(session, "TS-03"),
        data=VariantCreate(sku="TS-03-M", gtin=ean13(7)),
    )
    with pytest.raises(GtinTaken):
        service.create_product(
            session,
            data=ProductCreate.model_validate(
                {"code": "TS-04", "name": "x", "variants": [{"sku": "TS-04-M", "gtin": ean13(7)}]}
            ),
        )


def test_the_same_sku_twice_in_one_product_is_invalid(session: Session) -> None:
    with pytest.raises(InvalidInput) as e:
        _product(session, "TS-01", "A", "A")
    assert e.value.errors[0]["field"] == "variants.1.sku"


def test_an_unknown_brand_or_category_is_named(session: Session) -> None:
    with pytest.raises(InvalidInput) as e:
        _product(session, "TS-01", brand_id=str(uuid.uuid4()))
    assert e.value.errors[0]["field"] == "brand_id"


def test_search_ignores_case_and_polish_diacritics(session: Session) -> None:
    _product(session, "TS-01", "TS-01-M", name="Żółta Koszulka")
    _product(session, "TS-02", "TS-02-M", name="Zielona bluza")
    assert _codes(service.list_products(session, q="zolta")) == ["TS-01"]
    assert _codes(service.list_products(session, q="KOSZULKA żółta")) == ["TS-01"]
    assert _codes(service.list_products(session, q="ts-02-m")) == ["TS-02"]
    assert _codes(service.list_products(session, q="%")) == []


def test_search_finds_a_product_by_a_gtin_added_later(session: Session) -> None:
    pid = _product(session, "TS-01", "TS-01-M")
    variant = service.get_product(session, product_id=pid).variants[0]
    service.update_variant(session, variant_id=variant.id, data=VariantUpdate(gtin=ean13(42)))
    assert _codes(service.list_products(session, q=ean13(42))) == ["TS-01"]
    assert service.get_product(session, product_id=pid).version == 2


def test_a_category_filter_includes_every_category_below_it(session: Session) -> None:
    apparel = taxonomy.create_category(session, data=CategoryCreate(code="apparel", name="Apparel"))
    tees = taxonomy.create_category(
        session, data=CategoryCreate(code="t-shirts", name="T-shirts", parent_id=apparel.id)
    )
    shoes = taxonomy.create_category(session, data=CategoryCreate(code="shoes", name="Shoes"))
    _product(session, "A", category_id=str(apparel.id))
    _product(session, "T", category_id=str(tees.id))
    _product(session, "S", category_id=str(shoes.id))
    assert _codes(service.list_products(session, category="apparel")) == ["A", "T"]
    assert _codes(service.list_products(session, category=str(tees.id))) == ["T"]
    with pytest.raises(InvalidInput):
        service.list_products(session, category="nope")


def test_brand_and_status_filters_combine(session: Session) -> None:
    acme = taxonomy.create_brand(session, data=BrandCreate(code="acme", name="Acme"))
    _product(session, "A1", brand_id=str(acme.id))
    archived = _product(session, "A2", brand_id=str(acme.id))
    _product(session, "B1")
    service.archive_product(session, product_id=archived)
    assert _codes(service.list_products(session, brand="acme")) == ["A1", "A2"]
    assert _codes(service.list_products(session, brand=str(acme.id), status=Status.ACTIVE)) == [
        "A1"
    ]
    assert _codes(service.list_products(session, status=Status.ARCHIVED)) == ["A2"]


def test_listing_pages_through_every_product_in_creation_order(session: Session) -> None:
    codes = [f"P{i:02d}" for i in range(7)]
    for code in codes:
        _product(session, code)
    seen: list[str] = []
    after = None
    while True:
        rows = service.list_products(session, after=after, limit=3)
        page = rows[:3]
        seen += _codes(page)
        if len(rows) <= 3:
            break
        after = page[-1].id
    assert seen == codes


def test_an_edit_with_a_stale_version_is_refused(session: Session) -> None:
    pid = _product(session, "TS-01", "TS-01-M")
    product = service.update_product(
        session, product_id=pid, data=ProductUpdate(name="Nowa"), if_version=1
    )
    assert product.version == 2
    with pytest.raises(PreconditionFailed):
        service.update_product(
            session, product_id=pid, data=ProductUpdate(name="Stara"), if_version=1
        )
    assert product.search_text.startswith("nowa ")


def test_an_edit_that_changes_nothing_keeps_the_version(session: Session) -> None:
    pid = _product(session, "TS-01", name="Same")
    assert (
        service.update_product(session, product_id=pid, data=ProductUpdate(name="Same")).version
        == 1
    )


def test_archiving_a_product_archives_its_variants(session: Session) -> None:
    pid = _product(session, "TS-01", "TS-01-M", "TS-01-L")
    product = service.archive_product(session, product_id=pid)
    assert product.status == "archived"
    assert {v.status for v in product.variants} == {"archived"}
    types = session.scalars(
        select(OutboxEvent.type)
        .where(OutboxEvent.aggregate_id == str(pid))
        .order_by(OutboxEvent.sequence)
    ).all()
    assert types == ["product.created", "product.archived"]


def test_variants_are_found_by_sku_or_any_spelling_of_their_gtin(session: Session) -> None:
    pid = _product(session, "TS-01")
    variant = service.add_variant(
        session, product_id=pid, data=VariantCreate(sku="TS-01-M", gtin="5901234123457")
    )
    assert service.list_variants(session, sku="TS-01-M") == [variant]
    assert service.list_variants(session, gtin="590-1234-12345-7") == [variant]
    with pytest.raises(InvalidInput):
        service.list_variants(session, gtin="5901234123458")
    with pytest.raises(NotFound):
        service.get_variant(session, variant_id=uuid.uuid4())


def test_archiving_a_variant_bumps_its_product(session: Session) -> None:
    pid = _product(session, "TS-01", "TS-01-M")
    variant = service.get_product(session, product_id=pid).variants[0]
    service.update_variant(
        session, variant_id=variant.id, data=VariantUpdate(status=Status.ARCHIVED)
    )
    product = service.get_product(session, product_id=pid)
    assert (product.version, product.variants[0].status) == (2, "archived")
