"""Bulk upsert: by product code and SKU, set-based, all or nothing."""

from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from omnichannel.catalog import service, taxonomy
from omnichannel.catalog.errors import ImportRejected
from omnichannel.catalog.importing import import_products
from omnichannel.catalog.models import Brand, Category, Product, Variant
from omnichannel.catalog.schemas import (
    CatalogImportResult,
    ProductCreate,
    ProductImport,
    VariantImport,
)
from omnichannel.db import OutboxEvent
from tests.integration.catalog.builders import ean13, product_doc
from tests.statements import counting


def _import(session: Session, *docs: dict[str, Any]) -> CatalogImportResult:
    return import_products(session, products=[ProductImport.model_validate(d) for d in docs])


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _tee(code: str = "TS-01", **fields: Any) -> dict[str, Any]:
    doc = {
        "code": code,
        "name": "Żółta koszulka",
        "description": "Bawełna",
        "brand": "Acme",
        "category": "Odzież/Koszulki",
        "attributes": {"material": "bawełna"},
        "variants": [
            {"sku": f"{code}-M", "gtin": ean13(1), "options": {"size": "M"}, "weight_g": 180},
            {
                "sku": f"{code}-L",
                "gtin": ean13(2),
                "options": {"size": "L"},
                "vat_class": "reduced",
            },
        ],
    }
    return doc | fields


def test_an_import_creates_products_variants_brands_and_categories(session: Session) -> None:
    result = _import(session, _tee(), product_doc("MUG-1", "MUG-1-W", category="Dom"))
    assert result == CatalogImportResult(
        created_products=2, updated_products=0, created_variants=3, updated_variants=0
    )
    assert [(c.path, c.name) for c in taxonomy.list_categories(session)] == [
        ("dom", "Dom"),
        ("odziez", "Odzież"),
        ("odziez/koszulki", "Koszulki"),
    ]
    assert [(b.code, b.name) for b in taxonomy.list_brands(session)] == [("acme", "Acme")]
    tee = service.list_products(session, q="zolta")[0]
    assert tee.version == 1
    assert [(v.sku, v.gtin, v.vat_class) for v in tee.variants] == [
        ("TS-01-M", ean13(1), "standard"),
        ("TS-01-L", ean13(2), "reduced"),
    ]
    types = session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.position)).all()
    assert sorted(types) == ["brand.created"] + ["category.created"] * 3 + ["product.created"] * 2


def test_importing_the_same_file_twice_changes_nothing(session: Session) -> None:
    _import(session, _tee())
    events = _count(session, OutboxEvent)
    again = _import(session, _tee())
    assert again == CatalogImportResult(
        created_products=0, updated_products=0, created_variants=0, updated_variants=0
    )
    assert _count(session, OutboxEvent) == events
    assert (_count(session, Category), _count(session, Brand)) == (2, 1)


def test_a_second_import_updates_what_changed_and_keeps_what_it_leaves_out(
    session: Session,
) -> None:
    _import(session, _tee())
    result = _import(
        session,
        {
            "code": "TS-01",
            "name": "Żółta koszulka polo",
            "variants": [
                {"sku": "TS-01-M", "weight_g": 200},
                {"sku": "TS-01-XL", "gtin": ean13(3)},
            ],
        },
    )
    assert result == CatalogImportResult(
        created_products=0, updated_products=1, created_variants=1, updated_variants=1
    )
    product = service.list_products(session, q="polo")[0]
    assert (product.version, product.description, product.attributes) == (
        2,
        "Bawełna",
        {"material": "bawełna"},
    )
    assert [(v.sku, v.weight_g, v.gtin) for v in product.variants] == [
        ("TS-01-M", 200, ean13(1)),
        ("TS-01-L", None, ean13(2)),
        ("TS-01-XL", None, ean13(3)),
    ]
    assert "ts-01-l" in product.search_text
    assert ean13(3) in product.search_text
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "product.updated")).one()
    assert (event.sequence, event.payload["skus"]) == (2, ["TS-01-M", "TS-01-L", "TS-01-XL"])


