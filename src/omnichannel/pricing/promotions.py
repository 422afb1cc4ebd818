"""Promotion use cases: create, change, pause, archive; and how much each was used.

A promotion is an aggregate root: its version is its ETag and the sequence of its
`pricing.promotion_changed` events (coupons belong to it, so issuing or revoking them
moves it too). Every change also replaces the pricing token, so every worker's cached
promotions are refreshed, and recomputes the price history of the variants whose
shelf price it may move.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.db import record_event
from omnichannel.kernel import new_id, utcnow
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed
from omnichannel.pricing import history, snapshot
from omnichannel.pricing.errors import (
    PromotionArchived,
    PromotionCodeTaken,
    PromotionNotFound,
    field_error,
)
from omnichannel.pricing.models import Promotion, PromotionUsage, Redemption
from omnichannel.pricing.offers import ITEM, Line, Offer, Targets
from omnichannel.pricing.prices import priced_variant_ids
from omnichannel.pricing.rules import (
    PromotionKind,
    PromotionStatus,
    Stacking,
    percent_to_bp,
    promotion_problems,
    vat_for,
)
from omnichannel.pricing.schemas import PromotionCreate, PromotionUpdate, TargetsIn

# Fields of PromotionUpdate that may be cleared with an explicit null.
_CLEARABLE = {
    "description",
    "percent",
    "amount",
    "threshold",
    "buy_quantity",
    "get_quantity",
    "bundle_size",
    "bundle_price",
    "ends_at",
    "max_uses",
    "max_uses_per_customer",
    "budget",
}


def _targets_doc(t: TargetsIn | None) -> dict[str, list[str]]:
    if t is None:
        return {}
    doc = {
        "variant_ids": [str(x) for x in dict.fromkeys(t.variant_ids)],
        "product_ids": [str(x) for x in dict.fromkeys(t.product_ids)],
        "category_ids": [str(x) for x in dict.fromkeys(t.category_ids)],
        "brand_ids": [str(x) for x in dict.fromkeys(t.brand_ids)],
    }
    return {k: v for k, v in doc.items() if v}


def _check_targets(session: Session, t: TargetsIn | None) -> None:
    if t is None:
        return

    variants = catalog.existing_variant_ids(session, variant_ids=t.variant_ids)
    products, categories, brands = catalog.existing_ids(
        session, product_ids=t.product_ids, category_ids=t.category_ids, brand_ids=t.brand_ids
    )
    errors = []
    for name, asked, found in (
        ("variant_ids", t.variant_ids, variants),
        ("product_ids", t.product_ids, products),
        ("category_ids", t.category_ids, categories),
        ("brand_ids", t.brand_ids, brands),
    ):
        for i, x in enumerate(asked):
            if x not in found:
                errors.append(
                    field_error(
                        f"targets.{name}.{i}", f"no such {name[:-4]}", f"unknown_{name[:-4]}"
                    )
                )
    if errors:
        raise InvalidInput("Some targets do not exist.", errors=errors)


def _check(p: Promotion) -> None:
    values: dict[str, object] = {
        name: getattr(p, name)
        for name in (
            "percent_bp",
            "amount",
            "threshold",
            "buy_quantity",
            "get_quantity",
            "bundle_size",
            "bundle_price",
            "currency",
            "budget",
            "starts_at",
            "ends_at",
        )
    }
    problems = promotion_problems(PromotionKind(p.kind), values)
    if problems:
        raise InvalidInput(
            f"The promotion's parameters do not fit a {p.kind} promotion.",
            errors=[field_error(x.field, x.message, x.type) for x in problems],
        )


def _event(session: Session, p: Promotion, change: str, **extra: Any) -> None:
    record_event(
        session,
        aggregate_type="promotion",
        aggregate_id=p.id,
        sequence=p.version,
        type="pricing.promotion_changed",
        payload={
            "id": str(p.id),
            "code": p.code,
            "kind": p.kind,
            "status": p.status,
            "change": change,
            "starts_at": p.starts_at.isoformat(),
            "ends_at": p.ends_at.isoformat() if p.ends_at else None,
            **extra,
        },
    )


def _moves_shelf_prices(offer: Offer | None) -> bool:
    return offer is not None and offer.kind in ITEM and not offer.requires_coupon


def _reprice_history(
    session: Session, before: Offer | None, after: Offer | None, now: datetime
) -> None:
    """Recompute the history of the variants an item promotion touched or touches."""
    if not (_moves_shelf_prices(before) or _moves_shelf_prices(after)):
        return

    targets = [o.targets for o in (before, after) if o is not None]
    if all(t.variant_ids and not (t.product_ids or t.category_ids or t.brand_ids) for t in targets):
        variants = sorted(set().union(*(t.variant_ids for t in targets)))
    else:
        variants = priced_variant_ids(session, now=now)
        facts = catalog.pricing_facts(session, variant_ids=variants)
        variants = [v for v in variants if v in facts and _any_match(targets, facts[v])]
    snap = snapshot.current(session)
    history.refresh(session, snap=snap, list_ids=list(snap.lists), variant_ids=variants, now=now)


def _any_match(targets: list[Targets], facts: Any) -> bool:
    line = Line(
        facts.variant_id,
        1,
        0,
        vat_for(facts.vat_class),
        facts.product_id,
        facts.brand_id,
        facts.category_ids,
    )
    return any(t.match(line) for t in targets)


def create_promotion(
    session: Session, *, data: PromotionCreate, now: datetime | None = None
) -> Promotion:
    """Add a promotion (it starts now unless `starts_at` says otherwise)."""
    now = now or utcnow()
    if session.scalar(select(Promotion.id).where(Promotion.code == data.code)) is not None:
        raise PromotionCodeTaken(
            f"A promotion with code {data.code} already exists.",
            errors=[field_error("code", "already in use", "duplicate")],
        )
    _check_targets(session, data.targets)
    p = Promotion(
        id=new_id(),
        code=data.code,
        name=data.name,
        description=data.description,
        kind=data.kind.value,
        status=PromotionStatus.ACTIVE.value,
        stacking=(data.stacking or Stacking.COMBINABLE).value,
        priority=data.priority or 0,
        percent_bp=percent_to_bp(data.percent) if data.percent is not None else None,
        amount=data.amount,
        threshold=data.threshold,
        buy_quantity=data.buy_quantity,
        get_quantity=data.get_quantity,
        bundle_size=data.bundle_size,
        bundle_price=data.bundle_price,
        currency=data.currency,
        targets=_targets_doc(data.targets),
        segments=sorted(set(data.segments or [])),
        channels=sorted(set(data.channels or [])),
        starts_at=data.starts_at or now,
        ends_at=data.ends_at,
        requires_coupon=data.requires_coupon,
        max_uses=data.max_uses,
        max_uses_per_customer=data.max_uses_per_customer,
        budget=data.budget,
    )
    _check(p)
    session.add(p)
    session.flush()
    session.execute(insert(PromotionUsage), [{"promotion_id": p.id, "uses": 0, "spent": 0}])
    snapshot.bump(session)
    _event(session, p, "created")
    _reprice_history(session, None, snapshot.offer_of(p), now)
    return p


def get_promotion(session: Session, *, promotion_id: uuid.UUID) -> Promotion:
    """One promotion; 404 if unknown."""
    p = session.get(Promotion, promotion_id)
    if p is None:
        raise PromotionNotFound(f"Promotion {promotion_id} does not exist.")
    return p


def find_promotion(session: Session, *, code: str) -> Promotion | None:
    """A promotion by its code."""
    return session.scalar(select(Promotion).where(Promotion.code == code))


def list_promotions(
    session: Session,
    *,
    after: uuid.UUID | None = None,
    limit: int = 50,
    status: PromotionStatus | None = None,
    kind: PromotionKind | None = None,
) -> list[Promotion]:
    """Promotions in id (creation) order, `limit + 1` of them."""
    stmt = select(Promotion).order_by(Promotion.id)
    if after is not None:
        stmt = stmt.where(Promotion.id > after)
    if status is not None:
        stmt = stmt.where(Promotion.status == status.value)
    if kind is not None:
        stmt = stmt.where(Promotion.kind == kind.value)
    return list(session.scalars(stmt.limit(limit + 1)))


def usage(session: Session, *, promotion_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """(redemptions, minor units given away) per promotion, from the redemption ledger."""
    if not promotion_ids:
        return {}
    rows = session.execute(
        select(Redemption.promotion_id, func.count(), func.coalesce(func.sum(Redemption.amount), 0))
        .where(Redemption.promotion_id.in_(promotion_ids))
        .group_by(Redemption.promotion_id)
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def update_promotion(
    session: Session,
    *,
    promotion_id: uuid.UUID,
    data: PromotionUpdate,
    if_version: int | None = None,
    now: datetime | None = None,
) -> Promotion:
    """Change, pause, resume or archive a promotion; an archived one is final."""
    now = now or utcnow()
    p = get_promotion(session, promotion_id=promotion_id)
    if if_version is not None and if_version != p.version:
        raise PreconditionFailed(f"Promotion {p.code} is at version {p.version}, not {if_version}.")
    if p.status == PromotionStatus.ARCHIVED:
        raise PromotionArchived(f"Promotion {p.code} is archived; create a new one instead.")
    before = snapshot.offer_of(p)
    fields = data.model_dump(exclude_unset=True)
    if "targets" in fields:
        _check_targets(session, data.targets)
    for name, value in fields.items():
        if value is None and name not in _CLEARABLE:
            continue  # required fields: null means "leave as is"
        if name == "percent":
            p.percent_bp = percent_to_bp(data.percent) if data.percent is not None else None
        elif name == "targets":
            p.targets = _targets_doc(data.targets)
        elif name in ("segments", "channels"):
            setattr(p, name, sorted(set(value)))
        elif name in ("status", "stacking"):
            setattr(p, name, str(getattr(data, name).value))
        else:
            setattr(p, name, value)
    _check(p)
    if not session.is_modified(p):
        return p
    p.updated_at = utcnow()
    session.flush()
    snapshot.bump(session)
    change = "archived" if p.status == PromotionStatus.ARCHIVED else "updated"
    _event(session, p, change)
    after = None if p.status == PromotionStatus.ARCHIVED else snapshot.offer_of(p)
    _reprice_history(session, before, after, now)
    return p
