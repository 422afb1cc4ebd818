"""The demo retailer's prices are the same on every machine and make sense."""

from datetime import UTC, datetime

from omnichannel.demo import data
from omnichannel.demo.pricing import (
    base_prices,
    employee_prices,
    next_month,
    vip_prices,
    welcome_codes,
)


def test_every_variant_has_a_base_price_ending_in_99_grosze() -> None:
    products = data.products(2026)
    prices = base_prices(2026, products)
    assert set(prices) == {v["sku"] for p in products for v in p["variants"]}
    assert all(a % 100 == 99 and 1_000 <= a <= 200_000 for a in prices.values())
    assert base_prices(2026, products) == prices


def test_segment_prices_are_below_base_and_employees_pay_least() -> None:
    base = base_prices(2026, data.products(2026))
    vip, staff = vip_prices(base), employee_prices(base)
    assert vip
    assert all(vip[s] < base[s] for s in vip)
    assert all(staff[s] < vip.get(s, base[s]) for s in staff)
    assert not any(s.startswith(("SL-", "SW-")) for s in vip)  # no VIP list on electronics


def test_welcome_coupons_are_the_same_for_the_same_seed() -> None:
    assert welcome_codes(2026) == welcome_codes(2026) != welcome_codes(7)
    assert len(set(welcome_codes(2026))) == 20


def test_the_price_rise_is_at_midnight_in_warsaw_next_month() -> None:
    rise = next_month(datetime(2026, 12, 15, 10, tzinfo=UTC))
    assert rise.isoformat() == "2027-01-01T00:00:00+01:00"
    assert (
        next_month(datetime(2027, 3, 31, 23, 30, tzinfo=UTC)).isoformat()
        == "2027-05-01T00:00:00+02:00"
    )
