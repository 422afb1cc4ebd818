"""What the promotion engine works on: plain, immutable values with no database
behind them. The quote service builds them from the tables; tests build them by hand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from omnichannel.pricing.rules import PromotionKind, Refusal, Stacking, Vat

MULTI_BUY = frozenset({PromotionKind.BUY_X_GET_Y, PromotionKind.BUNDLE_PRICE})
ITEM = frozenset({PromotionKind.PERCENT_OFF, PromotionKind.AMOUNT_OFF})
ORDER = frozenset({PromotionKind.CART_PERCENT_OFF, PromotionKind.CART_AMOUNT_OFF})


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a cart, with the catalog facts promotions target."""

    variant_id: uuid.UUID
    quantity: int
    unit_price: int  # gross, minor units, from the price list that won
    vat: Vat
    product_id: uuid.UUID | None = None
    brand_id: uuid.UUID | None = None
    category_ids: frozenset[uuid.UUID] = frozenset()  # the category and all above it
    # Every id a promotion may target this line by, as integers: UUIDs never collide,
    # and an int hashes in C where a UUID hashes in Python (this is the hot loop).
    keys: frozenset[int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        ids = {self.variant_id.int, *(c.int for c in self.category_ids)}
        ids |= {x.int for x in (self.product_id, self.brand_id) if x is not None}
        object.__setattr__(self, "keys", frozenset(ids))


@dataclass(frozen=True, slots=True)
class Targets:
    """What a promotion reduces: any of these variants, products, categories (with
    everything below them) or brands. Empty means everything."""

    variant_ids: frozenset[uuid.UUID] = frozenset()
    product_ids: frozenset[uuid.UUID] = frozenset()
    category_ids: frozenset[uuid.UUID] = frozenset()
    brand_ids: frozenset[uuid.UUID] = frozenset()
    keys: frozenset[int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        keys = self.variant_ids | self.product_ids | self.category_ids | self.brand_ids
        object.__setattr__(self, "keys", frozenset(k.int for k in keys))

    @property
    def everything(self) -> bool:
        return not self.keys

    def match(self, line: Line) -> bool:
        return not self.keys or not self.keys.isdisjoint(line.keys)


@dataclass(frozen=True, slots=True)
class Offer:
    """A promotion as the engine sees it. Amounts are minor units of `currency`."""

    id: uuid.UUID
    code: str
    name: str
    kind: PromotionKind
    stacking: Stacking = Stacking.COMBINABLE
    priority: int = 0
    targets: Targets = field(default_factory=Targets)
    percent_bp: int = 0  # percent kinds; buy X get Y: the reduction of the Y units
    amount: int = 0  # amount off a unit, or off the order
    threshold: int = 0  # order kinds and free delivery: the minimum eligible subtotal
    buy: int = 0
    get: int = 0
    bundle_size: int = 0
    bundle_price: int = 0
    currency: str | None = None  # None: a pure percentage, valid in any currency
    segments: frozenset[str] = frozenset()  # empty: every customer
    channels: frozenset[str] = frozenset()  # empty: every channel (non-empty = an override)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    requires_coupon: bool = False
    active: bool = True  # False while paused

    @property
    def phase(self) -> int:
        """Item promotions first, then multi-buy, then the order, then delivery."""
        if self.kind in ITEM:
            return 0
        if self.kind in MULTI_BUY:
            return 1
        if self.kind in ORDER:
            return 2
        return 3

    @property
    def order_key(self) -> tuple[int, int, str]:
        return self.phase, -self.priority, self.code

    def refusal_in_time(self, at: datetime) -> Refusal | None:
        """Paused, not started or ended at `at`, or None."""
        if not self.active:
            return Refusal.PAUSED
        if self.starts_at is not None and at < self.starts_at:
            return Refusal.NOT_STARTED
        if self.ends_at is not None and at >= self.ends_at:
            return Refusal.EXPIRED
        return None

    def refusal(self, cart: Cart) -> Refusal | None:
        """Why this offer cannot apply to the cart at all, or None."""
        early = self.refusal_in_time(cart.at)
        if early is not None:
            return early
        if self.currency is not None and self.currency != cart.currency:
            return Refusal.WRONG_CURRENCY
        if self.segments and self.segments.isdisjoint(cart.segments):
            return Refusal.WRONG_SEGMENT
        if self.channels and cart.channel not in self.channels:
            return Refusal.WRONG_CHANNEL
        if self.requires_coupon and self.id not in cart.coupons:
            return Refusal.NOT_APPLICABLE
        return None


@dataclass(frozen=True, slots=True)
class Cart:
    """The question: these lines, for this customer, in this currency, at this time."""

    currency: str
    lines: tuple[Line, ...]
    at: datetime
    segments: frozenset[str] = frozenset()
    channel: str | None = None  # for attribution; matters only to channel overrides
    coupons: dict[uuid.UUID, str] = field(default_factory=dict)  # offer id -> valid code
    delivery_price: int | None = None
