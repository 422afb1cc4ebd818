"""Taking promotion and coupon usage when an order consumes a quote.

Every limit is kept by the statement itself, as stock is: one conditional UPDATE per
counter whose WHERE clause is the limit, read from the promotion or coupon row in
the same statement, and "no row back" means no. Nothing is read in Python and
written back. Rows are taken in one order (by promotion id; for each, its usage
counter, the customer's counter, its coupon, the coupon's customer counter) so two
orders never deadlock. The redemption ledger has one row per (order, promotion):
redeeming an order twice counts it once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from omnichannel.db import record_events
from omnichannel.kernel import new_id, utcnow
from omnichannel.pricing import snapshot
from omnichannel.pricing.errors import RedemptionRefused
from omnichannel.pricing.models import (
    Coupon,
    CustomerUsage,
    Promotion,
    PromotionUsage,
    Redemption,
)
from omnichannel.pricing.quoting import Quote
from omnichannel.pricing.rules import CouponStatus
from omnichannel.pricing.snapshot import Limits

_usage: Table = PromotionUsage.__table__  # type: ignore[assignment]
_customer: Table = CustomerUsage.__table__  # type: ignore[assignment]
_coupons: Table = Coupon.__table__  # type: ignore[assignment]
_ledger: Table = Redemption.__table__  # type: ignore[assignment]
_promotions: Table = Promotion.__table__  # type: ignore[assignment]


def _limit(column: str) -> Any:
    return select(_promotions.c[column]).where(_promotions.c.id == bindparam("p")).scalar_subquery()


# One more use and `a` more minor units, if neither limit was reached before.
TAKE_PROMOTION = (
    update(_usage)
    .where(
        _usage.c.promotion_id == bindparam("p"),
        or_(_limit("max_uses").is_(None), _usage.c.uses < _limit("max_uses")),
        or_(_limit("budget").is_(None), _usage.c.spent < _limit("budget")),
    )
    .values(uses=_usage.c.uses + 1, spent=_usage.c.spent + bindparam("a"))
    .returning(_usage.c.uses)
)

# One more use of a coupon that is active, not expired and not used up.
TAKE_COUPON = (
    update(_coupons)
    .where(
        _coupons.c.id == bindparam("c"),
        _coupons.c.status == CouponStatus.ACTIVE.value,
        or_(_coupons.c.expires_at.is_(None), _coupons.c.expires_at > bindparam("now")),
        or_(_coupons.c.max_uses.is_(None), _coupons.c.uses < _coupons.c.max_uses),
    )
    .values(uses=_coupons.c.uses + 1)
    .returning(_coupons.c.uses, _coupons.c.max_uses_per_customer)
)

# One more use by a customer, below the limit given.
TAKE_CUSTOMER = (
    update(_customer)
    .where(
        _customer.c.subject_id == bindparam("s"),
        _customer.c.customer_id == bindparam("k"),
        _customer.c.uses < bindparam("limit"),
    )
    .values(uses=_customer.c.uses + 1)
    .returning(_customer.c.uses)
)


@dataclass(frozen=True, slots=True)
class Redeemed:
    promotion_id: uuid.UUID
    promotion_code: str
    coupon: str | None
    amount: int


def _insert_ignore(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def redeem(
    session: Session,
    *,
    quote: Quote,
    order_ref: str,
    customer_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[Redeemed]:
    """Record that an order used the promotions and coupons of its quote, taking each
    limited use atomically; 409 `redemption_refused` (nothing taken) if any ran out,
    and the order must quote again. Checkout quotes in the same transaction first."""
    now = now or utcnow()
    customer_id = customer_id or quote.customer_id
    amounts = {a.offer.id: a.amount for a in quote.priced.applied}
    if quote.priced.free_delivery is not None:
        amounts[quote.priced.free_delivery.offer.id] = quote.priced.free_delivery.amount
    if not amounts:
        return []  # nothing applied, nothing to take
    coupon_of = {c.promotion_id: c for c in quote.coupons if c.accepted}
    # Which promotions have limits: from the worker's cache, checked against the token
    # in this transaction. The limits themselves are read by the UPDATEs.
    snap = snapshot.current(session)
    done: list[Redeemed] = []
    events = []
    for promotion_id in sorted(amounts):
        offer = quote.offers[promotion_id]
        coupon = coupon_of.get(promotion_id)
        limits = snap.limits.get(promotion_id)
        if limits is None:
            raise _refused(f"Promotion {offer.code} has ended")
        row_id = new_id()
        ins = _insert_ignore(session, _ledger)
        stmt = ins.values(
            id=row_id,
            order_ref=order_ref,
            promotion_id=promotion_id,
            coupon_id=coupon.coupon_id if coupon else None,
            customer_id=customer_id,
            channel=quote.channel,
            currency=quote.currency,
            amount=amounts[promotion_id],
            created_at=now,
        ).on_conflict_do_nothing(index_elements=["order_ref", "promotion_id"])
        if not session.execute(stmt.returning(_ledger.c.id)).first():
            continue  # this order already redeemed it
        _take_promotion(
            session, promotion_id, offer.code, amounts[promotion_id], customer_id, limits
        )
        if coupon is not None and coupon.coupon_id is not None:
            _take_coupon(session, coupon.coupon_id, coupon.code, customer_id, now)
        done.append(
            Redeemed(
                promotion_id, offer.code, coupon.code if coupon else None, amounts[promotion_id]
            )
        )
        events.append(
            {
                "aggregate_type": "promotion_redemption",
                "aggregate_id": row_id,
                "sequence": 1,
                "type": "pricing.promotion_redeemed",
                "payload": {
                    "order_ref": order_ref,
                    "promotion": offer.code,
                    "coupon": coupon.code if coupon else None,
                    "customer_id": str(customer_id) if customer_id else None,
                    "channel": quote.channel,
                    "currency": quote.currency,
                    "amount": amounts[promotion_id],
                },
            }
        )
    record_events(session, events)
    return done


def _refused(what: str) -> RedemptionRefused:
    return RedemptionRefused(f"{what}; quote the order again.", reason=what)


def _take_promotion(
    session: Session,
    promotion_id: uuid.UUID,
    code: str,
    amount: int,
    customer_id: uuid.UUID | None,
    limits: Limits,
) -> None:
    if (
        limits.counted
        and session.execute(TAKE_PROMOTION, {"p": promotion_id, "a": amount}).first() is None
    ):
        raise _refused(f"Promotion {code} has reached its usage limit or budget")
    if limits.max_uses_per_customer:
        _take_customer(session, promotion_id, customer_id, limits.max_uses_per_customer, code)


def _take_coupon(
    session: Session, coupon_id: uuid.UUID, code: str, customer_id: uuid.UUID | None, now: datetime
) -> None:
    row = session.execute(TAKE_COUPON, {"c": coupon_id, "now": now}).first()
    if row is None:
        raise _refused(f"Coupon {code} is used up, expired or revoked")
    if row.max_uses_per_customer:
        _take_customer(session, coupon_id, customer_id, row.max_uses_per_customer, code)


def _take_customer(
    session: Session, subject: uuid.UUID, customer_id: uuid.UUID | None, limit: int, code: str
) -> None:
    if customer_id is None:
        raise _refused(f"{code} is limited per customer and the order has no customer")
    ins = _insert_ignore(session, _customer)
    session.execute(
        ins.values(subject_id=subject, customer_id=customer_id, uses=0).on_conflict_do_nothing()
    )
    if (
        session.execute(TAKE_CUSTOMER, {"s": subject, "k": customer_id, "limit": limit}).first()
        is None
    ):
        raise _refused(f"The customer has used {code} as often as allowed")


def release(session: Session, *, order_ref: str) -> int:
    """Give back what an order took (it was cancelled before it was paid); returns how
    many promotions were released. Releasing twice releases once."""
    rows = session.execute(
        delete(_ledger)
        .where(_ledger.c.order_ref == order_ref)
        .returning(
            _ledger.c.promotion_id, _ledger.c.coupon_id, _ledger.c.customer_id, _ledger.c.amount
        )
    ).all()
    for promotion_id, coupon_id, customer_id, amount in sorted(rows, key=lambda r: r[0]):
        session.execute(
            update(_usage)
            .where(_usage.c.promotion_id == promotion_id, _usage.c.uses > 0)
            .values(uses=_usage.c.uses - 1, spent=_usage.c.spent - amount)
        )
        subjects = [promotion_id] + ([coupon_id] if coupon_id else [])
        if coupon_id is not None:
            session.execute(
                update(_coupons)
                .where(_coupons.c.id == coupon_id, _coupons.c.uses > 0)
                .values(uses=_coupons.c.uses - 1)
            )
        if customer_id is not None:
            session.execute(
                update(_customer)
                .where(
                    _customer.c.subject_id.in_(subjects),
                    _customer.c.customer_id == customer_id,
                    _customer.c.uses > 0,
                )
                .values(uses=_customer.c.uses - 1)
            )
    return len(rows)
