"""The quote: one price for a cart, whichever channel asks.

A quote loads what it needs in two statements — the pricing token together with
the lines' prices (lists and promotions come from the worker's cache while the token
holds), and the catalog facts of the lines — plus, only when needed, the usage
counters of limited promotions and the coupons named; then it hands plain values to
the pure engine (`engine.price`). Nothing is written: a quote is a read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing import delivery, limits, snapshot
from omnichannel.pricing.engine import Priced, PricedLine, price
from omnichannel.pricing.errors import UnknownCustomer, Unpriced, field_error
from omnichannel.pricing.limits import CouponCheck
from omnichannel.pricing.offers import Cart, Line, Offer
from omnichannel.pricing.prices import token_and_prices
from omnichannel.pricing.rules import (
    MAX_LINES,
    Refusal,
    vat_for,
)
from omnichannel.pricing.snapshot import ListInfo, Snapshot

if TYPE_CHECKING:
    from omnichannel.catalog.service import VariantFacts


class SegmentsOf(Protocol):
    """Codes of the segments a customer is in; None when there is no such customer."""

    def __call__(self, session: Session, *, customer_id: uuid.UUID) -> Sequence[str] | None: ...


# Customers own segments; pricing, their sibling, does not import them: the
# entrypoints install `customers.segments_if_known` here (`omnichannel.wiring`).
_segment_sources: dict[str, SegmentsOf] = {}


def segments_from(source: SegmentsOf) -> None:
    """Have every quote for a customer read the customer's segments from `source`."""
    _segment_sources["customers"] = source


def _segments_of(session: Session, customer_id: uuid.UUID) -> Sequence[str]:
    """The customer's segments; 404 naming `customer_id` when there is no such customer:
    a quote for nobody must not count their per-customer limits, nor pass for a price."""
    source = _segment_sources.get("customers")
    if source is None:
        raise RuntimeError("Quotes need customers' segments: call omnichannel.wiring.install().")
    found = source(session, customer_id=customer_id)
    if found is None:
        raise UnknownCustomer(
            f"Customer {customer_id} does not exist.",
            errors=[field_error("customer_id", "no such customer", "unknown_customer")],
        )
    return found


@dataclass(frozen=True, slots=True)
class Item:
    """A line asked for: which variant, how many."""

    variant_id: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class QuoteLine:
    index: int
    sku: str
    price_list: str  # code of the list whose price won
    base_price: int | None  # the unit price in the base list, when different lists apply
    priced: PricedLine


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    at: datetime
    channel: str | None  # recorded for attribution only
    customer_id: uuid.UUID | None
    segments: tuple[str, ...]
    lines: tuple[QuoteLine, ...]
    priced: Priced
    coupons: tuple[CouponCheck, ...]
    offers: dict[uuid.UUID, Offer] = field(default_factory=dict)  # every offer applied
    delivery_method: str | None = None  # what the delivery line was priced for
    cash_on_delivery: bool = False


@dataclass(frozen=True, slots=True)
class Unit:
    """A line resolved to its price and catalog facts, before promotions."""

    line: Line
    sku: str
    list_code: str
    base_price: int | None


