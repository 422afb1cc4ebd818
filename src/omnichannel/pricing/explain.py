"""One line of plain text per applied promotion, so a cashier, a call-center agent and
a customer all read the same reason for the same price."""

from __future__ import annotations

from omnichannel.pricing.offers import Offer
from omnichannel.pricing.rules import BP, PromotionKind, money_text, percent_text


def _units(n: int, word: str = "unit") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe(offer: Offer, currency: str) -> str:
    """What the offer gives, without amounts of a particular cart."""
    kind = offer.kind
    if kind is PromotionKind.PERCENT_OFF:
        return f"{percent_text(offer.percent_bp)} off"
    if kind is PromotionKind.AMOUNT_OFF:
        return f"{money_text(offer.amount, currency)} off each unit"
    if kind is PromotionKind.BUY_X_GET_Y:
        reward = "free" if offer.percent_bp >= BP else f"at {percent_text(offer.percent_bp)} off"
        return f"buy {offer.buy}, get {offer.get} {reward}"
    if kind is PromotionKind.BUNDLE_PRICE:
        return f"any {offer.bundle_size} for {money_text(offer.bundle_price, currency)}"
    above = f" on orders from {money_text(offer.threshold, currency)}" if offer.threshold else ""
    if kind is PromotionKind.CART_PERCENT_OFF:
        return f"{percent_text(offer.percent_bp)} off the order{above}"
    if kind is PromotionKind.CART_AMOUNT_OFF:
        return f"{money_text(offer.amount, currency)} off the order{above}"
    return f"free delivery{above}"


def explain(offer: Offer, amount: int, units: int, currency: str, coupon: str | None) -> str:
    """`Zimowa wyprzedaż: 20% off, 2 units: -49.98 PLN (coupon ZIMA)`."""
    what = describe(offer, currency)
    if offer.kind is PromotionKind.BUNDLE_PRICE:
        what += f", {_units(units, 'bundle')}"
    elif offer.kind is PromotionKind.BUY_X_GET_Y:
        what += f", {_units(units, 'group')}"
    elif offer.kind is not PromotionKind.FREE_DELIVERY:
        what += f", {_units(units)}"
    text = f"{offer.name}: {what}: -{money_text(amount, currency)}"
    return f"{text} (coupon {coupon})" if coupon else text
