"""A small priced shop: T-shirts and a hoodie (apparel, brand Wisła Wear), a book
(5 % VAT), a base PLN list with every price and an empty VIP segment list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from omnichannel.catalog import taxonomy
from omnichannel.catalog.importing import import_products
from omnichannel.catalog.schemas import ProductImport
from omnichannel.catalog.service import get_product, variant_ids_by_sku
from omnichannel.kernel import utcnow
from omnichannel.pricing import service
from omnichannel.pricing.schemas import PriceListCreate, PromotionCreate

BASE_PRICES = {"TS-S": 4999, "TS-M": 4999, "TS-L": 5999, "BL-M": 12999, "KS-1": 3990}


@dataclass
class Shop:
    v: dict[str, uuid.UUID]  # SKU -> variant id
    tshirt: uuid.UUID  # product
    apparel: uuid.UUID  # category above "Koszulki" and "Bluzy"
    tshirts: uuid.UUID  # category
    brand: uuid.UUID
    base: uuid.UUID  # price list base-pln
    vip: uuid.UUID  # price list vip (segment vip, priority 10)
    since: datetime  # when the base prices took effect

    def prices(
        self,
        session: Session,
        list_id: uuid.UUID,
        prices: dict[str, int | None],
        *,
        valid_from: datetime | None = None,
        now: datetime | None = None,
    ) -> int:
        changed = service.set_prices(
            session,
            price_list_id=list_id,
            changes=[service.PriceChange(self.v[s], a, valid_from) for s, a in prices.items()],
            now=now,
        )
        session.commit()
        return changed

    def promote(self, session: Session, now: datetime | None = None, **doc: Any) -> uuid.UUID:
        doc.setdefault("name", doc["code"])
        p = service.create_promotion(session, data=PromotionCreate.model_validate(doc), now=now)
        session.commit()
        return p.id

    def items(self, **quantities: int) -> list[service.Item]:
        return [service.Item(self.v[s.replace("_", "-")], q) for s, q in quantities.items()]


@pytest.fixture
def shop(session: Session) -> Shop:
    return build_shop(session)


def build_shop(session: Session) -> Shop:
    """The shop, committed through the session given."""
    docs = [
        {
            "code": "TS",
            "name": "Koszulka",
            "brand": "Wisła Wear",
            "category": "Odzież/Koszulki",
            "variants": [{"sku": s} for s in ("TS-S", "TS-M", "TS-L")],
        },
        {
            "code": "BL",
            "name": "Bluza",
            "brand": "Wisła Wear",
            "category": "Odzież/Bluzy",
            "variants": [{"sku": "BL-M"}],
        },
        {
            "code": "KS",
            "name": "Poradnik",
            "category": "Książki",
            "variants": [{"sku": "KS-1", "vat_class": "super_reduced"}],
        },
    ]
    import_products(session, products=[ProductImport.model_validate(d) for d in docs])
    v = variant_ids_by_sku(session, skus=BASE_PRICES)
    tshirt = get_product(session, product_id=_product_of(session, v["TS-S"]))
    apparel = taxonomy.find_category(session, ref="odziez")
    assert apparel is not None
    assert tshirt.category_id
    assert tshirt.brand_id
    base = service.create_price_list(
        session, data=PriceListCreate(code="base-pln", name="Cennik podstawowy")
    )
    vip = service.create_price_list(
        session,
        data=PriceListCreate(code="vip", name="VIP", kind="segment", segment="vip", priority=10),
    )
    since = utcnow() - timedelta(days=60)
    service.set_prices(
        session,
        price_list_id=base.id,
        changes=[service.PriceChange(v[s], a) for s, a in BASE_PRICES.items()],
        now=since,
    )
    session.commit()
    return Shop(
        v, tshirt.id, apparel.id, tshirt.category_id, tshirt.brand_id, base.id, vip.id, since
    )


def _product_of(session: Session, variant_id: uuid.UUID) -> uuid.UUID:
    from omnichannel.catalog.service import get_variant

    return get_variant(session, variant_id=variant_id).product_id