def quote(
    session: Session,
    *,
    items: Sequence[Item],
    currency: str = "PLN",
    segments: Sequence[str] = (),
    customer_id: uuid.UUID | None = None,
    coupons: Sequence[str] = (),
    channel: str | None = None,
    at: datetime | None = None,
    delivery_price: int | None = None,
    delivery_method: str | None = None,
    cash_on_delivery: bool = False,
) -> Quote:
    """Price a cart: unit and line prices, applied promotions with their explanation,
    totals and VAT, and why each refused coupon was refused.

    With a `customer_id`, the quote reads the customer's segments from the customers
    domain (`segments_from`; one statement; a merged profile answers with its survivor's;
    404 when there is no such customer) and adds them to any `segments` the caller names
    (entrypoints let only a preview name any), so every channel that knows the customer
    gets the same segment prices without knowing the segments. The `customer_id` also
    counts per-customer limits. The channel never changes the result unless an
    override for it is configured.

    The delivery line is `delivery_price`, or the channel's rate for `delivery_method`
    (with the cash-on-delivery surcharge when asked; `pricing.delivery`).
    """
    at = at or utcnow()
    if not items or len(items) > MAX_LINES:
        raise InvalidInput(
            f"A quote has 1 to {MAX_LINES} lines.",
            errors=[field_error("lines", f"1 to {MAX_LINES} lines", "length")],
        )
    if delivery_method is not None or cash_on_delivery:
        delivery_price = delivery.fee(
            session,
            channel=channel,
            currency=currency,
            method=delivery_method,
            cash_on_delivery=cash_on_delivery,
            delivery_price=delivery_price,
        )
    wanted = frozenset(segments)
    if customer_id is not None:
        wanted |= frozenset(_segments_of(session, customer_id))
    ids = list(dict.fromkeys(i.variant_id for i in items))
    token, prices = token_and_prices(session, variant_ids=ids, at=at)
    snap = snapshot.of_token(session, token)
    units = resolve(
        session,
        snap,
        items,
        prices,
        currency=currency,
        segments=wanted,
        channel=channel,
    )
    checks, unlocked, blocked = limits.check(
        session, snap, coupons, customer_id=customer_id, currency=currency, at=at
    )
    offers = [o for o in snap.offers if o.id not in blocked]
    cart = Cart(
        currency=currency,
        lines=tuple(u.line for u in units),
        at=at,
        segments=wanted,
        channel=channel,
        coupons=unlocked,
        delivery_price=delivery_price,
    )
    priced = price(cart, offers)
    applied = {a.offer.id: a.offer for a in priced.applied}
    if priced.free_delivery is not None:
        applied[priced.free_delivery.offer.id] = priced.free_delivery.offer
    final = tuple(_final(c, applied, priced) for c in checks)
    return Quote(
        currency=currency,
        at=at,
        channel=channel,
        customer_id=customer_id,
        segments=tuple(sorted(wanted)),
        lines=tuple(
            QuoteLine(i, u.sku, u.list_code, u.base_price, pl)
            for i, (u, pl) in enumerate(zip(units, priced.lines, strict=True))
        ),
        priced=priced,
        coupons=final,
        offers=applied,
        delivery_method=delivery_method,
        cash_on_delivery=cash_on_delivery,
    )


def resolve(
    session: Session,
    snap: Snapshot,
    items: Sequence[Item],
    prices: dict[tuple[uuid.UUID, uuid.UUID], int | None],
    *,
    currency: str,
    segments: frozenset[str],
    channel: str | None,
) -> list[Unit]:
    """Each item with its unit price from the winning list and its catalog facts; 422
    naming `lines.N.variant_id` for an unknown, unsold or unpriced variant."""
    base = snap.base_list(currency)
    if base is None:
        raise InvalidInput(
            f"There is no active base price list in {currency}.",
            errors=[
                field_error("currency", f"nothing is priced in {currency}", "unpriced_currency")
            ],
        )
    lists = snap.lists_for(currency=currency, segments=segments, channel=channel)
    facts = catalog.pricing_facts(session, variant_ids=[i.variant_id for i in items])
    units, errors = units_of(items, lists, base, prices, facts, currency)
    if errors:
        unknown = any(e["type"] == "unknown_variant" for e in errors)
        cls = InvalidInput if unknown else Unpriced
        raise cls(f"{len(errors)} line(s) cannot be priced.", errors=errors)
    return units


