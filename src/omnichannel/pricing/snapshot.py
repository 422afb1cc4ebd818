"""Price lists and promotions, cached per worker process.

Every quote reads them, and they change a few times a day. So each process keeps
them in memory, keyed by the token of the `pricing_state` row; every change of a list
or a promotion replaces that token in its own transaction (`bump`). A quote reads the
token (one primary-key lookup) and uses the cached snapshot only if the token is the
same, so no worker ever prices with a list or promotion that has changed since.

Tokens are random, not counters: a rolled-back change can never make a stale
snapshot look current again.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from omnichannel.kernel import new_id, utcnow
from omnichannel.pricing.models import PriceList, PricingState, Promotion
from omnichannel.pricing.offers import Offer, Targets
from omnichannel.pricing.rules import BP, ListKind, ListStatus, PromotionKind, PromotionStatus
from omnichannel.pricing.rules import Stacking as StackingKind

_state: Table = PricingState.__table__  # type: ignore[assignment]
_KEEP = 4  # snapshots kept per process (several databases in tests and benchmarks)


@dataclass(frozen=True, slots=True)
class ListInfo:
    id: uuid.UUID
    code: str
    currency: str
    kind: ListKind
    segment: str | None
    channel: str | None
    priority: int
    active: bool

    @property
    def rank(self) -> tuple[int, int, str]:
        """Winning order: overrides and segments by priority, the base list last."""
        return (1 if self.kind is ListKind.BASE else 0, -self.priority, self.code)


@dataclass(frozen=True, slots=True)
class Limits:
    max_uses: int | None
    max_uses_per_customer: int | None
    budget: int | None

    @property
    def counted(self) -> bool:
        return self.max_uses is not None or self.budget is not None


@dataclass(frozen=True, slots=True)
class Snapshot:
    token: uuid.UUID | None
    lists: dict[uuid.UUID, ListInfo]
    offers: tuple[Offer, ...]  # every promotion not archived, active or paused
    limits: dict[uuid.UUID, Limits]
    loaded_at: datetime

    def base_list(self, currency: str) -> ListInfo | None:
        for info in self.lists.values():
            if info.kind is ListKind.BASE and info.active and info.currency == currency:
                return info
        return None

    def lists_for(
        self, *, currency: str, segments: Iterable[str], channel: str | None
    ) -> list[ListInfo]:
        """The active lists that apply, the one that wins first."""
        wanted = set(segments)
        found = [
            info
            for info in self.lists.values()
            if info.active
            and info.currency == currency
            and (
                info.kind is ListKind.BASE
                or (info.kind is ListKind.SEGMENT and info.segment in wanted)
                or (
                    info.kind is ListKind.CHANNEL
                    and channel is not None
                    and info.channel == channel
                )
            )
        ]
        return sorted(found, key=lambda i: i.rank)

    def offer(self, promotion_id: uuid.UUID) -> Offer | None:
        return next((o for o in self.offers if o.id == promotion_id), None)

    @property
    def segments(self) -> list[str]:
        """Every segment code a list or promotion names."""
        names = {i.segment for i in self.lists.values() if i.segment}
        for o in self.offers:
            names |= o.segments
        return sorted(names)


_cache: dict[uuid.UUID, Snapshot] = {}
_lock = threading.Lock()
_TOKEN = select(_state.c.token).where(_state.c.id == 1)


def current(session: Session) -> Snapshot:
    """The lists and promotions as of this transaction: cached while the token holds."""
    return of_token(session, session.connection().execute(_TOKEN).scalar())


def of_token(session: Session, token: uuid.UUID | None) -> Snapshot:
    """The snapshot for a token this transaction read (the quote reads it together
    with the prices): from the cache, or loaded and cached."""
    if token is not None:
        found = _cache.get(token)
        if found is not None:
            return found
    snap = _load(session, token)
    if token is not None:
        with _lock:
            while len(_cache) >= _KEEP:
                _cache.pop(next(iter(_cache)))
            _cache[token] = snap
    return snap


def bump(session: Session) -> None:
    """Mark lists or promotions changed, in the caller's transaction."""
    values = {"token": new_id(), "changes": _state.c.changes + 1, "updated_at": utcnow()}
    stmt = update(_state).where(_state.c.id == 1).values(**values)
    if session.execute(stmt).rowcount:  # type: ignore[attr-defined]
        return
    # The row is gone (a fresh or emptied database): create it, then take it as usual so
    # two first writers still queue on it.
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_state)
    row = {"id": 1, "token": new_id(), "changes": 0, "updated_at": utcnow()}
    session.execute(ins.values(**row).on_conflict_do_nothing())
    session.execute(stmt)


def _ids(raw: object) -> frozenset[uuid.UUID]:
    if not isinstance(raw, list):
        return frozenset()
    return frozenset(uuid.UUID(str(x)) for x in raw)


def targets_of(raw: dict[str, object]) -> Targets:
    return Targets(
        variant_ids=_ids(raw.get("variant_ids")),
        product_ids=_ids(raw.get("product_ids")),
        category_ids=_ids(raw.get("category_ids")),
        brand_ids=_ids(raw.get("brand_ids")),
    )


def offer_of(p: Promotion) -> Offer:
    """The engine's view of a promotion row."""
    kind = PromotionKind(p.kind)
    percent = p.percent_bp or 0
    if kind is PromotionKind.BUY_X_GET_Y and not percent:
        percent = BP
    return Offer(
        id=p.id,
        code=p.code,
        name=p.name,
        kind=kind,
        stacking=StackingKind(p.stacking),
        priority=p.priority,
        targets=targets_of(p.targets or {}),
        percent_bp=percent,
        amount=p.amount or 0,
        threshold=p.threshold or 0,
        buy=p.buy_quantity or 0,
        get=p.get_quantity or 0,
        bundle_size=p.bundle_size or 0,
        bundle_price=p.bundle_price or 0,
        currency=p.currency,
        segments=frozenset(p.segments or ()),
        channels=frozenset(p.channels or ()),
        starts_at=p.starts_at,
        ends_at=p.ends_at,
        requires_coupon=p.requires_coupon,
        active=p.status == PromotionStatus.ACTIVE,
    )


def _load(session: Session, token: uuid.UUID | None) -> Snapshot:
    lists = {
        pl.id: ListInfo(
            id=pl.id,
            code=pl.code,
            currency=pl.currency,
            kind=ListKind(pl.kind),
            segment=pl.segment,
            channel=pl.channel,
            priority=pl.priority,
            active=pl.status == ListStatus.ACTIVE,
        )
        for pl in session.scalars(select(PriceList))
    }
    rows = list(
        session.scalars(
            select(Promotion)
            .where(Promotion.status != PromotionStatus.ARCHIVED.value)
            .order_by(Promotion.code)
        )
    )
    return Snapshot(
        token=token,
        lists=lists,
        offers=tuple(offer_of(p) for p in rows),
        limits={p.id: Limits(p.max_uses, p.max_uses_per_customer, p.budget) for p in rows},
        loaded_at=utcnow(),
    )