def test_an_import_over_a_product_loaded_in_the_session_is_seen_by_the_next_read(
    session: Session,
) -> None:
    created = service.create_product(
        session, data=ProductCreate.model_validate(product_doc("TS-01", "TS-01-M"))
    )
    _import(session, product_doc("TS-01", "TS-01-M", "TS-01-L", name="Renamed"))
    product = service.get_product(session, product_id=created.id)
    assert (product.name, product.version, len(product.variants)) == ("Renamed", 2, 2)


def test_category_names_match_ignoring_case_and_accents_and_a_clashing_code_gets_a_prefix(
    session: Session,
) -> None:
    _import(session, product_doc("A", category="Odzież/Koszulki"))
    _import(
        session,
        product_doc("B", category="ODZIEZ / koszulki"),
        product_doc("C", category="Dzieci/Koszulki"),
    )
    assert [c.path for c in taxonomy.list_categories(session)] == [
        "dzieci",
        "dzieci/dzieci-koszulki",
        "odziez",
        "odziez/koszulki",
    ]
    assert len(service.list_products(session, category="odziez")) == 2


def test_every_conflict_in_a_batch_is_listed_and_nothing_is_written(session: Session) -> None:
    _import(session, _tee("OLD"))  # owns SKUs OLD-M, OLD-L and GTINs ean13(1), ean13(2)
    before = [_count(session, m) for m in (Product, Variant, Brand, Category, OutboxEvent)]
    with pytest.raises(ImportRejected) as e:
        _import(
            session,
            product_doc("NEW", brand="Zeta", category="Nowe/Kategorie")
            | {
                "variants": [
                    {"sku": "OLD-M"},
                    {"sku": "NEW-1", "gtin": ean13(2)},
                    {"sku": "NEW-2", "gtin": ean13(9)},
                ]
            },
            product_doc("NEW-B")
            | {"variants": [{"sku": "NEW-1"}, {"sku": "NEW-3", "gtin": ean13(9)}]},
            product_doc("NEW"),
        )
    found = {(err["field"], err["type"]) for err in e.value.errors}
    assert found == {
        ("products.0.variants.0.sku", "sku_taken"),
        ("products.0.variants.1.gtin", "gtin_taken"),
        ("products.1.variants.0.sku", "duplicate"),
        ("products.1.variants.1.gtin", "duplicate"),
        ("products.2.code", "duplicate"),
    }
    assert e.value.status == 422
    assert "SKU OLD-M belongs to product OLD" in [err["message"] for err in e.value.errors]
    assert [_count(session, m) for m in (Product, Variant, Brand, Category, OutboxEvent)] == before


def test_the_import_checks_gtins_even_when_the_schema_was_bypassed(session: Session) -> None:
    bad = ProductImport.model_construct(
        code="X",
        name="X",
        variants=[VariantImport.model_construct(sku="X-1", gtin="5901234123458")],
    )
    with pytest.raises(ImportRejected) as e:
        import_products(session, products=[bad])
    assert e.value.errors[0] == {
        "field": "products.0.variants.0.gtin",
        "message": "5901234123458 has a wrong check digit",
        "type": "invalid_gtin",
    }


def test_a_brand_is_matched_by_name_in_any_case(session: Session) -> None:
    _import(session, product_doc("A", brand="Acme"), product_doc("B", brand="ACME"))
    assert _count(session, Brand) == 1
    assert len(service.list_products(session, brand="acme")) == 2


def test_an_import_costs_the_same_few_statements_whatever_its_size(
    session: Session, engine: Engine
) -> None:
    def statements(docs: list[dict[str, Any]]) -> int:
        with counting(engine) as sent:
            _import(session, *docs)
        return len(sent)

    _import(
        session, product_doc("FIRST", category="A/B")
    )  # the session's savepoint, the categories
    small = statements([product_doc(f"S{i}", f"S{i}-1", category="A/B") for i in range(2)])
    large = statements(
        [product_doc(f"L{i}", *(f"L{i}-{k}" for k in range(5)), category="A/B") for i in range(40)]
    )
    # products, variants, brands, categories; INSERT products, variants, events
    assert small == large == 7
    # ... and an executemany UPDATE of the products instead of the INSERTs
    updated = statements([product_doc(f"L{i}", f"L{i}-0", name="Renamed") for i in range(40)])
    assert updated == 6
