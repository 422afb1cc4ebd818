"""The carrier interface, and the registry a shipment finds its carrier in.

A carrier takes a parcel to the buyer; we keep what it answered. Real carriers
(InPost, DPD, DHL, Poczta Polska…) implement `Carrier` in a module of their own and
are `register`ed at start-up. The only built-in one is `sandbox`: a deterministic
stand-in for the demo and the tests, never for real parcels.

A request is checked when it is built, before any carrier sees it: a courier parcel
needs an address, a locker parcel a well-formed point id and a compartment it fits
(`sizing`), so a refusal comes while the order can still be changed, not from the
carrier afterwards.

Every call carries our idempotency key (the shipment's id when creating, the
operation's key for the rest), so a call repeated after a crash or a timeout cannot
send two couriers. No call is ever made inside a database transaction (promise 8):
commit what is decided, call the carrier, record its answer in a second transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from omnichannel.fulfillment.carriers.errors import (
    InvalidPointId,
    UnknownCarrier,
    field_error,
)
from omnichannel.fulfillment.carriers.rules import (
    CarrierService,
    LabelFormat,
    TrackingStatus,
    normalise_point_id,
)
from omnichannel.fulfillment.carriers.sizing import LockerSize, ParcelItem, locker_size
from omnichannel.kernel.errors import InvalidInput

SANDBOX = "sandbox"


@dataclass(frozen=True, slots=True)
class Address:
    """Where a courier goes: one line of street and number, as carriers take it."""

    name: str
    street: str
    postal_code: str
    city: str
    country: str = "PL"  # ISO 3166-1 alpha-2
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class ShipmentRequest:
    """Ask a carrier to take one parcel. Built once and checked as it is built (422s
    naming the field); `locker_size` is worked out here for a locker parcel."""

    key: str  # our shipment id: the carrier's idempotency key
    service: CarrierService
    items: tuple[ParcelItem, ...]
    recipient: Address  # for a locker: name, phone and e-mail are what count
    point_id: str | None = None  # the locker, for CarrierService.LOCKER
    reference: str = ""  # our order number, printed on the label
    cash_on_delivery: int | None = None  # minor units to collect from the buyer
    currency: str = "PLN"
    locker_size: LockerSize | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if not self.key:
            raise InvalidInput(
                "A shipment needs an idempotency key.",
                errors=[field_error("key", "required", "missing")],
            )
        if self.cash_on_delivery is not None and self.cash_on_delivery <= 0:
            raise InvalidInput(
                "Cash on delivery is a positive amount in minor units.",
                errors=[field_error("cash_on_delivery", "must be positive", "greater_than")],
            )
        if self.service is CarrierService.LOCKER:
            point = normalise_point_id(self.point_id or "")
            if point is None:
                raise InvalidPointId(
                    f"{self.point_id!r} is not a parcel locker id (like KRA01M or WAW123A).",
                    errors=[field_error("point_id", "not a locker id", "invalid_point_id")],
                )
            object.__setattr__(self, "point_id", point)
            object.__setattr__(self, "locker_size", locker_size(self.items))
        elif self.point_id is not None:
            raise InvalidInput(
                "A courier parcel goes to an address, not to a locker.",
                errors=[field_error("point_id", "only for a locker parcel", "not_allowed")],
            )
        elif not (self.recipient.street and self.recipient.postal_code and self.recipient.city):
            raise InvalidInput(
                "A courier parcel needs a street, postal code and city.",
                errors=[field_error("recipient", "incomplete address", "missing")],
            )

    @property
    def weight_g(self) -> int:
        return sum((i.weight_g or 0) * i.quantity for i in self.items)


@dataclass(frozen=True, slots=True)
class Label:
    content: bytes
    content_type: str  # "application/pdf" or "application/zpl"


@dataclass(frozen=True, slots=True)
class CreatedShipment:
    """What the carrier answered to a new shipment."""

    carrier_shipment_id: str  # the carrier's id, for every later call
    tracking_number: str  # what the buyer types into the carrier's page
    label: Label
    locker_size: LockerSize | None = None


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    status: TrackingStatus
    at: datetime
    description: str = ""


@dataclass(frozen=True, slots=True)
class CancelResult:
    ok: bool
    message: str | None = None


class Carrier(Protocol):
    """A carrier. Every call is synchronous and may raise `CarrierError` when the
    carrier cannot be reached; `ShipmentNotFound` for an id it does not know."""

    @property
    def name(self) -> str:
        """As stored with a shipment; never changes."""
        ...

    @property
    def services(self) -> frozenset[CarrierService]:
        """What it delivers: to an address, to lockers, or both."""
        ...

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Book the parcel and make its label; idempotent on `request.key`."""
        ...

    def get_label(
        self, carrier_shipment_id: str, *, key: str, format: LabelFormat = LabelFormat.PDF
    ) -> Label:
        """The parcel's label again (a printer jammed), in the format asked."""
        ...

    def tracking(self, carrier_shipment_id: str, *, key: str) -> Sequence[TrackingEvent]:
        """What happened to the parcel so far, oldest first."""
        ...

    def cancel(self, carrier_shipment_id: str, *, key: str) -> CancelResult:
        """Withdraw the parcel before the carrier takes it; idempotent on `key`."""
        ...


_registry: dict[str, Carrier] = {}


def register(carrier: Carrier) -> None:
    """Make a carrier available under its name (at start-up; replaces a namesake)."""
    _registry[carrier.name] = carrier


def carrier_for(name: str) -> Carrier:
    """The registered carrier of that name; 422 `unknown_carrier` if none."""
    carrier = _registry.get(name)
    if carrier is None and name == SANDBOX:
        # Imported here: the sandbox module builds on this one (a cycle otherwise).
        from omnichannel.fulfillment.carriers.sandbox import SandboxCarrier

        carrier = _registry.setdefault(SANDBOX, SandboxCarrier())
    if carrier is None:
        raise UnknownCarrier(
            f"No carrier is called {name!r}.",
            errors=[field_error("carrier", "unknown carrier", "unknown_carrier")],
        )
    return carrier
