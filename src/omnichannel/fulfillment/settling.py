"""Parcels a crash or an outage left half-way, finished by `omni worker` (promise 8),
and parcels on their way followed without anybody asking.

- A parcel committed as `requested` whose carrier never answered (or whose answer
  was lost with a crash) is booked again under the same key: the carrier answers
  with the parcel it made the first time, or makes it now; nothing is booked twice.
- A parcel that has left is asked about again once its last news is older than
  `follow_every`: delivered, the order moves on as if the carrier had pushed it.
- A parcel the carrier booked whose order was cancelled before it left
  (`cancelling`) is withdrawn with the carrier, once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from omnichannel.db import Database
from omnichannel.db.session import Units, units
from omnichannel.fulfillment.carriers import base as carriers
from omnichannel.fulfillment.carriers.errors import CarrierError
from omnichannel.fulfillment.errors import CarrierUnavailable
from omnichannel.fulfillment.models import Shipment
from omnichannel.fulfillment.rules import ShipmentStatus
from omnichannel.fulfillment.shipping import book
from omnichannel.fulfillment.tracking import track
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import DomainError
from omnichannel.worker.jobs import Outcome

log = logging.getLogger(__name__)
ACTOR = "worker:fulfilment"
BATCH = 100
SS = ShipmentStatus


@dataclass
class Settled:
    booked: int = 0
    followed: int = 0
    withdrawn: int = 0
    waiting: int = 0  # the carrier still does not answer: next run
    failures: int = 0


def settle_parcels(
    units_: Units,
    *,
    after: timedelta = timedelta(minutes=1),
    follow_every: timedelta = timedelta(minutes=30),
    limit: int = BATCH,
) -> Settled:
    """Book again the parcels requested longer than `after` ago, and ask about those
    on their way whose news is older than `follow_every`."""
    out = Settled()
    now = utcnow()
    with units_() as session:
        requested = list(
            session.execute(
                select(Shipment.id, Shipment.fulfilment_order_id)
                .where(Shipment.status == SS.REQUESTED, Shipment.created_at <= now - after)
                .order_by(Shipment.created_at)
                .limit(limit)
            )
        )
        travelling = list(
            session.scalars(
                select(Shipment.id)
                .where(
                    Shipment.status.in_([SS.SHIPPED, SS.IN_TRANSIT]),
                    Shipment.updated_at <= now - follow_every,
                )
                .order_by(Shipment.updated_at)
                .limit(limit)
            )
        )
        withdrawing = list(
            session.execute(
                select(Shipment.id, Shipment.carrier, Shipment.carrier_ref, Shipment.request_key)
                .where(
                    Shipment.status == SS.CANCELLED,
                    Shipment.carrier_ref.is_not(None),
                    Shipment.withdrawn_at.is_(None),
                )
                .limit(limit)
            )
        )
    for shipment_id, name, ref, key in withdrawing:
        try:
            answer = carriers.carrier_for(name).cancel(str(ref), key=f"{key}:cancel")
        except CarrierError:
            out.waiting += 1
            continue
        except DomainError as e:
            out.failures += 1
            log.warning("withdrawing parcel %s failed: %s", shipment_id, e.detail)
            continue
        if not answer.ok:  # the carrier has it already: it comes back as a return
            log.warning("parcel %s could not be withdrawn: %s", shipment_id, answer.message)
        with units_() as session:
            parcel = session.get(Shipment, shipment_id)
            if parcel is not None:
                parcel.withdrawn_at = utcnow()
        out.withdrawn += 1
    for shipment_id, fulfilment_order_id in requested:
        try:
            book(units_, fulfilment_order_id=fulfilment_order_id)
            out.booked += 1
        except CarrierUnavailable:
            out.waiting += 1
        except DomainError as e:
            out.failures += 1
            log.warning("booking parcel %s again failed: %s", shipment_id, e.detail)
    for shipment_id in travelling:
        try:
            track(units_, shipment_id=shipment_id)
            with units_() as session:  # asked: not again before its time comes round
                parcel = session.get(Shipment, shipment_id)
                if parcel is not None:
                    parcel.updated_at = utcnow()
            out.followed += 1
        except CarrierUnavailable:
            out.waiting += 1
        except DomainError as e:
            out.failures += 1
            log.warning("following parcel %s failed: %s", shipment_id, e.detail)
    return out


def settle_shipments(db: Database) -> Outcome:
    """The worker's job: `settle_parcels` over one batch."""
    done = settle_parcels(units(db, actor=ACTOR))
    if done.failures and not (done.booked or done.followed or done.withdrawn):
        raise RuntimeError(f"no parcel could be settled ({done.failures} failed)")
    return Outcome(
        {
            "booked": done.booked,
            "followed": done.followed,
            "withdrawn": done.withdrawn,
            "waiting": done.waiting,
            "failures": done.failures,
        },
        note=f"booked {done.booked} parcel(s) again, followed {done.followed}, "
        f"withdrew {done.withdrawn}"
        + (f", {done.waiting} waiting for their carrier" if done.waiting else "")
        + (f", {done.failures} failure(s)" if done.failures else ""),
    )
