"""Inventory errors, each with its stable code."""

from __future__ import annotations

from omnichannel.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound


class InsufficientStock(Conflict):
    """Not enough available to reserve (or ship); nothing of the request was held."""

    code = "insufficient_stock"
    title = "Insufficient stock"


class StockReserved(Conflict):
    """The change would leave reservations without stock behind them."""

    code = "stock_reserved"


class ReservationNotFound(NotFound):
    code = "reservation_not_found"


class NotReservationOwner(Forbidden):
    code = "not_reservation_owner"


class ReservationNotActive(Conflict):
    code = "reservation_not_active"


class TransferNotInTransit(Conflict):
    code = "transfer_not_in_transit"


class UnknownStockItem(InvalidInput):
    """A variant or location named in the body does not exist."""

    code = "unknown_stock_item"
