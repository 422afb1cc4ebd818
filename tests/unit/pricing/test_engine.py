"""The promotion engine, one kind at a time, then how they stack."""

from datetime import timedelta

from omnichannel.pricing.rules import Refusal
from tests.unit.pricing.builders import (
    APPAREL,
    BRAND,
    NOW,
    SHIRTS,
    discounts,
    line,
    offer,
    quote,
    shirt,
)

# --- each kind ------------------------------------------------------------------------


def test_a_percentage_comes_off_each_matching_line_rounded_half_up() -> None:
    p = quote(
        [shirt(1235), line(5000)],
        [offer("percent_off", percent_bp=1000, targets={"category_ids": [SHIRTS]})],
    )
    assert discounts(p) == [124, 0]
    assert p.applied[0].explanation.endswith(": 10% off, 1 unit: -1.24 PLN")


def test_a_category_promotion_reaches_everything_below_it() -> None:
    p = quote(
        [shirt(1000)], [offer("percent_off", percent_bp=2000, targets={"category_ids": [APPAREL]})]
    )
    assert discounts(p) == [200]


def test_a_brand_or_product_or_variant_can_be_targeted() -> None:
    a = shirt(1000)
    b = line(1000)
    for targets in (
        {"brand_ids": [BRAND]},
        {"product_ids": [a.product_id]},
        {"variant_ids": [a.variant_id]},
    ):
        assert discounts(
            quote([a, b], [offer("percent_off", percent_bp=5000, targets=targets)])
        ) == [500, 0]


def test_an_amount_comes_off_each_unit_but_never_below_zero() -> None:
    p = quote([line(1000, 3), line(300, 2)], [offer("amount_off", amount=500, currency="PLN")])
    assert discounts(p) == [1500, 600]
    assert [pl.total for pl in p.lines] == [1500, 0]


def test_buy_two_get_one_free_frees_the_cheapest_unit_of_each_group() -> None:
    p = quote(
        [line(5000, 2), line(3000, 1), line(1000, 1)],
        [offer("buy_x_get_y", buy=2, get=1, percent_bp=10_000)],
    )
    # sorted: 50, 50, 30 | 10 -> one complete group, its cheapest (30) is free
    assert discounts(p) == [0, 3000, 0]
    assert "buy 2, get 1 free, 1 group: -30.00 PLN" in p.applied[0].explanation


def test_buy_one_get_one_at_half_price() -> None:
    p = quote([line(4000, 2)], [offer("buy_x_get_y", buy=1, get=1, percent_bp=5000)])
    assert discounts(p) == [2000]


def test_buy_x_get_y_needs_a_whole_group() -> None:
    p = quote([line(4000, 2)], [o := offer("buy_x_get_y", buy=2, get=1, percent_bp=10_000)])
    assert discounts(p) == [0]
    assert p.refused[o.id] is Refusal.BELOW_THRESHOLD


def test_a_bundle_groups_the_most_expensive_units_first() -> None:
    p = quote(
        [line(6000, 1), line(5000, 1), line(1000, 1)],
        [offer("bundle_price", bundle_size=2, bundle_price=8000, currency="PLN")],
    )
    # 60 + 50 = 110 for 80: 30 saved, shared 60:50
    assert discounts(p) == [1636, 1364, 0]


def test_a_bundle_dearer_than_its_units_saves_nothing() -> None:
    p = quote(
        [line(1000, 2)], [offer("bundle_price", bundle_size=2, bundle_price=3000, currency="PLN")]
    )
    assert discounts(p) == [0]


def test_many_alike_bundles_are_counted_without_walking_every_unit() -> None:
    p = quote(
        [line(1000, 10_000)],
        [offer("bundle_price", bundle_size=3, bundle_price=2500, currency="PLN")],
    )
    assert discounts(p) == [3333 * 500]


def test_a_cart_percentage_needs_its_threshold() -> None:
    o = offer("cart_percent_off", percent_bp=1000, threshold=20000, currency="PLN")
    below = quote([line(19999)], [o])
    assert discounts(below) == [0]
    assert below.refused[o.id] is Refusal.BELOW_THRESHOLD
    assert discounts(quote([line(10000), line(10000)], [o])) == [1000, 1000]


def test_a_cart_amount_is_shared_by_line_value_and_adds_up() -> None:
    p = quote(
        [line(10000), line(20000), line(3333)],
        [offer("cart_amount_off", amount=5000, currency="PLN")],
    )
    assert sum(discounts(p)) == 5000
    assert discounts(p) == [1500, 3000, 500]


