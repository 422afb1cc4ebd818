"""Prices to show on a product page or a listing: the list price, the price after
automatic promotions, and — for every variant on promotion — the lowest price of the
30 days before the reduction (the EU Omnibus rule), the same in every channel."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.kernel import NotFound, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing import history, snapshot
from omnichannel.pricing.engine import price
from omnichannel.pricing.errors import field_error
from omnichannel.pricing.offers import Cart
from omnichannel.pricing.prices import prices_at
from omnichannel.pricing.quoting import Item, units_of

MAX_VARIANTS = 100


@dataclass(frozen=True, slots=True)
class DisplayPrice:
    variant_id: uuid.UUID
    sku: str
    currency: str
    price_list: str | None  # None: not priced in this currency
    list_price: int | None  # the unit price of the winning list
    price: int | None  # after automatic item promotions
    base_price: int | None  # the base list's, when another list won
    promotions: tuple[str, ...]
    on_promotion: bool
    lowest_price_30d: int | None
    reduction_started_at: datetime | None


def display_prices(
    session: Session,
    *,
    variant_ids: Sequence[uuid.UUID],
    currency: str = "PLN",
    segments: Sequence[str] = (),
    channel: str | None = None,
    at: datetime | None = None,
) -> list[DisplayPrice]:
    """What to show for each variant, in the order asked; 422 for unknown variants."""
    at = at or utcnow()
    if not variant_ids or len(variant_ids) > MAX_VARIANTS:
        raise InvalidInput(
            f"Ask for 1 to {MAX_VARIANTS} variants.",
            errors=[field_error("variant_id", f"1 to {MAX_VARIANTS} ids", "length")],
        )
    snap = snapshot.current(session)
    base = snap.base_list(currency)
    if base is None:
        raise InvalidInput(
            f"There is no active base price list in {currency}.",
            errors=[
                field_error("currency", f"nothing is priced in {currency}", "unpriced_currency")
            ],
        )
    wanted = frozenset(segments)
    lists = snap.lists_for(currency=currency, segments=wanted, channel=channel)
    ids = list(dict.fromkeys(variant_ids))
    facts = catalog.pricing_facts(session, variant_ids=ids)
    unknown = [
        field_error(f"variant_id.{i}", "no such variant", "unknown_variant")
        for i, v in enumerate(variant_ids)
        if v not in facts
    ]
    if unknown:
        raise InvalidInput("Some variants do not exist.", errors=unknown)
    prices = prices_at(session, list_ids=[x.id for x in lists], variant_ids=ids, at=at)
    by_code = {x.code: x for x in lists}
    offers = history.shelf_offers(snap, at)
    found: dict[uuid.UUID, tuple[str, int, int, tuple[str, ...], int | None]] = {}
    for v in ids:
        units, problems = units_of([Item(v, 1)], lists, base, prices, facts, currency)
        if problems:
            continue
        unit = units[0]
        cart = Cart(currency, (unit.line,), at, segments=wanted, channel=channel)
        priced = price(cart, offers)
        codes = tuple(a.offer.code for a in priced.applied)
        found[v] = (unit.list_code, unit.line.unit_price, priced.total, codes, unit.base_price)
    pairs = [(by_code[f[0]].id, v) for v, f in found.items()]
    past = history.entries(session, pairs=pairs, until=at)
    out = []
    for v in variant_ids:
        f = facts[v]
        if v not in found:
            out.append(
                DisplayPrice(v, f.sku, currency, None, None, None, None, (), False, None, None)
            )
            continue
        list_code, list_price, shelf, codes, base_price = found[v]
        steps = past.get((by_code[list_code].id, v), [])
        ref = history.omnibus_of(steps, at)
        lowest, started = ref.lowest_30d, ref.reduction_started_at
        on_promotion = shelf < list_price
        if on_promotion and started is None:
            # Reduced for this customer's segments but not on the list's own shelf: the
            # reference is the lowest price the list showed in the last 30 days.
            lowest = history.lowest_in_window(steps, at)
        out.append(
            DisplayPrice(
                v,
                f.sku,
                currency,
                list_code,
                list_price,
                shelf,
                base_price,
                codes,
                on_promotion,
                lowest if on_promotion else None,
                started if on_promotion else None,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class HistoryRow:
    price_list: str
    currency: str
    starts_at: datetime
    list_price: int | None
    price: int | None


def price_history(
    session: Session, *, variant_id: uuid.UUID, currency: str | None = None
) -> list[HistoryRow]:
    """Everything recorded for a variant, per list, oldest first (scheduled rows too)."""
    if not catalog.existing_variant_ids(session, variant_ids=[variant_id]):
        raise NotFound(f"Variant {variant_id} does not exist.")
    snap = snapshot.current(session)
    lists = [x for x in snap.lists.values() if currency is None or x.currency == currency]
    found = history.entries(session, pairs=[(x.id, variant_id) for x in lists])
    out = [
        HistoryRow(x.code, x.currency, e.starts_at, e.list_amount, e.amount)
        for x in sorted(lists, key=lambda i: i.code)
        for e in found.get((x.id, variant_id), [])
    ]
    return out
