"""Pricing use cases, in one place for entrypoints and other domains to import.

The work lives in `lists` (price lists, setting effective-dated prices), `prices`
(reading them), `promotions` and `coupons`, `quoting` (the quote; `quote_read` in
`schemas_quote` is its public shape) and `limits` (coupons and usage limits in a
quote), `redemption` (usage taken by orders), `display` and `history` (prices to
show, the EU Omnibus reference), `importing` (bulk prices) and `parity` (the
channel parity report). The promotion engine itself is pure (`engine.price`).
"""

from __future__ import annotations

from omnichannel.pricing.coupons import (
    coupons_by_code,
    generate_codes,
    get_coupon,
    issue_coupons,
    list_coupons,
    update_coupon,
)
from omnichannel.pricing.display import (
    DisplayPrice,
    HistoryRow,
    display_prices,
    price_history,
)
from omnichannel.pricing.importing import import_prices, read_price_file, resolve_rows
from omnichannel.pricing.limits import CouponCheck
from omnichannel.pricing.lists import (
    PriceChange,
    create_price_list,
    get_price_list,
    list_price_lists,
    price_lists_by_code,
    set_prices,
    update_price_list,
)
from omnichannel.pricing.parity import Difference, Override, ParityReport, parity
from omnichannel.pricing.prices import list_prices, prices_at
from omnichannel.pricing.promotions import (
    create_promotion,
    find_promotion,
    get_promotion,
    list_promotions,
    update_promotion,
    usage,
)
from omnichannel.pricing.quoting import Item, Quote, QuoteLine, quote, quote_at, segments_from
from omnichannel.pricing.redemption import Redeemed, redeem, release
from omnichannel.pricing.schemas_quote import quote_read

__all__ = [
    "CouponCheck",
    "Difference",
    "DisplayPrice",
    "HistoryRow",
    "Item",
    "Override",
    "ParityReport",
    "PriceChange",
    "Quote",
    "QuoteLine",
    "Redeemed",
    "coupons_by_code",
    "create_price_list",
    "create_promotion",
    "display_prices",
    "find_promotion",
    "generate_codes",
    "get_coupon",
    "get_price_list",
    "get_promotion",
    "import_prices",
    "issue_coupons",
    "list_coupons",
    "list_price_lists",
    "list_prices",
    "list_promotions",
    "parity",
    "price_history",
    "price_lists_by_code",
    "prices_at",
    "quote",
    "quote_at",
    "quote_read",
    "read_price_file",
    "redeem",
    "release",
    "resolve_rows",
    "segments_from",
    "set_prices",
    "update_coupon",
    "update_price_list",
    "update_promotion",
    "usage",
]
