"""Orders take promotion and coupon usage atomically: exactly once, never beyond a
limit, even when many orders race for the last use."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.customers import profiles
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.db import Database, OutboxEvent, make_engine, unit_of_work
from omnichannel.pricing import service
from omnichannel.pricing.errors import RedemptionRefused
from omnichannel.pricing.models import Coupon, PromotionUsage, Redemption
from omnichannel.pricing.schemas import CouponIssue
from tests.integration.pricing.conftest import Shop, build_shop

THREADS = 12


def _with_coupon(session: Session, shop: Shop, code: str, **promo: object) -> uuid.UUID:
    pid = shop.promote(
        session,
        code="RABAT",
        kind="cart_amount_off",
        amount=1000,
        currency="PLN",
        requires_coupon=True,
        **promo,
    )
    service.issue_coupons(session, promotion_id=pid, data=CouponIssue(codes=[code]))
    session.commit()
    return pid


def test_redeeming_records_the_order_and_takes_one_use(session: Session, shop: Shop) -> None:
    pid = _with_coupon(session, shop, "RAZ", max_uses=10, budget=100_000)
    q = service.quote(session, items=shop.items(TS_S=1), coupons=["RAZ"], channel="web")
    done = service.redeem(session, quote=q, order_ref="ORD-1")
    assert [(r.promotion_code, r.coupon, r.amount) for r in done] == [("RABAT", "RAZ", 1000)]
    usage = session.get(PromotionUsage, pid)
    assert usage is not None
    assert (usage.uses, usage.spent) == (1, 1000)
    row = session.scalar(select(Redemption).where(Redemption.order_ref == "ORD-1"))
    assert row is not None
    assert row.channel == "web"
    assert session.scalar(select(Coupon.uses).where(Coupon.code == "RAZ")) == 1
    assert (
        session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.type == "pricing.promotion_redeemed")
        )
        == 1
    )


def test_redeeming_the_same_order_twice_counts_once(session: Session, shop: Shop) -> None:
    _with_coupon(session, shop, "WIELE", max_uses=None)
    q = service.quote(session, items=shop.items(TS_S=1), coupons=["WIELE"])
    service.redeem(session, quote=q, order_ref="ORD-1")
    assert service.redeem(session, quote=q, order_ref="ORD-1") == []
    assert session.scalar(select(Coupon.uses).where(Coupon.code == "WIELE")) == 1


def test_a_use_taken_since_the_quote_refuses_the_order_and_takes_nothing(
    session: Session, shop: Shop
) -> None:
    pid = _with_coupon(session, shop, "OSTATNI")
    a = service.quote(session, items=shop.items(TS_S=1), coupons=["OSTATNI"])
    b = service.quote(session, items=shop.items(TS_S=1), coupons=["OSTATNI"])
    service.redeem(session, quote=a, order_ref="ORD-A")
    session.commit()
    with pytest.raises(RedemptionRefused):
        service.redeem(session, quote=b, order_ref="ORD-B")
    session.rollback()
    assert (
        session.scalar(
            select(func.count()).select_from(Redemption).where(Redemption.promotion_id == pid)
        )
        == 1
    )


def test_a_budget_stops_the_promotion_once_spent(session: Session, shop: Shop) -> None:
    shop.promote(
        session, code="BUDZET", kind="percent_off", percent=50, budget=3000, currency="PLN"
    )
    first = service.quote(session, items=shop.items(TS_S=1))
    assert first.priced.discount == 2500
    service.redeem(session, quote=first, order_ref="ORD-1")
    second = service.quote(session, items=shop.items(TS_S=1))
    assert second.priced.discount == 2500  # 25 zł of 30 spent: one more order may overshoot
    service.redeem(session, quote=second, order_ref="ORD-2")
    assert service.quote(session, items=shop.items(TS_S=1)).priced.discount == 0


def test_releasing_a_cancelled_order_gives_the_use_back(session: Session, shop: Shop) -> None:
    _with_coupon(session, shop, "ZWROT", max_uses_per_customer=1)
    anna = profiles.create_customer(session, data=CustomerCreate(given_name="Anna")).customer.id
    q = service.quote(session, items=shop.items(TS_S=1), coupons=["ZWROT"], customer_id=anna)
    service.redeem(session, quote=q, order_ref="ORD-1")
    assert service.release(session, order_ref="ORD-1") == 1
    assert service.release(session, order_ref="ORD-1") == 0
    again = service.quote(session, items=shop.items(TS_S=1), coupons=["ZWROT"], customer_id=anna)
    assert again.coupons[0].accepted
    service.redeem(session, quote=again, order_ref="ORD-2")


@pytest.fixture
def wide_db(committing_db: Database) -> Iterator[Database]:
    """The committing database, with a connection for every thread on PostgreSQL."""
    if committing_db.backend != "postgresql":
        yield committing_db
        return
    url = committing_db.engine.url.render_as_string(hide_password=False)
    db = Database(make_engine(url, pool_size=THREADS))
    try:
        yield db
    finally:
        db.dispose()


def _race(db: Database, shop: Shop, coupon: str | None) -> Counter[str]:
    gate = threading.Barrier(THREADS)
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def order(i: int) -> None:
        gate.wait()
        try:
            with unit_of_work(db, actor="test") as s:
                q = service.quote(s, items=shop.items(TS_S=1), coupons=[coupon] if coupon else [])
                if coupon and not q.coupons[0].accepted:
                    outcome = f"refused:{q.coupons[0].reason}"
                elif not q.priced.applied:
                    outcome = "no promotion"
                else:
                    service.redeem(s, quote=q, order_ref=f"ORD-{i}")
                    outcome = "redeemed"
        except RedemptionRefused:
            outcome = "refused at redemption"
        except Exception as e:  # reported, not hidden
            outcome = type(e).__name__
        with lock:
            seen[outcome] += 1

    threads = [threading.Thread(target=order, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return seen


def test_a_single_use_coupon_is_used_exactly_once_under_concurrency(wide_db: Database) -> None:
    with unit_of_work(wide_db, actor="setup") as s:
        shop = build_shop(s)
        _with_coupon(s, shop, "JEDEN")
    seen = _race(wide_db, shop, "JEDEN")
    assert seen["redeemed"] == 1, seen
    assert sum(seen.values()) == THREADS
    assert set(seen) <= {"redeemed", "refused at redemption", "refused:exhausted"}, seen
    with unit_of_work(wide_db, read_only=True) as s:
        assert s.scalar(select(Coupon.uses).where(Coupon.code == "JEDEN")) == 1
        assert s.scalar(select(func.count()).select_from(Redemption)) == 1


def test_a_promotion_limited_to_five_uses_is_used_five_times_under_concurrency(
    wide_db: Database,
) -> None:
    with unit_of_work(wide_db, actor="setup") as s:
        shop = build_shop(s)
        pid = shop.promote(s, code="PIEC", kind="percent_off", percent=10, max_uses=5)
    seen = _race(wide_db, shop, None)
    assert seen["redeemed"] == 5, seen
    assert set(seen) <= {"redeemed", "refused at redemption", "no promotion"}, seen
    with unit_of_work(wide_db, read_only=True) as s:
        usage = s.get(PromotionUsage, pid)
        assert usage is not None
        assert usage.uses == 5
        assert s.scalar(select(func.count()).select_from(Redemption)) == 5
