"""The price history behind the EU Omnibus rule (Polish consumer law, art. 4 ust. 2 of
the price-display act): when a price is reduced, show the lowest price of the 30 days
before the reduction.

The history records, per price list and variant, what the list's customers were
asked to pay: the list price and the *shelf price* (after automatic item promotions:
percentages and amounts off, no coupon, no threshold, no per-customer limit). Every
change of a price or a promotion recomputes the history from now on for the variants
it touches, scheduled changes included; rows that started in the past are never
rewritten, so the history says what was shown, whatever is edited later.

A variant is *on promotion* while its shelf price is below its list price. The
reduction started where the current unbroken run of reduced rows began; the
reference price is the lowest shelf price in the 30 days before that.

Known limit: a promotion that ends early because its usage limit or budget ran out
stays in the history until its end date, so the reference price can only be lower
than the truth, never higher (the safe side for the customer).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, insert, or_, select, tuple_
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.pricing.engine import price
from omnichannel.pricing.models import Price, PriceHistory
from omnichannel.pricing.offers import ITEM, Cart, Line, Offer
from omnichannel.pricing.rules import vat_for
from omnichannel.pricing.snapshot import ListInfo, Snapshot

OMNIBUS_WINDOW = timedelta(days=30)
_CHUNK = 1000

_history: Table = PriceHistory.__table__  # type: ignore[assignment]
_prices: Table = Price.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Omnibus:
    lowest_30d: int | None  # the reference price; None when nothing was recorded before
    reduction_started_at: datetime | None  # None when not on promotion


@dataclass(frozen=True, slots=True)
class Entry:
    starts_at: datetime
    list_amount: int | None
    amount: int | None

    @property
    def reduced(self) -> bool:
        return (
            self.amount is not None
            and self.list_amount is not None
            and self.amount < self.list_amount
        )


def shelf_offers(snap: Snapshot, at: datetime) -> list[Offer]:
    """Offers that change the price on the shelf: automatic item promotions, for
    everybody who can see the list, not finished by `at`."""
    return [
        o
        for o in snap.offers
        if o.kind in ITEM
        and not o.requires_coupon
        and o.active
        and (o.ends_at is None or o.ends_at > at)
        and not (snap.limits[o.id].max_uses_per_customer)
    ]


def shelf_price(info: ListInfo, line: Line, offers: Sequence[Offer], at: datetime) -> int:
    """The price of one unit under the automatic item promotions at `at`."""
    cart = Cart(
        currency=info.currency,
        lines=(line,),
        at=at,
        segments=frozenset({info.segment}) if info.segment else frozenset(),
        channel=info.channel,
    )
    return price(cart, offers).lines[0].total


def refresh(
    session: Session,
    *,
    snap: Snapshot,
    list_ids: Sequence[uuid.UUID],
    variant_ids: Sequence[uuid.UUID],
    now: datetime,
) -> None:
    """Recompute the history of these lists and variants from `now` on."""
    lists = [snap.lists[i] for i in list_ids if i in snap.lists]
    offers = shelf_offers(snap, now)
    for start in range(0, len(variant_ids), _CHUNK):
        chunk = list(variant_ids[start : start + _CHUNK])
        facts = catalog.pricing_facts(session, variant_ids=chunk)
        timelines = _timelines(session, [i.id for i in lists], chunk, now)
        last = _last_before(session, [i.id for i in lists], chunk, now)
        rows = []
        for info in lists:
            for v in chunk:
                f = facts.get(v)
                steps = timelines.get((info.id, v), [])
                if f is None or not steps:
                    continue
                line = Line(v, 1, 0, vat_for(f.vat_class), f.product_id, f.brand_id, f.category_ids)
                mine = [o for o in offers if o.targets.match(line)]
                points = {now} | {t for t, _ in steps if t > now}
                for o in mine:
                    points |= {t for t in (o.starts_at, o.ends_at) if t is not None and t > now}
                previous = last.get((info.id, v))
                for t in sorted(points):
                    list_amount = _at(steps, t)
                    amount = None
                    if list_amount is not None:
                        amount = shelf_price(info, _priced(line, list_amount), mine, t)
                    entry = Entry(t, list_amount, amount)
                    if previous is not None and (previous.list_amount, previous.amount) == (
                        list_amount,
                        amount,
                    ):
                        continue
                    rows.append(
                        {
                            "price_list_id": info.id,
                            "variant_id": v,
                            "starts_at": t,
                            "list_amount": list_amount,
                            "amount": amount,
                        }
                    )
                    previous = entry
        session.execute(
            delete(_history).where(
                _history.c.price_list_id.in_([i.id for i in lists]),
                _history.c.variant_id.in_(chunk),
                _history.c.starts_at >= now,
            )
        )
        if rows:
            session.execute(insert(_history), rows)


def _priced(line: Line, amount: int) -> Line:
    return Line(
        line.variant_id,
        1,
        amount,
        line.vat,
        line.product_id,
        line.brand_id,
        line.category_ids,
    )


def _at(steps: list[tuple[datetime, int | None]], t: datetime) -> int | None:
    found = None
    for start, amount in steps:
        if start <= t:
            found = amount
        else:
            break
    return found


def _timelines(
    session: Session, list_ids: list[uuid.UUID], variant_ids: list[uuid.UUID], now: datetime
) -> dict[tuple[uuid.UUID, uuid.UUID], list[tuple[datetime, int | None]]]:
    """Price rows in effect now or later, as (valid_from, amount) steps."""
    out: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[datetime, int | None]]] = defaultdict(list)
    if not list_ids:
        return out
    for lid, vid, amount, valid_from in session.execute(
        select(
            _prices.c.price_list_id, _prices.c.variant_id, _prices.c.amount, _prices.c.valid_from
        )
        .where(
            _prices.c.price_list_id.in_(list_ids),
            _prices.c.variant_id.in_(variant_ids),
            or_(_prices.c.valid_to.is_(None), _prices.c.valid_to > now),
        )
        .order_by(_prices.c.valid_from)
    ):
        out[(lid, vid)].append((valid_from, amount))
    return out


def _last_before(
    session: Session, list_ids: list[uuid.UUID], variant_ids: list[uuid.UUID], now: datetime
) -> dict[tuple[uuid.UUID, uuid.UUID], Entry]:
    """The entry in effect just before `now`, per pair (what the new history continues)."""
    if not list_ids:
        return {}
    latest = (
        select(
            _history.c.price_list_id,
            _history.c.variant_id,
            func.max(_history.c.starts_at).label("starts_at"),
        )
        .where(
            _history.c.price_list_id.in_(list_ids),
            _history.c.variant_id.in_(variant_ids),
            _history.c.starts_at < now,
        )
        .group_by(_history.c.price_list_id, _history.c.variant_id)
        .subquery()
    )
    rows = session.execute(
        select(
            _history.c.price_list_id,
            _history.c.variant_id,
            _history.c.starts_at,
            _history.c.list_amount,
            _history.c.amount,
        ).join(
            latest,
            (latest.c.price_list_id == _history.c.price_list_id)
            & (latest.c.variant_id == _history.c.variant_id)
            & (latest.c.starts_at == _history.c.starts_at),
        )
    )
    return {(r[0], r[1]): Entry(r[2], r[3], r[4]) for r in rows}


def entries(
    session: Session, *, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]], until: datetime | None = None
) -> dict[tuple[uuid.UUID, uuid.UUID], list[Entry]]:
    """The history of these (list, variant) pairs, oldest first (up to `until`)."""
    out: dict[tuple[uuid.UUID, uuid.UUID], list[Entry]] = defaultdict(list)
    if not pairs:
        return out
    stmt = select(
        _history.c.price_list_id,
        _history.c.variant_id,
        _history.c.starts_at,
        _history.c.list_amount,
        _history.c.amount,
    ).where(tuple_(_history.c.price_list_id, _history.c.variant_id).in_(list(pairs)))
    if until is not None:
        stmt = stmt.where(_history.c.starts_at <= until)
    for lid, vid, starts_at, list_amount, amount in session.execute(
        stmt.order_by(_history.c.starts_at)
    ):
        out[(lid, vid)].append(Entry(starts_at, list_amount, amount))
    return out


def omnibus_of(steps: Sequence[Entry], at: datetime) -> Omnibus:
    """The Omnibus reference for a history at `at` (pure: unit-tested alone)."""
    past = [e for e in steps if e.starts_at <= at]
    if not past or not past[-1].reduced:
        return Omnibus(None, None)
    i = len(past) - 1
    while i > 0 and past[i - 1].reduced:
        i -= 1
    started = past[i].starts_at
    window_start = started - OMNIBUS_WINDOW
    seen = [
        e.amount
        for j, e in enumerate(past[:i])
        if e.amount is not None and past[j + 1].starts_at > window_start
    ]
    return Omnibus(min(seen) if seen else None, started)


def lowest_in_window(steps: Sequence[Entry], at: datetime) -> int | None:
    """The lowest shelf price shown in the 30 days up to `at`."""
    past = [e for e in steps if e.starts_at <= at]
    start = at - OMNIBUS_WINDOW
    seen = [
        e.amount
        for j, e in enumerate(past)
        if e.amount is not None and (j + 1 == len(past) or past[j + 1].starts_at > start)
    ]
    return min(seen) if seen else None
