"""Rounding, VAT, money as text and what each kind of promotion needs."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from omnichannel.pricing.rules import (
    PL_VAT,
    PromotionKind,
    allocate,
    half_up,
    money_text,
    normalise_coupon,
    parse_price,
    percent_of,
    percent_text,
    percent_to_bp,
    promotion_problems,
    split_gross,
)


def test_half_up_rounds_halves_away_from_zero() -> None:
    assert half_up(1235, 1000) == 1
    assert half_up(15, 10) == 2
    assert half_up(25, 10) == 3  # not banker's rounding
    assert half_up(24, 10) == 2
    assert half_up(-15, 10) == -2


def test_ten_percent_of_twelve_thirty_five_is_one_twenty_four() -> None:
    assert percent_of(1235, 1000) == 124


@pytest.mark.parametrize(
    ("vat_class", "gross", "net", "vat"),
    [
        ("standard", 12300, 10000, 2300),
        ("standard", 999, 812, 187),  # 999 / 1.23 = 812.19
        ("reduced", 1080, 1000, 80),
        ("super_reduced", 2999, 2856, 143),  # 2999 / 1.05 = 2856.19
        ("zero", 4999, 4999, 0),
        ("exempt", 4999, 4999, 0),
    ],
)
def test_vat_is_worked_out_from_the_gross_amount(
    vat_class: str, gross: int, net: int, vat: int
) -> None:
    assert split_gross(gross, PL_VAT[vat_class]) == (net, vat)


def test_polish_rates_are_23_8_5_0_and_exempt() -> None:
    assert [(v.code, v.percent) for v in PL_VAT.values()] == [
        ("23", 23),
        ("8", 8),
        ("5", 5),
        ("0", 0),
        ("zw", 0),
    ]


def test_an_allocation_adds_up_and_gives_ties_to_the_earlier_part() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [5, 3, 2]) == [5, 3, 2]
    assert allocate(7, [0, 0]) == [0, 0]
    assert sum(allocate(9999, [333, 1, 7000, 12])) == 9999


def test_the_largest_remainder_gets_the_spare_grosz() -> None:
    assert allocate(10, [1, 2]) == [3, 7]  # 3.33 and 6.67: the larger remainder is the second


def test_money_reads_as_major_units_with_the_currency() -> None:
    assert money_text(12999, "PLN") == "129.99 PLN"
    assert money_text(5, "EUR") == "0.05 EUR"
    assert money_text(-100, "PLN") == "-1.00 PLN"
    assert money_text(500, "JPY") == "500 JPY"


def test_percentages_read_without_trailing_zeros() -> None:
    assert percent_text(2000) == "20%"
    assert percent_text(1250) == "12.5%"


def test_a_file_price_may_use_a_dot_or_a_comma() -> None:
    assert parse_price("129.99", "PLN") == 12999
    assert parse_price("129,9", "PLN") == 12990
    assert parse_price(" 7 ", "PLN") == 700


@pytest.mark.parametrize("bad", ["12.345", "abc", "-1", "1 299,00", "", "1e3"])
def test_a_malformed_file_price_says_what_is_wrong(bad: str) -> None:
    with pytest.raises(ValueError, match=r"price|decimal"):
        parse_price(bad, "PLN")


def test_percentages_have_at_most_two_decimals() -> None:
    assert percent_to_bp(Decimal("12.5")) == 1250
    with pytest.raises(ValueError, match="two decimal"):
        percent_to_bp(Decimal("12.345"))


def test_coupon_codes_match_in_any_case() -> None:
    assert normalise_coupon(" witaj10 ") == "WITAJ10"


def test_each_kind_names_what_it_misses_and_what_it_does_not_use() -> None:
    problems = promotion_problems(PromotionKind.PERCENT_OFF, {"amount": 100, "currency": "PLN"})
    assert {(p.field, p.type) for p in problems} == {
        ("percent", "missing"),
        ("amount", "not_allowed"),
    }
    problems = promotion_problems(
        PromotionKind.BUNDLE_PRICE, {"bundle_size": 3, "bundle_price": 9900}
    )
    assert [(p.field, p.type) for p in problems] == [("currency", "missing")]
    assert promotion_problems(PromotionKind.FREE_DELIVERY, {}) == []


def test_a_promotion_ends_after_it_starts() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    problems = promotion_problems(
        PromotionKind.PERCENT_OFF, {"percent_bp": 1000, "starts_at": start, "ends_at": start}
    )
    assert [p.field for p in problems] == ["ends_at"]
