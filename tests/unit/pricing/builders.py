"""Carts and offers for engine tests, built by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from omnichannel.pricing.engine import Priced, price
from omnichannel.pricing.offers import Cart, Line, Offer, Targets
from omnichannel.pricing.rules import PL_VAT, PromotionKind, Stacking

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

SHIRTS = uuid.UUID(int=1)  # a category
APPAREL = uuid.UUID(int=2)  # the category above it
BRAND = uuid.UUID(int=3)


def line(
    unit_price: int,
    quantity: int = 1,
    *,
    vat: str = "standard",
    variant: uuid.UUID | None = None,
    product: uuid.UUID | None = None,
    brand: uuid.UUID | None = None,
    categories: frozenset[uuid.UUID] = frozenset(),
) -> Line:
    return Line(
        variant_id=variant or uuid.uuid4(),
        quantity=quantity,
        unit_price=unit_price,
        vat=PL_VAT[vat],
        product_id=product or uuid.uuid4(),
        brand_id=brand,
        category_ids=categories,
    )


def shirt(unit_price: int, quantity: int = 1) -> Line:
    return line(unit_price, quantity, brand=BRAND, categories=frozenset({SHIRTS, APPAREL}))


_codes = iter(range(1, 10**9))


def offer(kind: str, **kw: Any) -> Offer:
    n = next(_codes)
    fields: dict[str, Any] = {
        "id": kw.pop("id", uuid.UUID(int=10_000 + n)),
        "code": kw.pop("code", f"P{n:04d}"),
        "name": kw.pop("name", f"Promo {n}"),
        "kind": PromotionKind(kind),
    }
    if "targets" in kw and isinstance(kw["targets"], dict):
        kw["targets"] = Targets(**{k: frozenset(v) for k, v in kw["targets"].items()})
    if "stacking" in kw:
        kw["stacking"] = Stacking(kw["stacking"])
    for key in ("segments", "channels"):
        if key in kw:
            kw[key] = frozenset(kw[key])
    return Offer(**fields, **kw)


def quote(lines: list[Line], offers: list[Offer], **kw: Any) -> Priced:
    cart = Cart(currency=kw.pop("currency", "PLN"), lines=tuple(lines), at=kw.pop("at", NOW), **kw)
    return price(cart, offers)


def discounts(p: Priced) -> list[int]:
    return [pl.discount for pl in p.lines]
