"""Properties of the engine over generated carts and promotions.

The rule for adding an item (stated in `engine.py` and the README): the cart's total
discount never falls when an item is added, beyond rounding — at most one grosz per
line. A line's own discount may fall only when a multi-buy offer regroups its units, a
fixed order discount is shared over more lines, or another (exclusive) option becomes
the customer's best; item percentages, amounts off units and order percentages never
lower another line's discount. The exception: two combinable multi-buy offers on the same units take them
in priority order (shown in `test_engine.py`); make such offers exclusive.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from omnichannel.pricing.engine import price
from omnichannel.pricing.offers import MULTI_BUY, Cart, Line, Offer, Targets
from omnichannel.pricing.rules import PL_VAT, PromotionKind, Stacking
from tests.unit.pricing.builders import NOW

PRODUCTS = [uuid.UUID(int=100 + i) for i in range(3)]
BRANDS = [uuid.UUID(int=200 + i) for i in range(2)]
CATEGORIES = [uuid.UUID(int=300 + i) for i in range(3)]


@st.composite
def lines(draw: Any) -> Line:
    return Line(
        variant_id=uuid.UUID(int=draw(st.integers(1, 10**9))),
        quantity=draw(st.integers(1, 5)),
        unit_price=draw(st.integers(0, 100_000)),
        vat=draw(st.sampled_from(list(PL_VAT.values()))),
        product_id=draw(st.sampled_from(PRODUCTS)),
        brand_id=draw(st.sampled_from([*BRANDS, None])),
        category_ids=frozenset(draw(st.sets(st.sampled_from(CATEGORIES), max_size=2))),
    )


@st.composite
def targets(draw: Any) -> Targets:
    if draw(st.booleans()):
        return Targets()
    return Targets(
        product_ids=frozenset(draw(st.sets(st.sampled_from(PRODUCTS), max_size=2))),
        brand_ids=frozenset(draw(st.sets(st.sampled_from(BRANDS), max_size=1))),
        category_ids=frozenset(draw(st.sets(st.sampled_from(CATEGORIES), max_size=2))),
    )


def offers(kinds: list[PromotionKind], stackings: list[Stacking]) -> Any:
    @st.composite
    def one(draw: Any) -> Offer:
        n = draw(st.integers(0, 10**6))
        return Offer(
            id=uuid.UUID(int=10**7 + n),
            code=f"P{n:07d}",
            name="Promo",
            kind=draw(st.sampled_from(kinds)),
            stacking=draw(st.sampled_from(stackings)),
            priority=draw(st.integers(0, 3)),
            targets=draw(targets()),
            percent_bp=draw(st.integers(1, 10_000)),
            amount=draw(st.integers(1, 50_000)),
            threshold=draw(st.sampled_from([0, 0, 5_000, 50_000, 200_000])),
            buy=draw(st.integers(1, 3)),
            get=draw(st.integers(1, 2)),
            bundle_size=draw(st.integers(2, 4)),
            bundle_price=draw(st.integers(0, 100_000)),
            currency="PLN",
        )

    return st.lists(one(), max_size=6, unique_by=lambda o: o.id)


ALL_KINDS = list(PromotionKind)
ALL_STACKINGS = list(Stacking)


def _price(items: list[Line], promos: list[Offer], **kw: Any) -> Any:
    return price(Cart("PLN", tuple(items), NOW, **kw), promos)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(lines(), min_size=1, max_size=6),
    offers(ALL_KINDS, ALL_STACKINGS),
    st.integers(0, 5000),
)
def test_no_line_loses_more_than_its_value_and_totals_are_never_negative(
    items: list[Line], promos: list[Offer], delivery: int
) -> None:
    p = _price(items, promos, delivery_price=delivery)
    for pl in p.lines:
        assert 0 <= pl.discount <= pl.subtotal
        assert pl.total == pl.subtotal - pl.discount >= 0
        assert pl.net + pl.vat_amount == pl.total
        assert sum(d for _, d in pl.discounts) == pl.discount
    assert p.total >= 0
    assert p.total == sum(pl.total for pl in p.lines) + (p.delivery.total if p.delivery else 0)
    assert p.net + p.vat_amount == p.total
    assert sum(a.amount for a in p.applied) == sum(pl.discount for pl in p.lines)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(lines(), min_size=1, max_size=5),
    offers(ALL_KINDS, ALL_STACKINGS),
    st.sampled_from(["web", "app", "pos-waw", "call-center", "allegro", "instagram"]),
)
def test_without_overrides_every_channel_gets_the_same_quote(
    items: list[Line], promos: list[Offer], channel: str
) -> None:
    assert _price(items, promos, channel=channel) == _price(items, promos)


def _goods_discount(p: Any) -> int:
    return sum(pl.discount for pl in p.lines)


def _one_combinable_multi_buy(promos: list[Offer]) -> list[Offer]:
    """The stated exception: combinable multi-buy offers compete for units by priority."""
    out, seen = [], False
    for o in promos:
        if o.kind in MULTI_BUY and o.stacking is Stacking.COMBINABLE:
            if seen:
                continue
            seen = True
        out.append(o)
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(lines(), min_size=1, max_size=5), lines(), offers(ALL_KINDS, ALL_STACKINGS))
def test_adding_an_item_never_lowers_the_total_discount_beyond_rounding(
    items: list[Line], extra: Line, promos: list[Offer]
) -> None:
    promos = _one_combinable_multi_buy(promos)
    before = _price(items, promos)
    after = _price([*items, extra], promos)
    assert _goods_discount(after) >= _goods_discount(before) - len(items)


NON_SHARING = [
    PromotionKind.PERCENT_OFF,
    PromotionKind.AMOUNT_OFF,
    PromotionKind.CART_PERCENT_OFF,
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(lines(), min_size=1, max_size=5),
    lines(),
    offers(NON_SHARING, [Stacking.COMBINABLE]),
)
def test_adding_an_item_never_lowers_another_lines_discount_under_line_by_line_offers(
    items: list[Line], extra: Line, promos: list[Offer]
) -> None:
    before = _price(items, promos)
    after = _price([*items, extra], promos)
    for old, new in zip(before.lines, after.lines, strict=False):
        assert new.discount >= old.discount
