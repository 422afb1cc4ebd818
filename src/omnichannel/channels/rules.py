"""Channel types and the scopes an API key may carry."""

from __future__ import annotations

from enum import StrEnum


class ChannelType(StrEnum):
    WEB = "web"
    MOBILE_APP = "mobile_app"
    STORE_POS = "store_pos"
    CALL_CENTER = "call_center"
    MARKETPLACE = "marketplace"
    SOCIAL = "social"


class Scope(StrEnum):
    """What a channel's API key may do. Scope names match staff permissions, so one
    `require(...)` dependency guards an endpoint for both kinds of caller."""

    CATALOG_READ = "catalog:read"
    LOCATIONS_READ = "locations:read"
    INVENTORY_READ = "inventory:read"  # availability for the channel
    INVENTORY_RESERVE = "inventory:reserve"  # hold stock for carts and orders
    # Customers without their personal data: a key never carries customers:pii.
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_IDENTIFY = "customers:identify"  # checkout: find or start a profile by identity
    CUSTOMERS_EVENTS = "customers:events"  # web and app send interactions to the timeline
    PRICING_READ = "pricing:read"  # quotes and prices to show
    CARTS_WRITE = "carts:write"  # anonymous carts (by their token) and carts handed off by code
    ORDERS_WRITE = "orders:write"  # check carts out, till sales
    ORDERS_IMPORT = "orders:import"  # marketplaces: import their orders
    PAYMENTS_READ = "payments:read"  # a gift card's balance, by its code


class LocationRole(StrEnum):
    SELL_FROM = (
        "sell_from"  # stock here counts towards the channel's availability, in priority order
    )
    PICKUP = "pickup"  # customers of this channel may collect here


# ISO 4217 codes a channel may sell in. Kept explicit: a typo must not open a channel in "PNL".
CURRENCIES = frozenset(
    {"PLN", "EUR", "CZK", "HUF", "RON", "BGN", "SEK", "DKK", "NOK", "CHF", "GBP", "USD", "UAH"}
)

KEY_PREFIX = "omck_"
