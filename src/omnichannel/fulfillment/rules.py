"""The fulfilment states and settings' defaults: plain values, no I/O."""

from __future__ import annotations

from enum import StrEnum


class FulfilmentKind(StrEnum):
    SHIP = "ship"  # a parcel to the customer's address or locker
    PICKUP = "pickup"  # goods for a pickup at a store (its own shelf, or a transfer there)
    CARRY_OUT = "carry_out"  # a till sale: the goods left with the customer


class FulfilmentStatus(StrEnum):
    ALLOCATED = "allocated"  # stock held, work not started
    IN_TRANSIT = "in_transit"  # a transfer carries the held units to the pickup store
    READY = "ready"  # waiting at the pickup store's counter
    SHIPPED = "shipped"  # every unit has left in a shipment
    DELIVERED = "delivered"
    COLLECTED = "collected"
    CANCELLED = "cancelled"


F = FulfilmentStatus
OPEN = frozenset({F.ALLOCATED, F.IN_TRANSIT, F.READY})
LEFT = frozenset({F.SHIPPED, F.DELIVERED, F.COLLECTED})


class ShipmentStatus(StrEnum):
    REQUESTED = "requested"  # decided; the carrier is being asked (promise 8)
    LABELLED = "labelled"  # the carrier took it: tracking number and label
    SHIPPED = "shipped"  # handed to the carrier: stock left, payment captured
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    RETURNED = "returned"  # the carrier brought it back
    CANCELLED = "cancelled"


class PickupStatus(StrEnum):
    WAITING = "waiting"  # being prepared (shelf) or on its way (transfer)
    READY = "ready"  # at the counter, the customer told, a code issued
    COLLECTED = "collected"
    EXPIRED = "expired"  # not collected in time: the order was cancelled
    CANCELLED = "cancelled"


class PickupKind(StrEnum):
    CLICK_COLLECT = "click_collect"  # paid (or pay at pickup) online; collected
    RESERVE_COLLECT = "reserve_collect"  # held without paying, paid at the till


# Defaults when a location or channel names none.
READY_WITHIN_HOURS = 4  # opening hours from order to ready on the shelf
COLLECT_WITHIN_DAYS = 7  # open days the counter keeps a ready order
RESERVE_HOLD_HOURS = 48  # a reserve & collect hold, in hours
