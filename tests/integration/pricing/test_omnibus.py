"""The EU Omnibus rule: for a variant on promotion, the lowest price of the 30 days
before the reduction, from a history that later edits cannot rewrite."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from omnichannel.pricing import service
from omnichannel.pricing.schemas import PromotionUpdate
from tests.integration.pricing.conftest import Shop


def test_a_variant_on_promotion_shows_the_lowest_price_of_the_30_days_before(
    session: Session, shop: Shop
) -> None:
    t0 = shop.since  # TS-S at 49.99 since 60 days ago
    # 40 days ago a short flash sale at 44.99, then back; 10 days ago a list price rise
    shop.prices(session, shop.base, {"TS-S": 4499}, now=t0 + timedelta(days=20))
    shop.prices(session, shop.base, {"TS-S": 4999}, now=t0 + timedelta(days=22))
    shop.prices(session, shop.base, {"TS-S": 5999}, now=t0 + timedelta(days=50))
    start = t0 + timedelta(days=55)
    shop.promote(
        session,
        now=start,
        code="KOSZULKI",
        kind="percent_off",
        percent=20,
        starts_at=start.isoformat(),
        targets={"product_ids": [str(shop.tshirt)]},
    )
    shown = service.display_prices(session, variant_ids=[shop.v["TS-S"], shop.v["BL-M"]])
    shirt, hoodie = shown
    assert (shirt.list_price, shirt.price, shirt.on_promotion) == (5999, 4799, True)
    assert shirt.promotions == ("KOSZULKI",)
    # 30 days before day 55 = from day 25: 49.99 (until day 50), then 59.99. The flash
    # sale on days 20-22 is older than 30 days and does not count.
    assert shirt.lowest_price_30d == 4999
    assert shirt.reduction_started_at == start
    assert (hoodie.on_promotion, hoodie.lowest_price_30d) == (False, None)


def test_a_deeper_second_reduction_keeps_the_reference_of_the_first(
    session: Session, shop: Shop
) -> None:
    t0 = shop.since
    first = t0 + timedelta(days=40)
    pid = shop.promote(
        session, now=first, code="A", kind="percent_off", percent=10, starts_at=first.isoformat()
    )
    deeper = t0 + timedelta(days=45)
    service.update_promotion(
        session, promotion_id=pid, data=PromotionUpdate(percent=30), now=deeper
    )
    session.commit()
    (shirt,) = service.display_prices(session, variant_ids=[shop.v["TS-S"]])
    assert shirt.price == 3499
    assert shirt.reduction_started_at == first
    assert shirt.lowest_price_30d == 4999


def test_editing_a_promotion_later_does_not_rewrite_what_was_shown(
    session: Session, shop: Shop
) -> None:
    t0 = shop.since
    start = t0 + timedelta(days=40)
    pid = shop.promote(
        session, now=start, code="A", kind="percent_off", percent=10, starts_at=start.isoformat()
    )
    service.update_promotion(
        session,
        promotion_id=pid,
        data=PromotionUpdate(status="paused"),
        now=t0 + timedelta(days=50),
    )
    session.commit()
    rows = [
        (r.price_list, r.price)
        for r in service.price_history(session, variant_id=shop.v["TS-S"], currency="PLN")
    ]
    assert rows == [("base-pln", 4999), ("base-pln", 4499), ("base-pln", 4999)]


def test_a_scheduled_promotion_is_in_the_history_ahead(session: Session, shop: Shop) -> None:
    now = shop.since + timedelta(days=59)
    later = now + timedelta(days=5)
    shop.promote(
        session,
        now=now,
        code="JUTRO",
        kind="amount_off",
        amount=1000,
        currency="PLN",
        starts_at=later.isoformat(),
        ends_at=(later + timedelta(days=2)).isoformat(),
    )
    rows = [
        (r.starts_at, r.price) for r in service.price_history(session, variant_id=shop.v["KS-1"])
    ]
    assert rows == [(shop.since, 3990), (later, 2990), (later + timedelta(days=2), 3990)]