def test_a_cart_amount_never_exceeds_the_cart() -> None:
    p = quote([line(1000)], [offer("cart_amount_off", amount=5000, currency="PLN")])
    assert discounts(p) == [1000]
    assert p.total == 0


def test_free_delivery_above_a_threshold_takes_the_delivery_fee_off() -> None:
    o = offer("free_delivery", threshold=19900, currency="PLN")
    free = quote([line(20000)], [o], delivery_price=1499)
    assert free.delivery is not None
    assert free.delivery.total == 0
    assert free.total == 20000
    paid = quote([line(10000)], [o], delivery_price=1499)
    assert paid.delivery is not None
    assert paid.delivery.total == 1499
    assert paid.refused[o.id] is Refusal.BELOW_THRESHOLD


# --- who may have it ------------------------------------------------------------------


def test_a_segment_promotion_is_only_for_that_segment() -> None:
    o = offer("percent_off", percent_bp=1500, segments={"vip"})
    assert discounts(quote([line(1000)], [o])) == [0]
    assert discounts(quote([line(1000)], [o], segments=frozenset({"vip", "b2b"}))) == [150]


def test_a_channel_override_applies_only_in_its_channel() -> None:
    o = offer("percent_off", percent_bp=1000, channels={"allegro"})
    assert discounts(quote([line(1000)], [o], channel="web")) == [0]
    assert discounts(quote([line(1000)], [o], channel="allegro")) == [100]


def test_a_promotion_counts_only_inside_its_window() -> None:
    o = offer("percent_off", percent_bp=1000, starts_at=NOW, ends_at=NOW + timedelta(days=1))
    assert (
        quote([line(1000)], [o], at=NOW - timedelta(seconds=1)).refused[o.id] is Refusal.NOT_STARTED
    )
    assert discounts(quote([line(1000)], [o], at=NOW)) == [100]
    assert quote([line(1000)], [o], at=NOW + timedelta(days=1)).refused[o.id] is Refusal.EXPIRED


def test_an_amount_in_another_currency_does_not_apply() -> None:
    o = offer("amount_off", amount=100, currency="EUR")
    assert quote([line(1000)], [o]).refused[o.id] is Refusal.WRONG_CURRENCY


def test_a_coupon_promotion_needs_its_coupon() -> None:
    o = offer("percent_off", percent_bp=1000, requires_coupon=True)
    assert discounts(quote([line(1000)], [o])) == [0]
    p = quote([line(1000)], [o], coupons={o.id: "WITAJ"})
    assert discounts(p) == [100]
    assert p.applied[0].explanation.endswith("(coupon WITAJ)")


def test_a_paused_promotion_does_not_apply() -> None:
    o = offer("percent_off", percent_bp=1000, active=False)
    assert quote([line(1000)], [o]).refused[o.id] is Refusal.PAUSED


# --- stacking -------------------------------------------------------------------------


def test_combinable_item_promotions_compound_in_priority_order() -> None:
    first = offer("percent_off", percent_bp=1000, priority=10)
    second = offer("amount_off", amount=100, currency="PLN", priority=5)
    assert discounts(quote([line(1000)], [second, first])) == [100 + 100]
    # the other way round: 100 off first, then 10 % of 900
    first = offer("percent_off", percent_bp=1000, priority=1)
    second = offer("amount_off", amount=100, currency="PLN", priority=5)
    assert discounts(quote([line(1000)], [first, second])) == [100 + 90]


def test_order_promotions_apply_to_what_item_promotions_left() -> None:
    item = offer("percent_off", percent_bp=5000)
    order = offer("cart_percent_off", percent_bp=1000, threshold=10000, currency="PLN")
    p = quote([line(30000)], [order, item])
    assert discounts(p) == [15000 + 1500]


def test_a_threshold_counts_item_reductions_but_not_multi_buy_savings() -> None:
    item = offer("percent_off", percent_bp=5000)
    multi = offer("buy_x_get_y", buy=1, get=1, percent_bp=10_000)
    order = offer("cart_amount_off", amount=1000, threshold=20000, currency="PLN")
    # 4 x 100 = 400 -> 50 % -> 200 meets 200 before the free units take another 100
    p = quote([line(10000, 4)], [order, multi, item])
    assert discounts(p) == [20000 + 10000 + 1000]


