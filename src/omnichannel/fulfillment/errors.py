"""Fulfilment errors, each with its stable code."""

from __future__ import annotations

from omnichannel.kernel.errors import Conflict, DomainError, InvalidInput, NotFound


class FulfilmentNotFound(NotFound):
    code = "fulfilment_order_not_found"


class PickupNotFound(NotFound):
    """No pickup for that order: unknown, not a pickup, or not confirmed yet."""

    code = "pickup_not_found"


class FulfilmentStateConflict(Conflict):
    """The fulfilment order is not where this step starts (sent already, not arrived)."""

    code = "invalid_fulfilment_state"


class PickupStateConflict(Conflict):
    """The pickup is not where this step starts (not ready yet, collected, expired)."""

    code = "invalid_pickup_state"


class WrongPickupCode(InvalidInput):
    """Not the pickup's code; the try is counted (`tries_left`)."""

    code = "wrong_pickup_code"


class PickupCodeLocked(Conflict):
    """Too many wrong codes: refused unchecked until `locked_until` (or a new code)."""

    code = "pickup_code_locked"


class ShipmentNotFound(NotFound):
    code = "shipment_not_found"


class CarrierUnavailable(DomainError):
    """The carrier did not answer: the shipment waits as requested; asking again with
    the same shipment is safe (its id is the carrier's idempotency key)."""

    status = 503
    code = "carrier_unavailable"
    title = "Carrier unavailable"
