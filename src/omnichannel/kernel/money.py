"""Money is an integer number of minor units plus an ISO 4217 currency code."""

from __future__ import annotations

from dataclasses import dataclass

# Minor-unit exponents that differ from 2; everything else we sell in has cents/grosze.
_EXPONENTS = {"JPY": 0, "HUF": 2, "KRW": 0, "ISK": 0, "CLP": 0, "BHD": 3, "KWD": 3}


class CurrencyMismatch(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units: grosze for PLN, cents for EUR
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount is an int of minor units")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 code: {self.currency!r}")

    @property
    def exponent(self) -> int:
        return _EXPONENTS.get(self.currency, 2)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, qty: int) -> Money:
        return Money(self.amount * qty, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split into parts proportional to weights; the remainder goes to the first parts,
        so the parts always add up to the whole (no grosz lost)."""
        total = sum(weights)
        if total <= 0 or any(w < 0 for w in weights):
            raise ValueError("weights must be non-negative with a positive sum")
        sign = -1 if self.amount < 0 else 1
        whole = abs(self.amount)
        parts = [whole * w // total for w in weights]
        for i in range(whole - sum(parts)):
            parts[i % len(parts)] += 1
        return [Money(sign * p, self.currency) for p in parts]
