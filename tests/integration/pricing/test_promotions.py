"""Promotions and coupons as the retailer manages them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.db import OutboxEvent
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed
from omnichannel.pricing import service
from omnichannel.pricing.errors import CouponCodeTaken, PromotionArchived, PromotionCodeTaken
from omnichannel.pricing.rules import COUPON_ALPHABET
from omnichannel.pricing.schemas import CouponIssue, PromotionCreate, PromotionUpdate
from tests.integration.pricing.conftest import Shop


def test_a_promotion_missing_what_its_kind_needs_is_refused_naming_the_fields(
    session: Session, shop: Shop
) -> None:
    with pytest.raises(InvalidInput) as e:
        service.create_promotion(
            session,
            data=PromotionCreate(code="ZLE", name="Źle", kind="bundle_price", bundle_size=3),
        )
    assert {x["field"] for x in e.value.errors} == {"bundle_price"}
    with pytest.raises(InvalidInput) as e:
        service.create_promotion(
            session,
            data=PromotionCreate(code="ZLE", name="Źle", kind="cart_amount_off", amount=1000),
        )
    assert [x["field"] for x in e.value.errors] == ["currency"]


def test_unknown_targets_are_named(session: Session, shop: Shop) -> None:
    with pytest.raises(InvalidInput) as e:
        service.create_promotion(
            session,
            data=PromotionCreate.model_validate(
                {
                    "code": "X",
                    "name": "X",
                    "kind": "percent_off",
                    "percent": 10,
                    "targets": {"brand_ids": [str(shop.brand), str(uuid.uuid4())]},
                }
            ),
        )
    assert [x["field"] for x in e.value.errors] == ["targets.brand_ids.1"]


def test_promotion_codes_are_unique(session: Session, shop: Shop) -> None:
    shop.promote(session, code="ZIMA", kind="percent_off", percent=10)
    with pytest.raises(PromotionCodeTaken):
        shop.promote(session, code="ZIMA", kind="percent_off", percent=20)


def test_a_promotion_can_be_changed_paused_and_archived_for_good(
    session: Session, shop: Shop
) -> None:
    pid = shop.promote(session, code="ZIMA", kind="percent_off", percent=10)
    p = service.update_promotion(
        session, promotion_id=pid, data=PromotionUpdate(percent=25, priority=5), if_version=1
    )
    assert (p.percent_bp, p.priority, p.version) == (2500, 5, 2)
    assert service.quote(session, items=shop.items(TS_S=1)).priced.discount == 1250
    with pytest.raises(PreconditionFailed):
        service.update_promotion(
            session, promotion_id=pid, data=PromotionUpdate(priority=1), if_version=1
        )
    service.update_promotion(session, promotion_id=pid, data=PromotionUpdate(status="paused"))
    assert service.quote(session, items=shop.items(TS_S=1)).priced.discount == 0
    service.update_promotion(session, promotion_id=pid, data=PromotionUpdate(status="archived"))
    with pytest.raises(PromotionArchived):
        service.update_promotion(session, promotion_id=pid, data=PromotionUpdate(status="active"))
    changes = session.scalars(
        select(OutboxEvent.payload)
        .where(OutboxEvent.aggregate_id == str(pid))
        .order_by(OutboxEvent.sequence)
    ).all()
    assert [c["change"] for c in changes] == ["created", "updated", "updated", "archived"]


def test_an_update_that_breaks_the_kinds_rules_is_refused(session: Session, shop: Shop) -> None:
    pid = shop.promote(session, code="ZIMA", kind="percent_off", percent=10)
    with pytest.raises(InvalidInput) as e:
        service.update_promotion(session, promotion_id=pid, data=PromotionUpdate(percent=None))
    assert e.value.errors[0]["field"] == "percent"


def test_coupons_are_generated_in_batches_without_look_alike_characters(
    session: Session, shop: Shop
) -> None:
    pid = shop.promote(session, code="WITAJ", kind="percent_off", percent=10, requires_coupon=True)
    _, codes = service.issue_coupons(
        session,
        promotion_id=pid,
        data=CouponIssue(generate=200, prefix="wit-", length=8, batch="newsletter-12"),
    )
    assert len(set(codes)) == 200
    assert all(c.startswith("WIT-") and set(c[4:]) <= set(COUPON_ALPHABET) for c in codes)
    listed = service.list_coupons(session, promotion_id=pid, limit=500, batch="newsletter-12")
    assert len(listed) == 200
    assert all(c.max_uses == 1 for c in listed)


def test_a_code_cannot_be_issued_twice(session: Session, shop: Shop) -> None:
    pid = shop.promote(session, code="WITAJ", kind="percent_off", percent=10, requires_coupon=True)
    service.issue_coupons(session, promotion_id=pid, data=CouponIssue(codes=["ABC-1"]))
    with pytest.raises(CouponCodeTaken):
        service.issue_coupons(session, promotion_id=pid, data=CouponIssue(codes=["abc-1"]))


def test_coupons_only_for_promotions_that_need_them(session: Session, shop: Shop) -> None:
    pid = shop.promote(session, code="ZIMA", kind="percent_off", percent=10)
    with pytest.raises(InvalidInput):
        service.issue_coupons(session, promotion_id=pid, data=CouponIssue(codes=["ABC"]))


def test_usage_comes_from_the_redemption_ledger(session: Session, shop: Shop) -> None:
    pid = shop.promote(session, code="ZIMA", kind="percent_off", percent=10)
    for n in range(3):
        q = service.quote(session, items=shop.items(TS_S=1))
        service.redeem(session, quote=q, order_ref=f"ORD-{n}")
    assert service.usage(session, promotion_ids=[pid]) == {pid: (3, 1500)}
