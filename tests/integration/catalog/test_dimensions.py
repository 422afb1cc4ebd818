"""A variant's packed size is kept with its weight, set on create, by update and by
the bulk import, cleared by an explicit null, and read by carriers in one query."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnichannel.catalog import service
from omnichannel.catalog.importing import import_products
from omnichannel.catalog.schemas import ProductCreate, ProductImport, VariantUpdate
from omnichannel.fulfillment.carriers.parcels import parcel_items
from omnichannel.fulfillment.carriers.sizing import LockerSize, locker_size

SHIRT = {"sku": "TS-01-M", "weight_g": 180, "length_mm": 300, "width_mm": 250, "height_mm": 25}


def _product(session: Session) -> uuid.UUID:
    p = service.create_product(
        session,
        data=ProductCreate.model_validate(
            {"code": "TS-01", "name": "Koszulka", "variants": [SHIRT, {"sku": "TS-01-L"}]}
        ),
    )
    return p.variants[0].id


def test_a_variant_keeps_its_packed_size_and_a_carrier_reads_it(session: Session) -> None:
    shirt = _product(session)
    v = service.get_variant(session, variant_id=shirt)
    assert (v.length_mm, v.width_mm, v.height_mm) == (300, 250, 25)
    (other,) = service.list_variants(session, sku="TS-01-L")
    items = parcel_items(session, lines=[(shirt, 3), (other.id, 1)])
    assert [(i.sku, i.quantity, i.height_mm) for i in items] == [
        ("TS-01-M", 3, 25),
        ("TS-01-L", 1, None),
    ]
    assert locker_size(items[:1]) is LockerSize.A


def test_an_explicit_null_clears_a_dimension_and_a_left_out_one_stays(session: Session) -> None:
    shirt = _product(session)
    v = service.update_variant(
        session, variant_id=shirt, data=VariantUpdate(height_mm=None, width_mm=260)
    )
    assert (v.length_mm, v.width_mm, v.height_mm) == (300, 260, None)


def test_the_bulk_import_sets_dimensions_and_keeps_them_when_left_out(session: Session) -> None:
    doc = {"code": "TS-02", "name": "Koszulka", "variants": [{**SHIRT, "sku": "TS-02-M"}]}
    import_products(session, products=[ProductImport.model_validate(doc)])
    again = {"code": "TS-02", "name": "Koszulka", "variants": [{"sku": "TS-02-M", "weight_g": 190}]}
    import_products(session, products=[ProductImport.model_validate(again)])
    facts = service.shipping_facts(
        session, variant_ids=[v.id for v in service.list_variants(session, limit=10)]
    )
    (f,) = facts.values()
    assert (f.weight_g, f.length_mm, f.width_mm, f.height_mm) == (190, 300, 250, 25)


def test_a_negative_dimension_is_refused() -> None:
    with pytest.raises(ValidationError) as e:
        VariantUpdate(length_mm=-1)
    assert e.value.errors()[0]["loc"] == ("length_mm",)
