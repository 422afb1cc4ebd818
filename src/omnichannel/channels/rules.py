"""Channel types and the scopes an API key may carry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from omnichannel.kernel.errors import InvalidInput


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


# What a key of each channel type may hold: the least the channel needs (the README
# lists it too).
# A key asking for more is refused when issued; a key issued before a scope was taken
# from its type keeps it stored but loses it when it signs in (the intersection).
# Nobody outside listing and serving customers may list them or read cases and
# timelines (`customers:read`): marketplaces, social shops, the web shop and the app
# know a customer only through checkout and the customer's own sign-in.
# What every selling channel does: list offers (catalog, availability, prices) and
# hold stock for what sells there.
_OFFER = frozenset(
    {Scope.CATALOG_READ, Scope.INVENTORY_READ, Scope.INVENTORY_RESERVE, Scope.PRICING_READ}
)
# Channels whose buyers fill carts here and check them out (our delivery fee applies).
_CHECKOUT = _OFFER | {Scope.CARTS_WRITE, Scope.ORDERS_WRITE}
# Our own shops: pickup needs the stores (`locations:read`), checkout finds the
# buyer's profile and signs customers in (`customers:identify`), a gift card's
# balance can be checked.
_OWN_SHOP = _CHECKOUT | {Scope.LOCATIONS_READ, Scope.CUSTOMERS_IDENTIFY, Scope.PAYMENTS_READ}

SCOPES_BY_TYPE: dict[ChannelType, frozenset[Scope]] = {
    # Storefronts also send interactions to the timeline.
    ChannelType.WEB: _OWN_SHOP | {Scope.CUSTOMERS_EVENTS},
    ChannelType.MOBILE_APP: _OWN_SHOP | {Scope.CUSTOMERS_EVENTS},
    # A till looks the customer at the counter up (by card, phone, e-mail).
    ChannelType.STORE_POS: _OWN_SHOP | {Scope.CUSTOMERS_READ},
    # The call center serves customers: it reads them, their cases and timelines, and
    # records the call on the timeline; it takes orders, never imports them.
    ChannelType.CALL_CENTER: _OWN_SHOP | {Scope.CUSTOMERS_READ, Scope.CUSTOMERS_EVENTS},
    # A marketplace imports the orders it took and was paid for.
    ChannelType.MARKETPLACE: _OFFER | {Scope.ORDERS_IMPORT},
    # A social shop checks out the carts its buyers fill there; it neither imports
    # marketplace orders nor signs customers in.
    ChannelType.SOCIAL: _CHECKOUT,
}


def allowed_scopes(channel_type: str) -> frozenset[Scope]:
    """The scopes a key of this channel type may hold (none for an unknown type)."""
    try:
        return SCOPES_BY_TYPE[ChannelType(channel_type)]
    except ValueError:
        return frozenset()


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


# InPost-style point ids: three letters of the town, two or three digits, an optional
# letter ("KRA01M", "WAW123A", "GDA05"). Upper case; what people type is normalised.
POINT_ID = re.compile(r"^[A-Z]{3}[0-9]{2,3}[A-Z]{0,2}$")


def normalise_point_id(text: str) -> str | None:
    """The point id in its canonical form, or None when it is not one."""
    candidate = text.strip().upper()
    return candidate if POINT_ID.match(candidate) else None


class DeliveryMethod(StrEnum):
    """How an order reaches its buyer, as a delivery fee depends on it."""

    COURIER = "courier"  # to an address
    LOCKER = "locker"  # to a parcel locker (InPost-style point)
    PICKUP = "pickup"  # collected at one of the channel's pickup locations
    CARRY_OUT = "carry_out"  # a till sale: the customer takes the goods, nothing to charge


# Cash on delivery is collected by whoever hands the parcel over: only a carrier.
# Paying at a pickup counter is a payment method of its own, with no surcharge.
SHIPPED = frozenset({DeliveryMethod.COURIER, DeliveryMethod.LOCKER})


class DeliveryMethodNotOffered(InvalidInput):
    """The channel has no rate for the method: it does not deliver that way."""

    code = "delivery_method_not_offered"


class CashOnDeliveryNotOffered(InvalidInput):
    """Cash on delivery asked where the channel or the method does not collect it."""

    code = "cash_on_delivery_not_offered"


@dataclass(frozen=True, slots=True)
class DeliveryRates:
    """A channel's delivery fees in minor units of its currency; None: not offered.

    `cash_on_delivery` is a surcharge added to a shipped method's fee when the buyer
    pays the carrier on delivery.
    """

    courier: int | None = 0
    locker: int | None = None
    pickup: int | None = 0
    cash_on_delivery: int | None = 0

    def fee(
        self,
        method: DeliveryMethod,
        *,
        cash_on_delivery: bool = False,
        field: str = "delivery_method",
    ) -> int | None:
        """What delivery costs this way: the method's rate plus the COD surcharge; None
        for carry-out (no delivery line at all). 422 `delivery_method_not_offered` or
        `cash_on_delivery_not_offered` naming `field` (or `cash_on_delivery`)."""
        if method is DeliveryMethod.CARRY_OUT:
            rate: int | None = None
        else:
            rate = getattr(self, method.value)
            if rate is None:
                raise DeliveryMethodNotOffered(
                    f"This channel does not deliver by {method.value}.",
                    errors=[_error(field, "not offered by this channel", "not_offered")],
                )
        if not cash_on_delivery:
            return rate
        if method not in SHIPPED or self.cash_on_delivery is None:
            where = "by " + method.value if method not in SHIPPED else "in this channel"
            raise CashOnDeliveryNotOffered(
                f"Cash on delivery is not offered {where}.",
                errors=[_error("cash_on_delivery", f"not offered {where}", "not_offered")],
            )
        return (rate or 0) + self.cash_on_delivery

    @property
    def legacy_delivery_price(self) -> int | None:
        """The single home-delivery fee of before the rate table: the courier rate,
        None when it is free or not offered (as a free one was written then)."""
        return self.courier or None


def _error(field: str, message: str, type_: str) -> dict[str, str]:
    return {"field": field, "message": message, "type": type_}
