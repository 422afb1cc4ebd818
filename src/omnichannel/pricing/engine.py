"""The promotion engine: a pure, deterministic function from a cart and the
promotions on offer to priced lines, the promotions applied and why the others were not.

How promotions combine (the README says the same):

1. An offer counts only inside its validity window, in its currency, for its
   segments and channels, and (if it needs one) with a valid coupon in the cart.
2. All eligible *combinable* offers together form one option; each eligible
   *exclusive* offer alone is another. The option that takes the most off the goods
   wins; on a tie, the one whose leading offer has the higher priority, then the
   smaller code. So the customer always gets their best offer, whatever the order in
   which the retailer created them.
3. Inside an option, offers apply in phases, each on what the earlier left:
   a. item offers: a percentage off each matching line, a fixed amount off each unit;
   b. multi-buy offers: buy X get Y (of every X+Y matching units, the Y cheapest free
      or reduced) and bundles (any N matching units for a price), on the unit prices
      phase a left; a unit serves at most one multi-buy offer; the most expensive
      units are grouped first;
   c. order offers: a percentage or an amount off the matching lines;
   d. free delivery, which combines with every option.
   Within a phase: higher priority first, then code. The minimum of an order offer
   or free delivery is compared with the matching lines' subtotal after phase a.
4. No offer takes more from a line than is left of it; totals are never negative.

Adding an item (the rule the property tests check): the cart's total discount never
falls when an item is added, beyond rounding (at most one minor unit per line). One
line's own discount may fall only when a multi-buy offer regroups its units (the
free unit moves to another line), a fixed order discount is shared over more lines,
or the new item makes another (exclusive) option the customer's best. Item
percentages, amounts off units and order percentages never lower another line's
discount. The one exception to the total: two *combinable* multi-buy offers on the
same units take them in priority order, so a new unit can complete a group of the
first and take units the second was using. Make such offers exclusive: then the
customer gets the better of the two, and the rule holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from omnichannel.pricing import multibuy
from omnichannel.pricing.explain import explain
from omnichannel.pricing.offers import MULTI_BUY, ORDER, Cart, Line, Offer
from omnichannel.pricing.rules import (
    DELIVERY_VAT,
    PromotionKind,
    Refusal,
    Stacking,
    Vat,
    allocate,
    percent_of,
    split_gross,
)


@dataclass(frozen=True, slots=True)
class PricedLine:
    line: Line
    subtotal: int  # unit price x quantity
    discounts: tuple[tuple[uuid.UUID, int], ...]  # (offer id, amount) in the order applied
    discount: int
    total: int
    net: int
    vat_amount: int


@dataclass(frozen=True, slots=True)
class Applied:
    offer: Offer
    amount: int
    lines: tuple[int, ...]  # indexes of the lines it reduced
    explanation: str


@dataclass(frozen=True, slots=True)
class Delivery:
    price: int
    discount: int
    total: int
    net: int
    vat_amount: int
    vat: Vat = DELIVERY_VAT


@dataclass(frozen=True, slots=True)
class VatLine:
    vat: Vat
    gross: int
    net: int
    vat_amount: int


@dataclass(frozen=True, slots=True)
class Priced:
    currency: str
    lines: tuple[PricedLine, ...]
    applied: tuple[Applied, ...]
    free_delivery: Applied | None
    delivery: Delivery | None
    refused: dict[uuid.UUID, Refusal]  # offers that did not apply, and why
    subtotal: int
    discount: int
    total: int
    net: int
    vat_amount: int
    vat: tuple[VatLine, ...]


@dataclass
class _Run:
    """One option worked out: discounts per offer and line, and the reasons for zeros."""

    # Keyed by offer code: unique like the id, and a str caches its hash.
    per_offer: dict[str, list[int]] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)  # multi-buy: units/bundles
    reasons: dict[str, Refusal] = field(default_factory=dict)
    basis: list[int] = field(default_factory=list)  # line values after item offers
    total: int = 0


def price(cart: Cart, offers: Sequence[Offer]) -> Priced:
    """Price a cart under the offers: deterministic for the same arguments."""
    refused: dict[uuid.UUID, Refusal] = {}
    eligible: list[Offer] = []
    hits: dict[str, tuple[int, ...]] = {}  # offer -> the lines it targets
    every = tuple(range(len(cart.lines)))
    in_cart = frozenset().union(*(ln.keys for ln in cart.lines))
    for offer in offers:
        reason = offer.refusal(cart)
        if reason is None:
            keys = offer.targets.keys
            if not keys:
                hits[offer.code] = every
            elif keys.isdisjoint(in_cart):
                hits[offer.code] = ()
            else:
                hits[offer.code] = tuple(
                    i for i in every if not keys.isdisjoint(cart.lines[i].keys)
                )
            if hits[offer.code]:
                eligible.append(offer)
                continue
            reason = Refusal.NOT_APPLICABLE
        refused[offer.id] = reason
    goods = [o for o in eligible if o.kind is not PromotionKind.FREE_DELIVERY]
    combinable = sorted((o for o in goods if o.stacking is Stacking.COMBINABLE), key=_key)
    exclusive = sorted((o for o in goods if o.stacking is Stacking.EXCLUSIVE), key=_key)
    options = [combinable] + [[o] for o in exclusive]
    runs = [_run(cart, option, hits) for option in options]
    best = min(range(len(runs)), key=lambda i: _rank(options[i], runs[i], i))
    chosen = runs[best]
    for i, (option, run) in enumerate(zip(options, runs, strict=True)):
        for offer in option:
            if i == best and offer.code in chosen.per_offer:
                continue
            if i != best and offer.code in run.per_offer:
                refused[offer.id] = Refusal.NOT_COMBINABLE
            else:
                refused[offer.id] = run.reasons.get(offer.code, Refusal.NOT_APPLICABLE)
    free = _free_delivery(
        [o for o in eligible if o.kind is PromotionKind.FREE_DELIVERY], hits, chosen, refused
    )
    return _priced(cart, options[best], chosen, free, refused)


def _key(offer: Offer) -> tuple[int, int, str]:
    return offer.order_key


def _rank(option: list[Offer], run: _Run, index: int) -> tuple[int, int, str, int]:
    """Most off first; then the option whose leading (highest-priority) offer ranks higher."""
    applied = [o for o in option if o.code in run.per_offer]
    lead = min(applied, key=lambda o: (-o.priority, o.code)) if applied else None
    return (
        -run.total,
        -(lead.priority if lead else -1),
        lead.code if lead else "",
        index,
    )


def _run(cart: Cart, option: list[Offer], hits: dict[str, tuple[int, ...]]) -> _Run:
    lines = cart.lines
    remaining = [ln.unit_price * ln.quantity for ln in lines]
    used = [0] * len(lines)  # units already in a multi-buy group
    out = _Run()
    basis_taken = False
    for offer in option:  # already in phase, priority, code order
        if offer.phase >= 1 and not basis_taken:
            out.basis, basis_taken = list(remaining), True
        taken = list(used)
        idx = hits[offer.code]
        if offer.kind in MULTI_BUY:
            result = multibuy.apply(offer, lines, idx, out.basis, remaining, taken)
        elif offer.kind in ORDER:
            result = _order(offer, lines, idx, out.basis, remaining)
        else:
            result = _item(offer, lines, idx, remaining)
        if isinstance(result, Refusal):
            out.reasons[offer.code] = result
            continue
        discounts, units = result
        if sum(discounts) == 0:  # an offer that gives nothing takes no units either
            out.reasons[offer.code] = Refusal.NOT_APPLICABLE
            continue
        used[:] = taken
        for i, d in enumerate(discounts):
            remaining[i] -= d
        out.per_offer[offer.code] = discounts
        out.units[offer.code] = units
        out.total += sum(discounts)
    if not basis_taken:
        out.basis = list(remaining)
    return out


_Result = tuple[list[int], int] | Refusal


def _item(
    offer: Offer, lines: Sequence[Line], idx: tuple[int, ...], remaining: list[int]
) -> _Result:
    out = [0] * len(lines)
    units = 0
    for i in idx:
        line = lines[i]
        if remaining[i] <= 0:
            continue
        if offer.kind is PromotionKind.PERCENT_OFF:
            out[i] = min(percent_of(remaining[i], offer.percent_bp), remaining[i])
        else:
            out[i] = min(offer.amount * line.quantity, remaining[i])
        units += line.quantity
    return out, units


def _order(
    offer: Offer,
    lines: Sequence[Line],
    matching: tuple[int, ...],
    basis: list[int],
    remaining: list[int],
) -> _Result:
    if sum(basis[i] for i in matching) < max(offer.threshold, 1):
        return Refusal.BELOW_THRESHOLD
    out = [0] * len(lines)
    if offer.kind is PromotionKind.CART_PERCENT_OFF:
        for i in matching:
            out[i] = min(percent_of(remaining[i], offer.percent_bp), remaining[i])
    else:
        left = [remaining[i] for i in matching]
        for i, part in zip(matching, allocate(min(offer.amount, sum(left)), left), strict=True):
            out[i] = part
    return out, sum(lines[i].quantity for i in matching)


def _free_delivery(
    offers: list[Offer],
    hits: dict[str, tuple[int, ...]],
    chosen: _Run,
    refused: dict[uuid.UUID, Refusal],
) -> Offer | None:
    winner = None
    for offer in sorted(offers, key=_key):
        if sum(chosen.basis[i] for i in hits[offer.code]) < offer.threshold:
            refused[offer.id] = Refusal.BELOW_THRESHOLD
        elif winner is not None:
            refused[offer.id] = Refusal.NOT_COMBINABLE
        else:
            winner = offer
    return winner


def _priced(
    cart: Cart,
    option: list[Offer],
    run: _Run,
    free: Offer | None,
    refused: dict[uuid.UUID, Refusal],
) -> Priced:
    applied_offers = [o for o in option if o.code in run.per_offer]
    priced_lines = []
    for i, line in enumerate(cart.lines):
        subtotal = line.unit_price * line.quantity
        discounts = tuple(
            (o.id, run.per_offer[o.code][i]) for o in applied_offers if run.per_offer[o.code][i]
        )
        discount = sum(d for _, d in discounts)
        total = subtotal - discount
        net, vat_amount = split_gross(total, line.vat)
        priced_lines.append(PricedLine(line, subtotal, discounts, discount, total, net, vat_amount))
    applied = tuple(
        Applied(
            offer=o,
            amount=sum(run.per_offer[o.code]),
            lines=tuple(i for i, d in enumerate(run.per_offer[o.code]) if d),
            explanation=explain(
                o,
                sum(run.per_offer[o.code]),
                run.units[o.code],
                cart.currency,
                cart.coupons.get(o.id),
            ),
        )
        for o in applied_offers
    )
    delivery = None
    free_applied = None
    if cart.delivery_price is not None:
        d_discount = cart.delivery_price if free is not None else 0
        d_total = cart.delivery_price - d_discount
        net, vat_amount = split_gross(d_total, DELIVERY_VAT)
        delivery = Delivery(cart.delivery_price, d_discount, d_total, net, vat_amount)
    if free is not None:
        saved = delivery.discount if delivery else 0
        free_applied = Applied(
            free, saved, (), explain(free, saved, 0, cart.currency, cart.coupons.get(free.id))
        )
    return _totals(cart, tuple(priced_lines), applied, free_applied, delivery, refused)


def _totals(
    cart: Cart,
    lines: tuple[PricedLine, ...],
    applied: tuple[Applied, ...],
    free: Applied | None,
    delivery: Delivery | None,
    refused: dict[uuid.UUID, Refusal],
) -> Priced:
    by_rate: dict[str, list[int]] = {}
    vats: dict[str, Vat] = {}
    parts = [(pl.line.vat, pl.total, pl.net, pl.vat_amount) for pl in lines]
    if delivery is not None:
        parts.append((delivery.vat, delivery.total, delivery.net, delivery.vat_amount))
    for vat, gross, net, tax in parts:
        acc = by_rate.setdefault(vat.code, [0, 0, 0])
        vats[vat.code] = vat
        acc[0] += gross
        acc[1] += net
        acc[2] += tax
    breakdown = tuple(
        VatLine(vats[code], *by_rate[code])
        for code in sorted(by_rate, key=lambda c: (-vats[c].percent, c))
    )
    d_price = delivery.price if delivery else 0
    d_discount = delivery.discount if delivery else 0
    return Priced(
        currency=cart.currency,
        lines=lines,
        applied=applied,
        free_delivery=free,
        delivery=delivery,
        refused=refused,
        subtotal=sum(pl.subtotal for pl in lines) + d_price,
        discount=sum(pl.discount for pl in lines) + d_discount,
        total=sum(v.gross for v in breakdown),
        net=sum(v.net for v in breakdown),
        vat_amount=sum(v.vat_amount for v in breakdown),
        vat=breakdown,
    )