def units_of(
    items: Sequence[Item],
    lists: list[ListInfo],
    base: ListInfo,
    prices: dict[tuple[uuid.UUID, uuid.UUID], int | None],
    facts: dict[uuid.UUID, VariantFacts],
    currency: str,
) -> tuple[list[Unit], list[dict[str, Any]]]:
    """The items priced from the lists that apply, the winner first (pure); the
    problems of those that cannot be, as field errors."""
    errors = []
    out = []
    for n, item in enumerate(items):
        f = facts.get(item.variant_id)
        where = f"lines.{n}.variant_id"
        if f is None:
            errors.append(field_error(where, "no such variant", "unknown_variant"))
            continue
        if not f.active:
            errors.append(field_error(where, f"{f.sku} is not for sale", "not_for_sale"))
            continue
        won = _winner(lists, prices, item.variant_id)
        if won is None:
            errors.append(field_error(where, f"{f.sku} has no price in {currency}", "unpriced"))
            continue
        info, amount = won
        base_price = prices.get((base.id, item.variant_id))
        line = Line(
            variant_id=item.variant_id,
            quantity=item.quantity,
            unit_price=amount,
            vat=vat_for(f.vat_class),
            product_id=f.product_id,
            brand_id=f.brand_id,
            category_ids=f.category_ids,
        )
        out.append(Unit(line, f.sku, info.code, base_price if info.id != base.id else None))
    return out, errors


def _winner(
    lists: list[ListInfo], prices: dict[tuple[uuid.UUID, uuid.UUID], int | None], v: uuid.UUID
) -> tuple[ListInfo, int] | None:
    for info in lists:
        amount = prices.get((info.id, v))
        if amount is not None:
            return info, amount
    return None


def _final(check: CouponCheck, applied: dict[uuid.UUID, Offer], priced: Priced) -> CouponCheck:
    """A coupon that opened its promotion counts only if the promotion applied."""
    if not check.accepted or check.promotion_id is None or check.promotion_id in applied:
        return check
    reason = priced.refused.get(check.promotion_id, Refusal.NOT_APPLICABLE)
    return CouponCheck(
        check.code, False, reason, check.coupon_id, check.promotion_id, check.promotion_code
    )


def quote_at(
    session: Session,
    *,
    items: Sequence[Item],
    unit_prices: Sequence[int],
    currency: str,
    price_list: str,
    customer_id: uuid.UUID | None = None,
    channel: str | None = None,
    at: datetime | None = None,
    delivery_price: int | None = None,
) -> Quote:
    """A quote at gross unit prices agreed elsewhere (a marketplace order, paid on the
    marketplace): the catalog's VAT and the same rounding, none of our promotions.
    `price_list` names where the prices came from. 422 naming `lines.N.variant_id` for
    an unknown or unsold variant."""
    at = at or utcnow()
    if not items or len(items) > MAX_LINES or len(unit_prices) != len(items):
        raise InvalidInput(
            f"A quote has 1 to {MAX_LINES} lines, each with its price.",
            errors=[field_error("lines", f"1 to {MAX_LINES} priced lines", "length")],
        )
    facts = catalog.pricing_facts(session, variant_ids=[i.variant_id for i in items])
    errors, units = [], []
    for n, (item, amount) in enumerate(zip(items, unit_prices, strict=True)):
        f = facts.get(item.variant_id)
        if f is None or not f.active:
            errors.append(field_error(f"lines.{n}.variant_id", "not for sale", "unknown_variant"))
            continue
        line = Line(
            variant_id=item.variant_id,
            quantity=item.quantity,
            unit_price=amount,
            vat=vat_for(f.vat_class),
            product_id=f.product_id,
            brand_id=f.brand_id,
            category_ids=f.category_ids,
        )
        units.append(Unit(line, f.sku, price_list, None))
    if errors:
        raise InvalidInput(f"{len(errors)} line(s) cannot be sold.", errors=errors)
    cart = Cart(
        currency=currency,
        lines=tuple(u.line for u in units),
        at=at,
        channel=channel,
        delivery_price=delivery_price,
    )
    priced = price(cart, [])
    return Quote(
        currency=currency,
        at=at,
        channel=channel,
        customer_id=customer_id,
        segments=(),
        lines=tuple(
            QuoteLine(i, u.sku, u.list_code, None, pl)
            for i, (u, pl) in enumerate(zip(units, priced.lines, strict=True))
        ),
        priced=priced,
        coupons=(),
    )
