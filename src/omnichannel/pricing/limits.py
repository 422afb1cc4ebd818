"""What a quote may use: the coupons named (each accepted or refused with a reason)
and the promotions whose usage limits are reached — in total, by budget, or for this
customer. Counters are read here; they are taken, atomically, by `redemption`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.orm import Session

from omnichannel.db.idlist import any_id, id_list
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing import coupons as coupon_store
from omnichannel.pricing.errors import field_error
from omnichannel.pricing.models import Coupon, CustomerUsage, PromotionUsage
from omnichannel.pricing.rules import MAX_COUPONS, CouponStatus, Refusal, normalise_coupon
from omnichannel.pricing.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class CouponCheck:
    code: str  # as normalised
    accepted: bool
    reason: Refusal | None
    coupon_id: uuid.UUID | None = None
    promotion_id: uuid.UUID | None = None
    promotion_code: str | None = None


def check(
    session: Session,
    snap: Snapshot,
    codes: Sequence[str],
    *,
    customer_id: uuid.UUID | None,
    currency: str,
    at: datetime,
) -> tuple[list[CouponCheck], dict[uuid.UUID, str], set[uuid.UUID]]:
    """Check the coupons and the promotions' usage limits.

    Returns the coupon checks so far, the promotions valid coupons unlock (id -> code),
    and the promotions that cannot apply because a limit is reached."""
    if len(codes) > MAX_COUPONS:
        raise InvalidInput(
            f"At most {MAX_COUPONS} coupons per quote.",
            errors=[field_error("coupons", f"more than {MAX_COUPONS}", "too_long")],
        )
    normalised = [normalise_coupon(c) for c in codes]
    found = coupon_store.coupons_by_code(session, codes=normalised) if normalised else {}
    live = [
        o
        for o in snap.offers
        if o.active
        and (o.ends_at is None or o.ends_at > at)
        and (o.currency is None or o.currency == currency)
    ]
    counted = [o.id for o in live if snap.limits[o.id].counted]
    per_customer = [o.id for o in live if snap.limits[o.id].max_uses_per_customer]
    per_customer += [c.id for c in found.values() if c.max_uses_per_customer]
    spent = _usage(session, counted)
    mine = _customer_usage(session, per_customer, customer_id)
    blocked: set[uuid.UUID] = set()
    for o in live:
        lim = snap.limits[o.id]
        uses, given = spent.get(o.id, (0, 0))
        if (
            (lim.max_uses is not None and uses >= lim.max_uses)
            or (lim.budget is not None and given >= lim.budget)
            or (
                lim.max_uses_per_customer
                and (customer_id is None or mine.get(o.id, 0) >= lim.max_uses_per_customer)
            )
        ):
            blocked.add(o.id)
    checks = []
    unlocked: dict[uuid.UUID, str] = {}
    seen: set[str] = set()
    for code in normalised:
        coupon = found.get(code)
        reason = _coupon_refusal(code, coupon, snap, seen, unlocked, spent, mine, customer_id, at)
        seen.add(code)
        if reason is not None or coupon is None:
            checks.append(CouponCheck(code, False, reason or Refusal.UNKNOWN))
            continue
        offer = snap.offer(coupon.promotion_id)
        if offer is None:  # pragma: no cover - _coupon_refusal said it exists
            continue
        unlocked[offer.id] = code
        checks.append(CouponCheck(code, True, None, coupon.id, offer.id, offer.code))
    return checks, unlocked, blocked


def _coupon_refusal(
    code: str,
    coupon: Coupon | None,
    snap: Snapshot,
    seen: set[str],
    unlocked: dict[uuid.UUID, str],
    spent: dict[uuid.UUID, tuple[int, int]],
    mine: dict[uuid.UUID, int],
    customer_id: uuid.UUID | None,
    at: datetime,
) -> Refusal | None:
    if code in seen:
        return Refusal.DUPLICATE
    if coupon is None:
        return Refusal.UNKNOWN
    offer = snap.offer(coupon.promotion_id)
    if offer is None:
        return Refusal.EXPIRED  # its promotion is archived
    if coupon.status == CouponStatus.REVOKED:
        return Refusal.REVOKED
    early = offer.refusal_in_time(at)
    if early is not None:
        return early
    if coupon_store.expired(coupon, at):
        return Refusal.EXPIRED
    if coupon.max_uses is not None and coupon.uses >= coupon.max_uses:
        return Refusal.EXHAUSTED
    lim = snap.limits[offer.id]
    uses, given = spent.get(offer.id, (0, 0))
    if (lim.max_uses is not None and uses >= lim.max_uses) or (
        lim.budget is not None and given >= lim.budget
    ):
        return Refusal.EXHAUSTED
    for subject, limit in (
        (coupon.id, coupon.max_uses_per_customer),
        (offer.id, lim.max_uses_per_customer),
    ):
        if limit:
            if customer_id is None:
                return Refusal.CUSTOMER_REQUIRED
            if mine.get(subject, 0) >= limit:
                return Refusal.CUSTOMER_LIMIT
    if offer.id in unlocked:
        return Refusal.DUPLICATE
    return None


_usage_t: Table = PromotionUsage.__table__  # type: ignore[assignment]
_customer_t: Table = CustomerUsage.__table__  # type: ignore[assignment]


@lru_cache(maxsize=4)
def _usage_query(dialect: str) -> Select[Any]:
    return select(_usage_t.c.promotion_id, _usage_t.c.uses, _usage_t.c.spent).where(
        any_id(dialect, _usage_t.c.promotion_id, id_list("ids"))
    )


@lru_cache(maxsize=4)
def _customer_usage_query(dialect: str) -> Select[Any]:
    return select(_customer_t.c.subject_id, _customer_t.c.uses).where(
        _customer_t.c.customer_id == bindparam("customer"),
        any_id(dialect, _customer_t.c.subject_id, id_list("ids")),
    )


def _usage(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    if not ids:
        return {}
    conn = session.connection()
    rows = conn.execute(_usage_query(conn.dialect.name), {"ids": ids})
    return {r[0]: (r[1], r[2]) for r in rows}


def _customer_usage(
    session: Session, ids: list[uuid.UUID], customer_id: uuid.UUID | None
) -> dict[uuid.UUID, int]:
    if not ids or customer_id is None:
        return {}
    conn = session.connection()
    query = _customer_usage_query(conn.dialect.name)
    rows = conn.execute(query, {"customer": customer_id, "ids": ids})
    return {r[0]: r[1] for r in rows}
