"""The order state machine and order kinds: plain values, no I/O."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    ALLOCATED = "allocated"
    IN_FULFILMENT = "in_fulfilment"
    PARTIALLY_SHIPPED = "partially_shipped"  # some fulfilments have left, some not yet
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    COLLECTED = "collected"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = OrderStatus

# Every move the machine allows; anything else is a 409 naming the current state.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.ALLOCATED, S.CANCELLED}),
    S.ALLOCATED: frozenset(
        {S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED, S.READY_FOR_PICKUP, S.CANCELLED}
    ),
    S.IN_FULFILMENT: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.READY_FOR_PICKUP, S.CANCELLED}),
    # Another shipment of several leaves: a move of its own, the same state.
    S.PARTIALLY_SHIPPED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.READY_FOR_PICKUP: frozenset({S.COLLECTED, S.CANCELLED}),
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.COLLECTED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Goods have left (or are gone to the customer): no cancel, and payment is captured.
GOODS_LEFT = frozenset({S.SHIPPED, S.COLLECTED, S.DELIVERED, S.COMPLETED})
# The order still holds reserved stock it can give back on cancel.
HOLDS_STOCK = frozenset(
    {
        S.PENDING_PAYMENT,
        S.CONFIRMED,
        S.ALLOCATED,
        S.IN_FULFILMENT,
        S.PARTIALLY_SHIPPED,  # what has not left yet
        S.READY_FOR_PICKUP,
    }
)


# A customer cancels on their own only before the order is being fulfilled.
CUSTOMER_CANCELLABLE = frozenset({S.PENDING_PAYMENT, S.CONFIRMED})


def can_move(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


class OrderKind(StrEnum):
    """How the order came in; the origin channel says where."""

    CHECKOUT = "checkout"  # web or app checkout of a cart (or a cart handed to a till)
    POS = "pos"  # a sale at the till: paid, and the goods leave at once
    CALL_CENTER = "call_center"  # an agent orders for a customer
    MARKETPLACE = "marketplace"  # imported from a marketplace (idempotent on its id)
    ENDLESS_AISLE = "endless_aisle"  # staff in one store order for delivery or pickup elsewhere
    # Held at a chosen store without paying, paid at its till on pickup; not collected
    # within the hold, the order is cancelled.
    RESERVE_COLLECT = "reserve_collect"


class Fulfilment(StrEnum):
    DELIVERY = "delivery"  # shipped to an address
    PICKUP = "pickup"  # collected at a store (click&collect)
    CARRY_OUT = "carry_out"  # a till sale: the customer takes the goods


class AllocationStatus(StrEnum):
    """Where an allocation's units stand."""

    HELD = "held"  # reserved at its location
    IN_TRANSIT = "in_transit"  # on a transfer to the pickup store, held for the order
    LEFT = "left"  # sold: shipped, collected or carried out
    RELEASED = "released"  # given back: cancelled, expired or re-routed


LIVE_ALLOCATIONS = frozenset({AllocationStatus.HELD, AllocationStatus.IN_TRANSIT})


MAX_LINES = 100
NUMBER_ALPHABET = "0123456789ACDEFGHJKLMNPQRTUVWXY"
