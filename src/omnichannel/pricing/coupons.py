"""Coupon codes: issued by hand or generated in batches for a promotion that needs
one, single-use or multi-use, limited per customer, revoked at any time."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from omnichannel.db import record_event
from omnichannel.kernel import new_id, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing.errors import CouponCodeTaken, CouponNotFound, field_error
from omnichannel.pricing.models import Coupon, Promotion
from omnichannel.pricing.promotions import get_promotion
from omnichannel.pricing.rules import COUPON_ALPHABET, CouponStatus, normalise_coupon
from omnichannel.pricing.schemas import CouponIssue, CouponUpdate

_ATTEMPTS = 5


def _touch(session: Session, p: Promotion, change: str, **extra: object) -> None:
    """Coupons belong to their promotion: its version moves and it records the change."""
    p.updated_at = utcnow()
    session.flush()
    record_event(
        session,
        aggregate_type="promotion",
        aggregate_id=p.id,
        sequence=p.version,
        type="pricing.promotion_changed",
        payload={"id": str(p.id), "code": p.code, "change": change, **extra},
    )


def _taken(session: Session, codes: Iterable[str]) -> set[str]:
    wanted = list(set(codes))
    found: set[str] = set()
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        found |= set(session.scalars(select(Coupon.code).where(Coupon.code.in_(chunk))))
    return found


def generate_codes(count: int, *, prefix: str = "", length: int = 10) -> list[str]:
    """Random codes from an alphabet without look-alike characters (no 0/O, 1/I)."""
    return [
        prefix.upper() + "".join(secrets.choice(COUPON_ALPHABET) for _ in range(length))
        for _ in range(count)
    ]


def issue_coupons(
    session: Session, *, promotion_id: uuid.UUID, data: CouponIssue
) -> tuple[Promotion, list[str]]:
    """Issue the given codes, or generate `data.generate` new ones, for a promotion."""
    p = get_promotion(session, promotion_id=promotion_id)
    if not p.requires_coupon:
        raise InvalidInput(
            f"Promotion {p.code} applies without a coupon; coupons would change nothing.",
            errors=[field_error("promotion_id", "does not need coupons", "coupon_not_needed")],
        )
    if data.codes is not None:
        codes = [normalise_coupon(c) for c in data.codes]
        errors = [
            field_error(f"codes.{i}", f"same as codes.{codes.index(c)}", "duplicate")
            for i, c in enumerate(codes)
            if codes.index(c) != i
        ]
        if errors:
            raise InvalidInput("Some codes are given twice.", errors=errors)
        taken = _taken(session, codes)
        if taken:
            raise CouponCodeTaken(
                f"{len(taken)} code(s) already exist.",
                errors=[
                    field_error(f"codes.{i}", "already in use", "duplicate")
                    for i, c in enumerate(codes)
                    if c in taken
                ],
            )
    else:
        codes = _fresh(session, data.generate or 0, data.prefix, data.length)
    now = utcnow()
    session.execute(
        insert(Coupon),
        [
            {
                "id": new_id(),
                "promotion_id": p.id,
                "code": code,
                "batch": data.batch,
                "max_uses": data.max_uses,
                "max_uses_per_customer": data.max_uses_per_customer,
                "uses": 0,
                "status": CouponStatus.ACTIVE.value,
                "expires_at": data.expires_at,
                "created_at": now,
            }
            for code in codes
        ],
    )
    _touch(session, p, "coupons_issued", count=len(codes), batch=data.batch)
    return p, codes


def _fresh(session: Session, count: int, prefix: str, length: int) -> list[str]:
    codes = list(dict.fromkeys(generate_codes(count, prefix=prefix, length=length)))
    for _ in range(_ATTEMPTS):
        taken = _taken(session, codes)
        codes = [c for c in codes if c not in taken]
        if len(codes) == count:
            return codes
        extra = generate_codes(count - len(codes), prefix=prefix, length=length)
        codes = list(dict.fromkeys(codes + extra))
    raise InvalidInput(
        "Could not generate enough distinct codes; use a longer length.",
        errors=[field_error("length", "too short for this many codes", "too_short")],
    )


def list_coupons(
    session: Session,
    *,
    promotion_id: uuid.UUID,
    after: uuid.UUID | None = None,
    limit: int = 50,
    batch: str | None = None,
) -> list[Coupon]:
    """A promotion's coupons in issue order, `limit + 1` of them."""
    get_promotion(session, promotion_id=promotion_id)
    stmt = select(Coupon).where(Coupon.promotion_id == promotion_id).order_by(Coupon.id)
    if after is not None:
        stmt = stmt.where(Coupon.id > after)
    if batch is not None:
        stmt = stmt.where(Coupon.batch == batch)
    return list(session.scalars(stmt.limit(limit + 1)))


def get_coupon(session: Session, *, code: str) -> Coupon:
    """A coupon by its code (any case); 404 if unknown."""
    c = session.scalar(select(Coupon).where(Coupon.code == normalise_coupon(code)))
    if c is None:
        raise CouponNotFound(f"No coupon has the code {code!r}.")
    return c


def update_coupon(session: Session, *, code: str, data: CouponUpdate) -> Coupon:
    """Revoke, re-activate or re-date a coupon."""
    c = get_coupon(session, code=code)
    fields = data.model_dump(exclude_unset=True)
    if data.status is not None:
        c.status = data.status.value
    if "expires_at" in fields:
        c.expires_at = data.expires_at
    if not session.is_modified(c):
        return c
    session.flush()
    _touch(
        session,
        get_promotion(session, promotion_id=c.promotion_id),
        "coupon_updated",
        coupon=c.code,
        status=c.status,
    )
    return c


def coupons_by_code(session: Session, *, codes: Sequence[str]) -> dict[str, Coupon]:
    """The coupons with these (normalised) codes that exist: one query."""
    if not codes:
        return {}
    return {c.code: c for c in session.scalars(select(Coupon).where(Coupon.code.in_(list(codes))))}


def expired(c: Coupon, at: datetime) -> bool:
    return c.expires_at is not None and c.expires_at <= at
