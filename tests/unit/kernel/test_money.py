import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnichannel.kernel import Money
from omnichannel.kernel.money import CurrencyMismatch


def test_money_adds_within_one_currency() -> None:
    assert Money(1050, "PLN") + Money(250, "PLN") == Money(1300, "PLN")


def test_money_refuses_to_add_two_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(100, "PLN") + Money(100, "EUR")


def test_money_refuses_fractional_amounts() -> None:
    with pytest.raises(TypeError):
        Money(10.5, "PLN")  # type: ignore[arg-type]


def test_money_refuses_a_lowercase_or_short_currency() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(1, "pln")


@given(
    amount=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(
        lambda w: sum(w) > 0
    ),
)
def test_allocation_never_loses_or_invents_a_grosz(amount: int, weights: list[int]) -> None:
    parts = Money(amount, "PLN").allocate(weights)
    assert sum(p.amount for p in parts) == amount
    assert len(parts) == len(weights)
