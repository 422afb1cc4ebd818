"""Pure rules of stock: kinds of movement, reservation states, ATP arithmetic."""

from __future__ import annotations

from enum import StrEnum

# Allowance stored for "backorder with no limit": large, but far from overflow.
UNLIMITED = 1_000_000_000


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    SALE = "sale"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    COUNT = "count"  # a cycle count's correction: counted minus what the system had
    DAMAGE = "damage"
    SYNC = "sync"  # an ERP/WMS absolute-level sync's correction


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    COMMITTED = "committed"


class OwnerType(StrEnum):
    CART = "cart"
    ORDER = "order"
    HOLD = "hold"


def location_atp(on_hand: int, reserved: int, safety_stock: int) -> int:
    """What one location can still promise: never negative."""
    return max(0, on_hand - reserved - safety_stock)


def apply_buffer(atp: int, *, percent: int | None, reserve: int | None) -> int:
    """A channel buffer: expose at most `percent` % of ATP, and/or keep `reserve` units back."""
    out = atp
    if percent is not None:
        out = out * percent // 100
    if reserve is not None:
        out = max(0, out - reserve)
    return out


def sellable(
    orderable: int, *, unlimited: bool, percent: int | None, reserve: int | None
) -> int | None:
    """What a channel may still sell of a variant: its orderable units with its buffer
    applied (None: backorders without limit). The channel is shown this number, and a
    take for the channel may not exceed it (`buffers.py`)."""
    return None if unlimited else apply_buffer(orderable, percent=percent, reserve=reserve)


def allowance_of(backorder: bool, limit: int | None) -> int:
    """The per-location headroom a policy grants beyond on_hand."""
    if not backorder:
        return 0
    return UNLIMITED if limit is None else limit