def test_the_best_exclusive_offer_wins_over_weaker_combined_ones() -> None:
    a = offer("percent_off", percent_bp=1000)
    b = offer("amount_off", amount=100, currency="PLN")
    big = offer("percent_off", percent_bp=3000, stacking="exclusive")
    p = quote([line(1000)], [a, b, big])
    assert discounts(p) == [300]
    assert p.refused[a.id] is Refusal.NOT_COMBINABLE
    assert p.refused[b.id] is Refusal.NOT_COMBINABLE


def test_combined_offers_win_when_together_they_give_more_than_an_exclusive_one() -> None:
    a = offer("percent_off", percent_bp=2000)
    b = offer("amount_off", amount=200, currency="PLN")
    small = offer("percent_off", percent_bp=3000, stacking="exclusive")
    p = quote([line(1000)], [a, b, small])
    assert discounts(p) == [200 + 200]  # same priority: by code, the percentage first
    assert p.refused[small.id] is Refusal.NOT_COMBINABLE


def test_two_exclusive_offers_never_stack_and_a_tie_goes_to_priority() -> None:
    low = offer("percent_off", percent_bp=1000, stacking="exclusive", priority=1, code="A")
    high = offer(
        "amount_off", amount=100, currency="PLN", stacking="exclusive", priority=9, code="B"
    )
    p = quote([line(1000)], [low, high])
    assert [a.offer.code for a in p.applied] == ["B"]
    assert discounts(p) == [100]


def test_free_delivery_combines_with_an_exclusive_offer() -> None:
    big = offer("percent_off", percent_bp=3000, stacking="exclusive")
    free = offer("free_delivery")
    p = quote([line(1000)], [big, free], delivery_price=999)
    assert discounts(p) == [300]
    assert p.delivery is not None
    assert p.delivery.discount == 999
    assert p.free_delivery is not None


# --- the quote as a whole -------------------------------------------------------------


def test_totals_and_vat_are_sums_of_the_lines() -> None:
    p = quote(
        [line(12300), line(2999, 2, vat="super_reduced"), line(5000, vat="exempt")],
        [offer("percent_off", percent_bp=1000)],
        delivery_price=1499,
    )
    assert p.total == sum(pl.total for pl in p.lines) + 1499
    assert p.net + p.vat_amount == p.total
    assert [(v.vat.code, v.gross) for v in p.vat] == [
        ("23", 11070 + 1499),
        ("5", 5398),
        ("zw", 4500),
    ]
    assert sum(v.vat_amount for v in p.vat) == p.vat_amount


def test_the_same_question_gets_the_same_answer() -> None:
    lines = [line(999, 3), shirt(4999, 2), line(12345)]
    offers = [
        offer("percent_off", percent_bp=1500, targets={"category_ids": [SHIRTS]}),
        offer("buy_x_get_y", buy=2, get=1, percent_bp=10_000),
        offer("cart_amount_off", amount=2000, threshold=10000, currency="PLN"),
    ]
    assert quote(lines, offers) == quote(lines, list(reversed(offers)))


def test_combinable_multi_buy_offers_on_the_same_units_take_them_in_priority_order() -> None:
    """The stated exception to "adding an item never lowers the total discount"."""
    three_for_two = offer("buy_x_get_y", buy=2, get=1, percent_bp=10_000, priority=9)
    pair = offer("bundle_price", bundle_size=2, bundle_price=1000, currency="PLN", priority=1)
    before = quote([line(5000, 2)], [three_for_two, pair])
    assert discounts(before) == [9000]  # no group of three: the pair applies
    after = quote([line(5000, 2), line(100)], [three_for_two, pair])
    assert discounts(after) == [
        0,
        100,
    ]  # the cheap unit completes 3-for-2 and takes the pair's units
    exclusive = [
        offer("buy_x_get_y", buy=2, get=1, percent_bp=10_000, stacking="exclusive"),
        offer(
            "bundle_price", bundle_size=2, bundle_price=1000, currency="PLN", stacking="exclusive"
        ),
    ]
    assert sum(discounts(quote([line(5000, 2), line(100)], exclusive))) == 9000


def test_a_multi_buy_offer_that_gives_nothing_takes_no_units() -> None:
    nothing = offer("buy_x_get_y", buy=1, get=1, percent_bp=1, priority=9)  # 0.01 % rounds to 0
    pair = offer("bundle_price", bundle_size=2, bundle_price=0, currency="PLN")
    assert discounts(quote([line(2, 2)], [nothing, pair])) == [4]
