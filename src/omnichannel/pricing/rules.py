"""Pure pricing rules: VAT rates, rounding, money as text, and the vocabulary of
price lists, promotions and coupons. No database, no HTTP.

Rounding, written down once (the README repeats it):

* Every amount is an integer number of minor units (grosze for PLN, cents for EUR).
* A line's value is `unit price x quantity`, exact.
* A percentage is taken of a *line* (never of a unit, never of the whole cart) and
  rounded half-up to the minor unit: 10 % of 12.35 zł is 1.24 zł (1.235 -> 1.24).
* An amount shared between lines (a fixed cart discount, a bundle's saving) is split
  in proportion to the lines' values by the largest-remainder method, so the parts
  add up to the whole and ties go to the earlier line.
* Prices are gross. A line's VAT is worked out from its final gross amount:
  net = gross x 100 / (100 + rate), half-up; VAT = gross - net. Exempt ("zw") and 0 %
  lines carry no VAT.
* The quote's totals (gross, net, VAT, and each rate of the VAT breakdown) are the
  sums of its lines, so they always add up to the grosz.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache

from omnichannel.kernel import Money

BP = 10_000  # basis points in 100 %

# The largest unit price or fixed amount anyone may enter: 10 million in major units
# (and so inside a 32-bit column).
MAX_AMOUNT = 1_000_000_000
MAX_BUDGET = 1_000_000_000_000
MAX_QUANTITY = 10_000
MAX_LINES = 200
MAX_COUPONS = 5
MAX_SEGMENTS = 20
MAX_USES = 100_000_000
MAX_PRIORITY = 1_000

SEGMENT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a till


class ListKind(StrEnum):
    BASE = "base"  # the one price every customer sees, per currency
    SEGMENT = "segment"  # prices for a customer segment (VIP, employees, B2B...)
    CHANNEL = "channel"  # an explicit channel override: the parity report lists it


class ListStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class PromotionKind(StrEnum):
    PERCENT_OFF = "percent_off"  # items: a percentage off each matching line
    AMOUNT_OFF = "amount_off"  # items: a fixed amount off each matching unit
    BUY_X_GET_Y = "buy_x_get_y"  # of every X+Y matching units, the Y cheapest free or cheaper
    BUNDLE_PRICE = "bundle_price"  # any N matching units for a fixed price
    CART_PERCENT_OFF = "cart_percent_off"  # a percentage off the order above a threshold
    CART_AMOUNT_OFF = "cart_amount_off"  # a fixed amount off the order above a threshold
    FREE_DELIVERY = "free_delivery"  # delivery free above a threshold


class Stacking(StrEnum):
    COMBINABLE = "combinable"  # applies together with every other combinable promotion
    EXCLUSIVE = "exclusive"  # applies alone, when it is the customer's best offer


class PromotionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class CouponStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class Refusal(StrEnum):
    """Why a coupon did not count: every refused code in a quote names one."""

    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    PAUSED = "paused"
    EXHAUSTED = "exhausted"
    CUSTOMER_REQUIRED = "customer_required"
    CUSTOMER_LIMIT = "customer_limit"
    WRONG_SEGMENT = "wrong_segment"
    WRONG_CHANNEL = "wrong_channel"
    WRONG_CURRENCY = "wrong_currency"
    BELOW_THRESHOLD = "below_threshold"
    NOT_APPLICABLE = "not_applicable"
    NOT_COMBINABLE = "not_combinable"


REFUSAL_TEXT = {
    Refusal.UNKNOWN: "no such coupon",
    Refusal.DUPLICATE: "this coupon, or another for the same promotion, is already in the quote",
    Refusal.REVOKED: "this coupon has been withdrawn",
    Refusal.EXPIRED: "this coupon has expired",
    Refusal.NOT_STARTED: "this coupon is not valid yet",
    Refusal.PAUSED: "this promotion is paused",
    Refusal.EXHAUSTED: "this coupon has been used up",
    Refusal.CUSTOMER_REQUIRED: "this coupon is limited per customer: the customer must be known",
    Refusal.CUSTOMER_LIMIT: "this customer has already used this coupon as often as allowed",
    Refusal.WRONG_SEGMENT: "this coupon is for another customer segment",
    Refusal.WRONG_CHANNEL: "this coupon is not valid in this channel",
    Refusal.WRONG_CURRENCY: "this coupon is for another currency",
    Refusal.BELOW_THRESHOLD: "the order is below this coupon's minimum",
    Refusal.NOT_APPLICABLE: "nothing in the order qualifies for this coupon",
    Refusal.NOT_COMBINABLE: "a better offer that cannot be combined with this coupon applies",
}


@dataclass(frozen=True, slots=True)
class Vat:
    """A VAT rate as shown on a receipt: "23", "8", "5", "0" or "zw" (exempt)."""

    code: str
    percent: int


# Polish rates by the catalog's tax class of a variant.
PL_VAT: dict[str, Vat] = {
    "standard": Vat("23", 23),
    "reduced": Vat("8", 8),
    "super_reduced": Vat("5", 5),
    "zero": Vat("0", 0),
    "exempt": Vat("zw", 0),
}
DELIVERY_VAT = PL_VAT["standard"]


def vat_for(vat_class: str) -> Vat:
    """The rate of a tax class (an unknown class is a bug, not a guess)."""
    return PL_VAT[vat_class]


# --- arithmetic ---------------------------------------------------------------------


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def percent_of(amount: int, bp: int) -> int:
    """`bp` basis points of an amount, half-up."""
    return half_up(amount * bp, BP)


def split_gross(gross: int, vat: Vat) -> tuple[int, int]:
    """(net, VAT) of a gross amount: net is rounded half-up, VAT is the rest."""
    if vat.percent == 0:
        return gross, 0
    net = half_up(gross * 100, 100 + vat.percent)
    return net, gross - net


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split a non-negative total in proportion to non-negative weights by largest
    remainder; ties go to the earlier weight. Parts sum to the total exactly."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


# --- money as text ------------------------------------------------------------------


@cache
def exponent(currency: str) -> int:
    """Minor-unit digits of a currency (2 for PLN and EUR)."""
    return Money(0, currency).exponent


def money_text(amount: int, currency: str) -> str:
    """Locale-neutral text for explanations: `1234.50 PLN`. Channels format for people."""
    e = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**e)
    return f"{sign}{whole}.{minor:0{e}d} {currency}" if e else f"{sign}{whole} {currency}"


def percent_text(bp: int) -> str:
    """`20%`, `12.5%`."""
    text = f"{Decimal(bp) / 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


_PRICE = re.compile(r"^\d+(?:[.,]\d+)?$")


def parse_price(text: str, currency: str) -> int:
    """A decimal price as written in a file ("129.99" or "129,99") in minor units;
    ValueError saying what is wrong otherwise."""
    raw = text.strip()
    if not _PRICE.match(raw):
        raise ValueError(f"{text!r} is not a price: digits with an optional decimal part")
    e = exponent(currency)
    minor = raw.replace(",", ".").partition(".")[2]
    if len(minor) > e:
        raise ValueError(f"{currency} has {e} decimal places, {text!r} has {len(minor)}")
    try:
        value = int(Decimal(raw.replace(",", ".")) * 10**e)
    except InvalidOperation:  # pragma: no cover - the pattern already refused it
        raise ValueError(f"{text!r} is not a price") from None
    if value > MAX_AMOUNT:
        raise ValueError(f"{text!r} is more than {money_text(MAX_AMOUNT, currency)}")
    return value


def percent_to_bp(percent: Decimal) -> int:
    """12.5 -> 1250 basis points; at most two decimal places."""
    bp = percent * 100
    if bp != bp.to_integral_value():
        raise ValueError("a percentage has at most two decimal places")
    return int(bp)


def normalise_coupon(code: str) -> str:
    """Coupon codes are matched case-insensitively, ignoring surrounding spaces."""
    return code.strip().upper()


# --- what each kind of promotion needs ------------------------------------------------

# Parameters of a promotion, by column name; the public (API) name where it differs.
PARAMETERS = (
    "percent_bp",
    "amount",
    "threshold",
    "buy_quantity",
    "get_quantity",
    "bundle_size",
    "bundle_price",
)
PUBLIC_NAME = {"percent_bp": "percent"}
_MONEY = ("amount", "threshold", "bundle_price", "budget")

# kind -> (required parameters, optional parameters)
_NEEDS: dict[PromotionKind, tuple[frozenset[str], frozenset[str]]] = {
    PromotionKind.PERCENT_OFF: (frozenset({"percent_bp"}), frozenset()),
    PromotionKind.AMOUNT_OFF: (frozenset({"amount"}), frozenset()),
    PromotionKind.BUY_X_GET_Y: (
        frozenset({"buy_quantity", "get_quantity"}),
        frozenset({"percent_bp"}),
    ),
    PromotionKind.BUNDLE_PRICE: (frozenset({"bundle_size", "bundle_price"}), frozenset()),
    PromotionKind.CART_PERCENT_OFF: (frozenset({"percent_bp"}), frozenset({"threshold"})),
    PromotionKind.CART_AMOUNT_OFF: (frozenset({"amount"}), frozenset({"threshold"})),
    PromotionKind.FREE_DELIVERY: (frozenset(), frozenset({"threshold"})),
}


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str
    type: str


def promotion_problems(kind: PromotionKind, values: dict[str, object]) -> list[Problem]:
    """What is wrong with a promotion's parameters for its kind (empty if nothing).

    `values` has the column names: percent_bp, amount, ..., currency, budget,
    starts_at, ends_at."""
    required, optional = _NEEDS[kind]
    out = []
    for name in PARAMETERS:
        public = PUBLIC_NAME.get(name, name)
        present = values.get(name) is not None
        if name in required and not present:
            out.append(Problem(public, f"required for a {kind.value} promotion", "missing"))
        elif present and name not in required | optional:
            out.append(Problem(public, f"not used by a {kind.value} promotion", "not_allowed"))
    if kind is PromotionKind.BUY_X_GET_Y and values.get("percent_bp") == 0:
        out.append(Problem("percent", "the Y units need a reduction above 0", "greater_than"))
    if any(values.get(n) for n in _MONEY) and not values.get("currency"):
        out.append(Problem("currency", "a promotion with amounts needs their currency", "missing"))
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if isinstance(starts, datetime) and isinstance(ends, datetime) and ends <= starts:
        out.append(Problem("ends_at", "must be after starts_at", "invalid_window"))
    return out
