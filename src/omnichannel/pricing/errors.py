"""Pricing errors, each with its stable code."""

from __future__ import annotations

from typing import Any

from omnichannel.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound


class PriceListCodeTaken(Conflict):
    code = "price_list_code_taken"


class BaseListExists(Conflict):
    """A currency has one active base list: the one price every customer starts from."""

    code = "base_list_exists"


class PromotionCodeTaken(Conflict):
    code = "promotion_code_taken"


class CouponCodeTaken(Conflict):
    code = "coupon_code_taken"


class PromotionArchived(Conflict):
    code = "promotion_archived"


class PriceListNotFound(NotFound):
    code = "price_list_not_found"


class PromotionNotFound(NotFound):
    code = "promotion_not_found"


class CouponNotFound(NotFound):
    code = "coupon_not_found"


class UnknownCustomer(NotFound):
    """A quote for a customer id no profile has."""

    code = "customer_not_found"


class SegmentsNotClaimable(Forbidden):
    """Segments named in a quote by someone without `pricing:preview`: a customer's
    segments come from their profile, never from the caller."""

    code = "segments_not_claimable"


class Unpriced(InvalidInput):
    """A line of a quote has no price in the currency asked (or is not for sale)."""

    code = "unpriced"


class PriceImportRejected(InvalidInput):
    """A price import with problems: every one is listed, nothing was written."""

    code = "price_import_rejected"
    title = "Import rejected"


class RedemptionRefused(Conflict):
    """A promotion or coupon ran out between the quote and the order: quote again."""

    code = "redemption_refused"


def field_error(field: str, message: str, type_: str) -> dict[str, Any]:
    return {"field": field, "message": message, "type": type_}
