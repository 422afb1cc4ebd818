"""The quote through the service: promotions from the database, coupons and why they
are refused, bad lines, and how few statements a quote costs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from omnichannel.customers import profiles
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing import service
from omnichannel.pricing.errors import Unpriced
from omnichannel.pricing.rules import Refusal
from omnichannel.pricing.schemas import CouponIssue, CouponUpdate, PromotionUpdate
from tests.integration.pricing.conftest import Shop


def _coupon(session: Session, shop: Shop, codes: list[str], **promo: object) -> uuid.UUID:
    doc = {
        "code": "WITAJ",
        "kind": "cart_percent_off",
        "percent": 10,
        "requires_coupon": True,
        **promo,
    }
    pid = shop.promote(session, **doc)
    service.issue_coupons(session, promotion_id=pid, data=CouponIssue(codes=codes))
    session.commit()
    return pid


def _reasons(q: service.Quote) -> dict[str, Refusal | None]:
    return {c.code: c.reason for c in q.coupons}


def test_a_quote_has_lines_promotions_totals_and_vat(session: Session, shop: Shop) -> None:
    shop.promote(
        session,
        code="KOSZULKI20",
        kind="percent_off",
        percent=20,
        targets={"category_ids": [str(shop.tshirts)]},
    )
    shop.promote(session, code="DOSTAWA", kind="free_delivery", threshold=15000, currency="PLN")
    q = service.quote(session, items=shop.items(TS_S=2, KS_1=1), delivery_price=1499)
    shirt, book = q.lines
    assert (shirt.sku, shirt.priced.subtotal, shirt.priced.discount) == ("TS-S", 9998, 2000)
    assert (book.priced.total, book.priced.line.vat.code) == (3990, "5")
    assert q.priced.delivery is not None
    assert q.priced.delivery.total == 1499
    assert q.priced.total == 7998 + 3990 + 1499
    assert [a.explanation for a in q.priced.applied] == ["KOSZULKI20: 20% off, 2 units: -20.00 PLN"]
    assert {v.vat.code for v in q.priced.vat} == {"23", "5"}


def test_a_category_promotion_applies_to_its_subcategories(session: Session, shop: Shop) -> None:
    shop.promote(
        session,
        code="ODZIEZ",
        kind="percent_off",
        percent=10,
        targets={"category_ids": [str(shop.apparel)]},
    )
    q = service.quote(session, items=shop.items(TS_M=1, BL_M=1, KS_1=1))
    assert [ln.priced.discount for ln in q.lines] == [500, 1300, 0]


def test_buy_two_get_one_free_through_the_database(session: Session, shop: Shop) -> None:
    shop.promote(
        session,
        code="3ZA2",
        kind="buy_x_get_y",
        buy_quantity=2,
        get_quantity=1,
        targets={"product_ids": [str(shop.tshirt)]},
    )
    q = service.quote(session, items=shop.items(TS_S=1, TS_M=1, TS_L=1))
    assert [ln.priced.discount for ln in q.lines] == [0, 4999, 0]  # the cheapest in sort order


def test_an_unknown_coupon_is_refused_with_a_reason_not_an_error(
    session: Session, shop: Shop
) -> None:
    q = service.quote(session, items=shop.items(TS_S=1), coupons=["NIEMA"])
    assert _reasons(q) == {"NIEMA": Refusal.UNKNOWN}
    assert q.priced.total == 4999


def test_a_valid_coupon_applies_in_any_case(session: Session, shop: Shop) -> None:
    _coupon(session, shop, ["WITAJ10"])
    q = service.quote(session, items=shop.items(TS_S=2), coupons=["witaj10"])
    assert q.coupons[0].accepted
    assert q.coupons[0].reason is None
    assert q.priced.discount == 1000
    assert q.priced.applied[0].explanation.endswith("(coupon WITAJ10)")


def test_an_expired_coupon_says_so(session: Session, shop: Shop) -> None:
    pid = _coupon(session, shop, ["STARY"], ends_at=(utcnow() + timedelta(days=1)).isoformat())
    q = service.quote(
        session, items=shop.items(TS_S=1), coupons=["STARY"], at=utcnow() + timedelta(days=2)
    )
    assert _reasons(q) == {"STARY": Refusal.EXPIRED}
    service.issue_coupons(
        session,
        promotion_id=pid,
        data=CouponIssue(codes=["KROTKI"], expires_at=utcnow() - timedelta(minutes=1)),
    )
    assert _reasons(service.quote(session, items=shop.items(TS_S=1), coupons=["KROTKI"])) == {
        "KROTKI": Refusal.EXPIRED
    }


def test_a_coupon_over_its_limit_says_it_is_used_up(session: Session, shop: Shop) -> None:
    _coupon(session, shop, ["RAZ"])
    first = service.quote(session, items=shop.items(TS_S=1), coupons=["RAZ"])
    service.redeem(session, quote=first, order_ref="ORD-1")
    q = service.quote(session, items=shop.items(TS_S=1), coupons=["RAZ"])
    assert _reasons(q) == {"RAZ": Refusal.EXHAUSTED}


def test_a_revoked_or_paused_coupon_is_refused(session: Session, shop: Shop) -> None:
    pid = _coupon(session, shop, ["A-1", "A-2"])
    service.update_coupon(session, code="a-1", data=CouponUpdate(status="revoked"))
    assert _reasons(service.quote(session, items=shop.items(TS_S=1), coupons=["A-1"])) == {
        "A-1": Refusal.REVOKED
    }
    service.update_promotion(session, promotion_id=pid, data=PromotionUpdate(status="paused"))
    assert _reasons(service.quote(session, items=shop.items(TS_S=1), coupons=["A-2"])) == {
        "A-2": Refusal.PAUSED
    }


def test_a_per_customer_coupon_needs_the_customer_and_counts_per_customer(
    session: Session, shop: Shop
) -> None:
    pid = _coupon(session, shop, ["KLUB"], max_uses_per_customer=1)
    service.issue_coupons(session, promotion_id=pid, data=CouponIssue(codes=["KLUB2"]))
    anna, jan = (
        profiles.create_customer(session, data=CustomerCreate(given_name=n)).customer.id
        for n in ("Anna", "Jan")
    )
    assert _reasons(service.quote(session, items=shop.items(TS_S=1), coupons=["KLUB"])) == {
        "KLUB": Refusal.CUSTOMER_REQUIRED
    }
    q = service.quote(session, items=shop.items(TS_S=1), coupons=["KLUB"], customer_id=anna)
    service.redeem(session, quote=q, order_ref="ORD-ANNA")
    again = service.quote(session, items=shop.items(TS_S=1), coupons=["KLUB2"], customer_id=anna)
    assert _reasons(again) == {"KLUB2": Refusal.CUSTOMER_LIMIT}
    other = service.quote(session, items=shop.items(TS_S=1), coupons=["KLUB2"], customer_id=jan)
    assert other.coupons[0].accepted


def test_a_coupon_below_its_minimum_or_for_other_goods_says_why(
    session: Session, shop: Shop
) -> None:
    _coupon(session, shop, ["OD300"], threshold=30000, currency="PLN")
    _coupon(
        session,
        shop,
        ["KSIAZKI"],
        code="KSIAZKI",
        kind="percent_off",
        targets={"variant_ids": [str(shop.v["KS-1"])]},
    )
    q = service.quote(session, items=shop.items(TS_S=1), coupons=["OD300", "KSIAZKI", "od300"])
    assert [(c.code, c.reason) for c in q.coupons] == [
        ("OD300", Refusal.BELOW_THRESHOLD),
        ("KSIAZKI", Refusal.NOT_APPLICABLE),
        ("OD300", Refusal.DUPLICATE),
    ]


def test_a_segment_coupon_is_refused_for_other_customers(session: Session, shop: Shop) -> None:
    _coupon(session, shop, ["VIPONLY"], segments=["vip"])
    q = service.quote(session, items=shop.items(TS_S=1), coupons=["VIPONLY"])
    assert _reasons(q) == {"VIPONLY": Refusal.WRONG_SEGMENT}
    assert (
        service.quote(session, items=shop.items(TS_S=1), coupons=["VIPONLY"], segments=["vip"])
        .coupons[0]
        .accepted
    )


def test_a_promotion_that_reached_its_limit_stops_applying(session: Session, shop: Shop) -> None:
    shop.promote(session, code="PIERWSZE", kind="percent_off", percent=50, max_uses=1)
    q = service.quote(session, items=shop.items(TS_S=1))
    assert q.priced.discount == 2500
    service.redeem(session, quote=q, order_ref="ORD-1")
    assert service.quote(session, items=shop.items(TS_S=1)).priced.discount == 0


def test_unknown_unsold_and_unpriced_variants_are_named(session: Session, shop: Shop) -> None:
    with pytest.raises(InvalidInput) as e:
        service.quote(session, items=[service.Item(uuid.uuid4(), 1)])
    assert e.value.errors[0]["field"] == "lines.0.variant_id"
    shop.prices(session, shop.base, {"KS-1": None})
    with pytest.raises(Unpriced) as e2:
        service.quote(session, items=shop.items(TS_S=1, KS_1=1))
    assert e2.value.errors == [
        {"field": "lines.1.variant_id", "message": "KS-1 has no price in PLN", "type": "unpriced"}
    ]


def test_a_currency_without_a_base_list_is_a_validation_error(session: Session, shop: Shop) -> None:
    with pytest.raises(InvalidInput) as e:
        service.quote(session, items=shop.items(TS_S=1), currency="EUR")
    assert e.value.errors[0]["field"] == "currency"


def test_the_channel_is_recorded_but_changes_nothing(session: Session, shop: Shop) -> None:
    shop.promote(session, code="ZIMA", kind="percent_off", percent=15)
    at = utcnow()
    web = service.quote(session, items=shop.items(TS_S=1, BL_M=2), channel="web", at=at)
    pos = service.quote(session, items=shop.items(TS_S=1, BL_M=2), channel="pos-waw", at=at)
    assert web.channel == "web"
    assert web.priced == pos.priced


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    engine = session.get_bind().engine
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_quote_costs_two_statements_once_promotions_are_cached(
    session: Session, shop: Shop
) -> None:
    for n in range(5):
        shop.promote(session, code=f"P{n}", kind="percent_off", percent=5 + n)
    service.quote(session, items=shop.items(TS_S=1))  # warms the cache
    with _statements(session) as seen:
        service.quote(session, items=shop.items(TS_S=2, TS_M=1, BL_M=1, KS_1=3))
    # the pricing token with the prices, the catalog facts
    assert len(seen) == 2, seen
