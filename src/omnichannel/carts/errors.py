"""Cart errors, each with its stable code."""

from __future__ import annotations

from omnichannel.kernel.errors import Conflict, DomainError, NotFound


class CartNotFound(NotFound):
    """Unknown, or not yours: the two are not told apart."""

    code = "cart_not_found"


class CartClosed(Conflict):
    """The cart was checked out or merged: nothing more can change in it."""

    code = "cart_closed"


class HandoffCodeExpired(DomainError):
    status = 410
    code = "handoff_code_expired"
    title = "Handoff code expired"


class HandoffCodeUnknown(NotFound):
    code = "handoff_code_unknown"
