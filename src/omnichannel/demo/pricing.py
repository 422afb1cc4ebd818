"""The demo retailer's prices and promotions: a base PLN list for every variant, VIP
and employee lists, a price rise scheduled for next month, a handful of promotions
and their coupons. The same seed gives the same prices and codes; dates are relative
to the moment the demo is loaded (prices have held for 45 days, so the Omnibus
reference has a history to show)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from omnichannel.catalog import taxonomy
from omnichannel.pricing import service as pricing
from omnichannel.pricing.rules import COUPON_ALPHABET
from omnichannel.pricing.schemas import CouponIssue, PriceListCreate, PromotionCreate

WARSAW = ZoneInfo("Europe/Warsaw")
HISTORY = timedelta(days=45)

# Price range (PLN) of a product per SKU prefix, and how much each larger size adds.
RANGES: dict[str, tuple[int, int, int]] = {
    "TS": (39, 89, 0),
    "BL": (129, 259, 0),
    "SP": (119, 239, 0),
    "KU": (299, 799, 0),
    "DZ": (29, 69, 0),
    "PO": (149, 349, 15),
    "RE": (19, 59, 40),
    "KC": (49, 249, 20),
    "LA": (129, 599, 0),
    "SL": (99, 899, 0),
    "GL": (149, 999, 30),
    "ZS": (29, 199, 0),
    "SW": (199, 1299, 10),
    "KS": (29, 89, 25),
}
VIP_FAMILIES = ("TS", "BL", "SP", "KU", "DZ", "PO", "RE", "KC", "LA")
WELCOME_COUPONS = 20


@dataclass
class PricingReport:
    lists: int = 0
    prices: int = 0
    promotions: int = 0
    coupons: list[str] | None = None


def _ninety_nine(grosze: int) -> int:
    """The nearest price ending in .99 at or below (49.99, 129.99)."""
    return max(99, (grosze // 100) * 100 - 1)


def base_prices(seed: int, products: list[dict[str, Any]]) -> dict[str, int]:
    """SKU -> gross price in grosze, the same for the same seed."""
    rng = random.Random(seed * 613)
    out: dict[str, int] = {}
    for p in products:
        low, high, step = RANGES[p["code"].split("-")[0]]
        price = rng.randint(low, high) * 100 + 99
        sizes = list(dict.fromkeys(v["options"]["size"] for v in p["variants"]))
        for v in p["variants"]:
            uplift = sizes.index(v["options"]["size"]) * step
            out[v["sku"]] = _ninety_nine(price * (100 + uplift) // 100 + 100)
    return out


def vip_prices(base: dict[str, int]) -> dict[str, int]:
    """About 10 % below base for apparel and home goods."""
    return {
        sku: _ninety_nine(amount * 90 // 100 + 100)
        for sku, amount in base.items()
        if sku.split("-")[0] in VIP_FAMILIES
    }


def employee_prices(base: dict[str, int]) -> dict[str, int]:
    """About 30 % below base for everything."""
    return {sku: _ninety_nine(amount * 70 // 100 + 100) for sku, amount in base.items()}


def welcome_codes(seed: int) -> list[str]:
    rng = random.Random(seed * 31337)
    return [
        "WITAJ-" + "".join(rng.choice(COUPON_ALPHABET) for _ in range(6))
        for _ in range(WELCOME_COUPONS)
    ]


def next_month(now: datetime) -> datetime:
    """Midnight in Warsaw on the first day of next month."""
    local = now.astimezone(WARSAW)
    first = (local.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.replace(hour=0, minute=0, second=0, microsecond=0)


def promotions(
    now: datetime, category: dict[str, str], brand: dict[str, str]
) -> list[dict[str, Any]]:
    """The promotions, as API documents (ids of categories and brands filled in)."""
    return [
        {
            "code": "KURTKI-20",
            "name": "Zimowa wyprzedaż kurtek",
            "kind": "percent_off",
            "percent": 20,
            "targets": {"category_ids": [category["kurtki"]]},
            "starts_at": now - timedelta(days=10),
            "ends_at": now + timedelta(days=30),
        },
        {
            "code": "KOSZULKI-3ZA2",
            "name": "Koszulki 3 za 2",
            "kind": "buy_x_get_y",
            "buy_quantity": 2,
            "get_quantity": 1,
            "targets": {"category_ids": [category["koszulki"]]},
        },
        {
            "code": "POSCIEL-2ZA299",
            "name": "Dwa komplety pościeli za 299 zł",
            "kind": "bundle_price",
            "bundle_size": 2,
            "bundle_price": 29900,
            "currency": "PLN",
            "targets": {"category_ids": [category["posciel"]]},
        },
        {
            "code": "VIP-VOLT-10",
            "name": "VIP: -10% na Volt",
            "kind": "percent_off",
            "percent": 10,
            "segments": ["vip"],
            "targets": {"brand_ids": [brand["volt"]]},
        },
        {
            "code": "ELEKTRONIKA-15",
            "name": "Elektronika -15% od 500 zł",
            "kind": "cart_percent_off",
            "percent": 15,
            "threshold": 50000,
            "currency": "PLN",
            "stacking": "exclusive",
            "priority": 10,
            "targets": {"category_ids": [category["elektronika"]]},
        },
        {
            "code": "KSIAZKA-5ZL",
            "name": "5 zł taniej na każdą książkę (pierwsze 500 zamówień)",
            "kind": "amount_off",
            "amount": 500,
            "currency": "PLN",
            "max_uses": 500,
            "targets": {"category_ids": [category["ksiazki"]]},
        },
        {
            "code": "SWIETA-DOM-15",
            "name": "Święta w domu: -15% na dom",
            "kind": "percent_off",
            "percent": 15,
            "targets": {"category_ids": [category["dom"]]},
            "starts_at": now + timedelta(days=7),
            "ends_at": now + timedelta(days=17),
        },
        {
            "code": "DOSTAWA-199",
            "name": "Darmowa dostawa od 199 zł",
            "kind": "free_delivery",
            "threshold": 19900,
            "currency": "PLN",
        },
        {
            "code": "ZIMA50",
            "name": "50 zł taniej od 400 zł",
            "kind": "cart_amount_off",
            "amount": 5000,
            "threshold": 40000,
            "currency": "PLN",
            "requires_coupon": True,
            "max_uses_per_customer": 1,
        },
        {
            "code": "WITAJ10",
            "name": "Witaj: -10% na pierwsze zakupy",
            "kind": "cart_percent_off",
            "percent": 10,
            "requires_coupon": True,
        },
    ]


def load_pricing(
    session: Session,
    *,
    seed: int,
    products: list[dict[str, Any]],
    variant_ids: dict[str, uuid.UUID],
    now: datetime,
) -> PricingReport:
    """Create the lists, prices, promotions and coupons through the pricing services."""
    report = PricingReport()
    base = base_prices(seed, products)
    since = now - HISTORY
    lists = {}
    for code, name, kind, segment, priority, prices in (
        ("base-pln", "Cennik podstawowy", "base", None, 0, base),
        ("vip-pln", "Klub Dom i Styl VIP", "segment", "vip", 10, vip_prices(base)),
        ("pracownicy-pln", "Cennik pracowniczy", "segment", "employees", 20, employee_prices(base)),
    ):
        pl = pricing.create_price_list(
            session,
            data=PriceListCreate(
                code=code, name=name, kind=kind, segment=segment, priority=priority
            ),
        )
        lists[code] = pl.id
        report.prices += pricing.set_prices(
            session,
            price_list_id=pl.id,
            changes=[pricing.PriceChange(variant_ids[s], a) for s, a in sorted(prices.items())],
            now=since,
        )
    report.lists = len(lists)
    rise = next_month(now)
    books = {s: _ninety_nine(a * 105 // 100 + 100) for s, a in base.items() if s.startswith("KS-")}
    report.prices += pricing.set_prices(
        session,
        price_list_id=lists["base-pln"],
        changes=[pricing.PriceChange(variant_ids[s], a, rise) for s, a in sorted(books.items())],
        now=now,
    )
    category = {c.code: str(c.id) for c in taxonomy.list_categories(session)}
    brand = {b.code: str(b.id) for b in taxonomy.list_brands(session)}
    ids = {}
    for doc in promotions(now, category, brand):
        # A promotion that began before today was written then: the history shows it so.
        written = min(now, doc.get("starts_at", now))
        p = pricing.create_promotion(session, data=PromotionCreate.model_validate(doc), now=written)
        ids[p.code] = p.id
    report.promotions = len(ids)
    pricing.issue_coupons(
        session, promotion_id=ids["ZIMA50"], data=CouponIssue(codes=["ZIMA50"], max_uses=None)
    )
    codes = welcome_codes(seed)
    pricing.issue_coupons(
        session, promotion_id=ids["WITAJ10"], data=CouponIssue(codes=codes, batch="powitalne")
    )
    report.coupons = ["ZIMA50", *codes[:3]]
    return report
