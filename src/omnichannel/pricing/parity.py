"""Channel parity: the same customer must get the same price in every channel.

The report prices a deterministic sample of carts — random ones, plus carts built from
what every channel override touches — for everybody and for each segment, once
without a channel and once per channel, and lists every line whose price or discount
differs, with its cause. Only an explicitly configured override (a channel price list,
a promotion limited to channels) can cause one, so without overrides the report is
empty. Coupons and usage limits do not depend on the channel and are left out.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.channels import service as channels_service
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing import snapshot
from omnichannel.pricing.engine import Priced, price
from omnichannel.pricing.errors import field_error
from omnichannel.pricing.models import Price
from omnichannel.pricing.offers import Cart, Line
from omnichannel.pricing.prices import prices_at
from omnichannel.pricing.quoting import Item, Unit, units_of
from omnichannel.pricing.rules import ListKind, money_text, vat_for
from omnichannel.pricing.snapshot import ListInfo, Snapshot

if TYPE_CHECKING:
    from omnichannel.catalog.service import VariantFacts

POOL = 400  # variants the random carts are drawn from


@dataclass(frozen=True, slots=True)
class Override:
    kind: str  # price_list | promotion
    code: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Difference:
    channel: str
    segments: tuple[str, ...]
    cart: tuple[str, ...]  # SKUs x quantity, e.g. "TS-0001-BLK-M x2"
    sku: str
    field: str  # unit_price | discount
    reference: int  # without a channel
    value: int  # in this channel
    cause: str


@dataclass(frozen=True, slots=True)
class ParityReport:
    at: datetime
    currency: str
    channels: tuple[str, ...]
    carts: int
    quotes: int
    overrides: tuple[Override, ...]
    differences: tuple[Difference, ...]


def overrides(snap: Snapshot, currency: str) -> list[Override]:
    """Every configured channel override: channel price lists and channel-limited promotions."""
    out = [
        Override("price_list", x.code, (x.channel,))
        for x in sorted(snap.lists.values(), key=lambda i: i.code)
        if x.kind is ListKind.CHANNEL and x.active and x.currency == currency and x.channel
    ]
    out += [
        Override("promotion", o.code, tuple(sorted(o.channels)))
        for o in snap.offers
        if o.channels and o.active
    ]
    return out


def parity(
    session: Session,
    *,
    currency: str = "PLN",
    at: datetime | None = None,
    carts: int = 20,
    seed: int = 2026,
) -> ParityReport:
    """Quote a sample of carts in every channel and list every difference with its cause."""
    at = at or utcnow()
    snap = snapshot.current(session)
    base = snap.base_list(currency)
    if base is None:
        raise InvalidInput(
            f"There is no active base price list in {currency}.",
            errors=[
                field_error("currency", f"nothing is priced in {currency}", "unpriced_currency")
            ],
        )
    found = overrides(snap, currency)
    names = {c.code for c in channels_service.list_channels(session) if c.status == "active"}
    names |= {ch for o in found for ch in o.channels}
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    priced_ids = _priced_in(session, base.id, at)
    pool = sorted(rng.sample(priced_ids, min(POOL, len(priced_ids))))
    channel_lists = [x for x in snap.lists.values() if x.kind is ListKind.CHANNEL and x.active]
    special = {x.id: _priced_in(session, x.id, at, limit=5) for x in channel_lists}
    ids = sorted(set(pool) | {v for vs in special.values() for v in vs})
    facts = catalog.pricing_facts(session, variant_ids=ids)
    active = [x for x in snap.lists.values() if x.active and x.currency == currency]
    prices = prices_at(session, list_ids=[x.id for x in active], variant_ids=ids, at=at)
    baskets = [
        [Item(v, rng.randint(1, 3)) for v in rng.sample(pool, min(rng.randint(1, 4), len(pool)))]
        for _ in range(carts if pool else 0)
    ]
    baskets += [[Item(v, 1) for v in vs if v in facts] for vs in special.values() if vs]
    for o in snap.offers:
        if o.channels:
            hits = [v for v in ids if v in facts and o.targets.match(_line(facts[v]))][:3]
            if hits:
                baskets.append([Item(v, max(o.buy + o.get, o.bundle_size, 1)) for v in hits])
    segment_sets = [()] + [(s,) for s in snap.segments]
    differences: list[Difference] = []
    quotes = 0
    for basket in baskets:
        for segs in segment_sets:
            reference = _price(snap, basket, base, prices, facts, currency, segs, None, at)
            quotes += 1
            if reference is None:
                continue
            for ch in sorted(names):
                other = _price(snap, basket, base, prices, facts, currency, segs, ch, at)
                quotes += 1
                if other is not None:
                    differences += _compare(snap, reference, other, ch, segs, currency)
    return ParityReport(
        at, currency, tuple(sorted(names)), len(baskets), quotes, tuple(found), tuple(differences)
    )


def _line(f: VariantFacts) -> Line:
    return Line(f.variant_id, 1, 0, vat_for(f.vat_class), f.product_id, f.brand_id, f.category_ids)


def _priced_in(
    session: Session, list_id: uuid.UUID, at: datetime, limit: int | None = None
) -> list[uuid.UUID]:
    stmt = (
        select(Price.variant_id)
        .where(
            Price.price_list_id == list_id,
            Price.amount.is_not(None),
            Price.valid_from <= at,
            or_(Price.valid_to.is_(None), Price.valid_to > at),
        )
        .order_by(Price.variant_id)
    )
    return list(session.scalars(stmt.limit(limit) if limit else stmt))


_Quoted = tuple[list[Unit], Priced]


def _price(
    snap: Snapshot,
    basket: list[Item],
    base: ListInfo,
    prices: dict[tuple[uuid.UUID, uuid.UUID], int | None],
    facts: dict[uuid.UUID, VariantFacts],
    currency: str,
    segments: tuple[str, ...],
    channel: str | None,
    at: datetime,
) -> _Quoted | None:
    lists = snap.lists_for(currency=currency, segments=segments, channel=channel)
    units, problems = units_of(basket, lists, base, prices, facts, currency)
    if problems or not units:
        return None
    cart = Cart(currency, tuple(u.line for u in units), at, frozenset(segments), channel)
    offers = [o for o in snap.offers if not o.requires_coupon]
    return units, price(cart, offers)


def _compare(
    snap: Snapshot,
    reference: _Quoted,
    other: _Quoted,
    channel: str,
    segments: tuple[str, ...],
    currency: str,
) -> list[Difference]:
    ref_units, ref = reference
    units, priced = other
    cart = tuple(f"{u.sku} x{u.line.quantity}" for u in ref_units)
    out = []
    for ru, u, rl, pl in zip(ref_units, units, ref.lines, priced.lines, strict=True):
        if ru.line.unit_price != u.line.unit_price:
            cause = (
                f"price list {u.list_code} (override for channel {channel}) sets "
                f"{money_text(u.line.unit_price, currency)} instead of "
                f"{money_text(ru.line.unit_price, currency)} from {ru.list_code}"
            )
            out.append(
                Difference(
                    channel,
                    segments,
                    cart,
                    u.sku,
                    "unit_price",
                    ru.line.unit_price,
                    u.line.unit_price,
                    cause,
                )
            )
        if rl.discount != pl.discount:
            out.append(
                Difference(
                    channel,
                    segments,
                    cart,
                    u.sku,
                    "discount",
                    rl.discount,
                    pl.discount,
                    _discount_cause(snap, rl.discounts, pl.discounts, channel),
                )
            )
    return out


def _discount_cause(
    snap: Snapshot,
    reference: tuple[tuple[uuid.UUID, int], ...],
    other: tuple[tuple[uuid.UUID, int], ...],
    channel: str,
) -> str:
    ref_ids = {i for i, _ in reference}
    ids = {i for i, _ in other}
    limited = [o for o in snap.offers if o.channels and (o.id in ids or o.id in ref_ids)]
    if limited:
        names = ", ".join(f"{o.code} (only in {', '.join(sorted(o.channels))})" for o in limited)
        return f"channel-limited promotion {names} applies differently in channel {channel}"
    return f"the channel's own price list changes which promotions apply in channel {channel}"
