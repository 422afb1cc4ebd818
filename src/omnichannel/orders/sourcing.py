"""Where an order's units come from: the question orders ask, the answer they keep.

Routing is the fulfilment domain's (it sits above orders and knows locations'
costs, capacities and clocks), so orders ask through the router an entrypoint
installs (`omnichannel.wiring`). A channel that sells from one location has
nothing to choose: every unit comes from there, and no router is asked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Need:
    line_no: int
    variant_id: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class Destination:
    """Where the goods must go, and for which channel."""

    method: str  # routing.Method: home, locker, pickup, carry_out
    channel_id: uuid.UUID
    sell_from: Sequence[uuid.UUID]  # the channel's locations, first choice first
    store_id: uuid.UUID | None = None  # the pickup store, or the till's store
    postcode: str | None = None  # a home delivery's
    country: str | None = None
    point_id: str | None = None  # a parcel locker's


@dataclass(frozen=True, slots=True)
class Source:
    line_no: int
    variant_id: uuid.UUID
    location_id: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class Route:
    sources: tuple[Source, ...]
    unserved: Mapping[int, int] = field(default_factory=dict)  # line_no -> units
    # Per line, the most units that could be had (for a refusal's "only N available").
    available: Mapping[int, int] = field(default_factory=dict)
    eta: date | None = None
    explanation: tuple[str, ...] = ()

    def document(self, destination: Destination) -> dict[str, Any]:
        """What the order keeps of it: how the goods reach the buyer, when, and why
        from where."""
        return {
            "method": destination.method,
            "point_id": destination.point_id,
            "eta": self.eta.isoformat() if self.eta else None,
            "explanation": list(self.explanation),
        }


Router = Callable[[Session, Sequence[Need], Destination, datetime], Route]
_router: list[Router] = []


def route_with(router: Router) -> None:
    """Install the router (idempotent: the last one installed answers)."""
    _router[:] = [router]


def route(
    session: Session, *, needs: Sequence[Need], destination: Destination, now: datetime
) -> Route:
    """Where each line's units come from; every unit from the one location of a
    single-location channel (or the till's store, for a carry-out)."""
    single = _single(destination)
    if single is not None:
        return Route(
            sources=tuple(Source(n.line_no, n.variant_id, single, n.quantity) for n in needs)
        )
    if not _router:
        raise RuntimeError("no router installed: call omnichannel.wiring.install() first")
    return _router[0](session, needs, destination, now)


def _single(destination: Destination) -> uuid.UUID | None:
    if destination.method == "carry_out":
        return destination.store_id
    locations = set(destination.sell_from)
    if destination.method == "pickup" and destination.store_id is not None:
        locations.add(destination.store_id)
    return next(iter(locations)) if len(locations) == 1 else None
