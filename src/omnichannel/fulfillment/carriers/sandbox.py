"""The `sandbox` carrier: for the demo and the tests, never for real parcels.

Deterministic and offline: no network. Its ids follow from the idempotency key (the
same key gives the same shipment id and tracking number, in every worker and after a
restart), and a repeated `create_shipment` answers what the first one did. It
remembers, in this process, the shipments it created (the last 10,000) and their
tracking, as a carrier's own records would: the registry keeps one instance per
process, so one request books a parcel and the next one tracks it.

Tests and the demo move a parcel along with `push` (`in_transit`, `delivered`,
`returned`…), which keeps to `rules.can_follow`. A shipment whose reference is
`sandbox_error` raises `CarrierError` (the carrier is down); `delay_ms` makes every
call take that long, as a real carrier's round trip does, so tests can show that
nobody waits for it inside a transaction.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from omnichannel.fulfillment.carriers import labels
from omnichannel.fulfillment.carriers.base import (
    SANDBOX,
    CancelResult,
    CreatedShipment,
    Label,
    ShipmentRequest,
    TrackingEvent,
)
from omnichannel.fulfillment.carriers.errors import CarrierError, ShipmentNotFound
from omnichannel.fulfillment.carriers.rules import (
    CANCELLABLE,
    CarrierService,
    LabelFormat,
    TrackingStatus,
    can_follow,
)
from omnichannel.kernel import utcnow

ERROR = "sandbox_error"
PREFIX = "sbx_shp_"
REMEMBERED = 10_000  # shipments it can answer for


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def shipment_id_for(key: str) -> str:
    """The shipment id the sandbox gives the request with this idempotency key."""
    return PREFIX + _digest(key)[:20]


def tracking_number_for(key: str) -> str:
    """The tracking number it gives: 24 digits, as InPost's are."""
    return f"{int(_digest('tracking:' + key), 16) % 10**24:024d}"


@dataclass(slots=True)
class _Parcel:
    request: ShipmentRequest
    created: CreatedShipment
    events: list[TrackingEvent] = field(default_factory=list)
    cancels: dict[str, CancelResult] = field(default_factory=dict)  # by idempotency key


class SandboxCarrier:
    """The built-in test and demo carrier (see the module docstring)."""

    name = SANDBOX
    services = frozenset(CarrierService)

    def __init__(self, *, delay_ms: int = 0, clock: Callable[[], datetime] = utcnow) -> None:
        self.delay_ms = delay_ms
        self._clock = clock
        self._parcels: OrderedDict[str, _Parcel] = OrderedDict()
        self._lock = threading.Lock()

    def _wait(self) -> None:
        if self.delay_ms > 0:
            time.sleep(self.delay_ms / 1000)  # a carrier's round trip

    def _find(self, carrier_shipment_id: str) -> _Parcel:
        parcel = self._parcels.get(carrier_shipment_id)
        if parcel is None:
            raise ShipmentNotFound(f"The sandbox carrier has no shipment {carrier_shipment_id}.")
        return parcel

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        self._wait()
        if request.reference == ERROR:
            raise CarrierError("sandbox: simulated carrier outage")
        shipment_id = shipment_id_for(request.key)
        with self._lock:
            earlier = self._parcels.get(shipment_id)
            if earlier is not None:  # asked again under the same key: the same answer
                return earlier.created
            tracking = tracking_number_for(request.key)
            body, content_type = labels.render(LabelFormat.PDF, _lines(request), tracking)
            created = CreatedShipment(
                shipment_id, tracking, Label(body, content_type), request.locker_size
            )
            event = TrackingEvent(TrackingStatus.CREATED, self._clock(), "Label created")
            self._parcels[shipment_id] = _Parcel(request, created, [event])
            while len(self._parcels) > REMEMBERED:
                self._parcels.popitem(last=False)
        return created

    def get_label(
        self, carrier_shipment_id: str, *, key: str, format: LabelFormat = LabelFormat.PDF
    ) -> Label:
        self._wait()
        with self._lock:
            parcel = self._find(carrier_shipment_id)
        if format is LabelFormat.PDF:
            return parcel.created.label
        tracking = parcel.created.tracking_number
        return Label(*labels.render(format, _lines(parcel.request), tracking))

    def tracking(self, carrier_shipment_id: str, *, key: str) -> Sequence[TrackingEvent]:
        self._wait()
        with self._lock:
            return tuple(self._find(carrier_shipment_id).events)

    def cancel(self, carrier_shipment_id: str, *, key: str) -> CancelResult:
        self._wait()
        with self._lock:
            parcel = self._find(carrier_shipment_id)
            earlier = parcel.cancels.get(key)
            if earlier is not None:
                return earlier
            last = parcel.events[-1].status
            if last is TrackingStatus.CANCELLED:
                result = CancelResult(True, "Already cancelled")
            elif last in CANCELLABLE:
                parcel.events.append(
                    TrackingEvent(TrackingStatus.CANCELLED, self._clock(), "Cancelled")
                )
                result = CancelResult(True, "Cancelled")
            else:
                result = CancelResult(False, f"The parcel is {last.value}: too late to cancel.")
            parcel.cancels[key] = result
        return result

    def push(
        self,
        shipment: str,
        status: TrackingStatus,
        *,
        at: datetime | None = None,
        description: str = "",
    ) -> bool:
        """Move a parcel on (by shipment id or tracking number), as the carrier's own
        scanners would; False when `rules.can_follow` says it cannot go there."""
        with self._lock:
            parcel = self._parcels.get(shipment) or next(
                (p for p in self._parcels.values() if p.created.tracking_number == shipment),
                None,
            )
            if parcel is None:
                raise ShipmentNotFound(f"The sandbox carrier has no shipment {shipment}.")
            if not can_follow(parcel.events[-1].status, status):
                return False
            parcel.events.append(TrackingEvent(status, at or self._clock(), description))
        return True


def _lines(request: ShipmentRequest) -> list[str]:
    to = request.recipient
    if request.service is CarrierService.LOCKER:
        where = [f"Paczkomat {request.point_id}", f"Size {request.locker_size}"]
    else:
        where = [to.street, f"{to.postal_code} {to.city} {to.country}"]
    cod = request.cash_on_delivery
    lines = [
        f"SANDBOX {request.service.value.upper()}",
        to.name,
        *where,
        f"Tel. {to.phone}" if to.phone else "",
        f"Ref. {request.reference}" if request.reference else "",
        f"Weight {request.weight_g / 1000:.2f} kg",
        f"COD {cod // 100},{cod % 100:02d} {request.currency}" if cod else "",
    ]
    return [line for line in lines if line]
