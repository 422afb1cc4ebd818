"""What can go wrong with a shipment, each with its stable code."""

from __future__ import annotations

from typing import Any

from omnichannel.kernel.errors import Conflict, InvalidInput, NotFound


def field_error(field: str, message: str, type_: str) -> dict[str, Any]:
    return {"field": field, "message": message, "type": type_}


class CarrierError(Exception):
    """The carrier could not be reached, or failed: whether anything happened is
    unknown; asking again with the same idempotency key is safe."""


class UnknownCarrier(InvalidInput):
    code = "unknown_carrier"


class InvalidPointId(InvalidInput):
    code = "invalid_point_id"


class TooBigForLocker(InvalidInput):
    """The parcel fits no locker compartment (size or weight): send it by courier."""

    code = "too_big_for_locker"


class SizeUnknown(InvalidInput):
    """An item has no weight or no dimensions, so no compartment can be chosen."""

    code = "size_unknown"


class ShipmentNotFound(NotFound):
    code = "shipment_not_found"


class NotCancellable(Conflict):
    """The carrier has the parcel already: it can be returned, not cancelled."""

    code = "shipment_not_cancellable"
