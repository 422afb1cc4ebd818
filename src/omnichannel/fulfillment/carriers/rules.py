"""What a shipment's tracking says and where a parcel may go, as data: no I/O."""

from __future__ import annotations

from enum import StrEnum

# Where a locker id is checked: the checkout names one, and so does a parcel.
from omnichannel.channels.rules import POINT_ID as POINT_ID
from omnichannel.channels.rules import normalise_point_id as normalise_point_id


class CarrierService(StrEnum):
    COURIER = "courier"  # to the buyer's address
    LOCKER = "locker"  # to a parcel locker the buyer collects from


class TrackingStatus(StrEnum):
    """Where a parcel is, in words every carrier's own statuses map to."""

    CREATED = "created"  # label made, not yet handed to the carrier
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    READY_FOR_PICKUP = "ready_for_pickup"  # in the locker, waiting for the buyer
    DELIVERED = "delivered"
    RETURNED = "returned"  # back with the sender: refused, not collected, undeliverable
    CANCELLED = "cancelled"  # withdrawn before the carrier took it


# Nothing follows these: the parcel's journey is over.
FINAL = frozenset({TrackingStatus.DELIVERED, TrackingStatus.RETURNED, TrackingStatus.CANCELLED})

# A shipment can be withdrawn only while the carrier does not have it yet.
CANCELLABLE = frozenset({TrackingStatus.CREATED})


def can_follow(current: TrackingStatus, new: TrackingStatus) -> bool:
    """Whether a tracking update may move a parcel from `current` to `new`: never out
    of a final status, never back to `created`, and a repeat is no move."""
    return current not in FINAL and new is not TrackingStatus.CREATED and new is not current


class LabelFormat(StrEnum):
    PDF = "pdf"  # A6, for an office printer
    ZPL = "zpl"  # for a thermal label printer


CONTENT_TYPES = {LabelFormat.PDF: "application/pdf", LabelFormat.ZPL: "application/zpl"}
