"""The router orders ask at checkout: routing's inputs read from the database.

Four reads, whatever the order's size: the candidate locations, their fulfilment
settings and the channel's policy (one statement each), the order's stock at them,
and for the locations with a daily capacity the fulfilment orders they took today.
Then `routing.plan` decides, in memory.

The candidates are the channel's sell-from locations and, for a pickup, the pickup
store; an inactive location serves nothing. Distances go from each location to the
delivery postcode (home, locker), or to the pickup store; with no postcode known
they count as nothing and cost decides alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.fulfillment import calendar, routing
from omnichannel.fulfillment.models import ChannelRouting, FulfilmentOrder, LocationFulfilment
from omnichannel.inventory import service as inventory
from omnichannel.locations import service as locations
from omnichannel.orders import service as orders

LOCAL = ZoneInfo("Europe/Warsaw")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def route(
    session: Session,
    needs: Sequence[orders.Need],
    destination: orders.Destination,
    now: datetime,
) -> orders.Route:
    """Plan where each line's units come from (see `routing` for what is best)."""
    ids = list(dict.fromkeys(destination.sell_from))
    if destination.store_id is not None and destination.store_id not in ids:
        ids.append(destination.store_id)
    found = locations.get_locations(session, location_ids=ids)
    live = [i for i in ids if i in found and found[i].status == "active"]
    settings = {
        s.location_id: s
        for s in session.scalars(
            select(LocationFulfilment).where(LocationFulfilment.location_id.in_(live))
        )
    }
    policy = session.get(ChannelRouting, destination.channel_id)
    local_now = now.astimezone(LOCAL)
    taken = _taken_today(
        session, [i for i in live if _capacity(settings.get(i)) is not None], local_now
    )
    target = _target(destination, found)
    sites = [_site(found[i], settings.get(i), target, taken.get(i, 0)) for i in live]
    stock = inventory.orderable_at(
        session, variant_ids=list({n.variant_id for n in needs}), location_ids=live, now=now
    )
    method = routing.Method(destination.method)
    plan = routing.plan(
        routing.Request(
            lines=[routing.Line(n.line_no, n.variant_id, n.quantity) for n in needs],
            method=method,
            sites=sites,
            stock=stock,
            now=local_now.replace(tzinfo=None),
            store_id=destination.store_id,
            policy=_policy(policy),
        )
    )
    return orders.Route(
        sources=tuple(
            orders.Source(a.line_no, a.variant_id, a.site_id, a.quantity) for a in plan.allocations
        ),
        unserved=dict(plan.unserved),
        available={
            n.line_no: n.quantity - plan.unserved[n.line_no]
            for n in needs
            if n.line_no in plan.unserved
        },
        eta=plan.eta,
        explanation=plan.explanation,
    )


def _capacity(s: LocationFulfilment | None) -> int | None:
    return s.daily_capacity if s is not None else None


def _taken_today(
    session: Session, location_ids: list[uuid.UUID], local_now: datetime
) -> dict[uuid.UUID, int]:
    """Fulfilment orders each location took since local midnight."""
    if not location_ids:
        return {}
    midnight = datetime.combine(local_now.date(), time(0), LOCAL)
    rows = session.execute(
        select(FulfilmentOrder.location_id, func.count())
        .where(
            FulfilmentOrder.location_id.in_(location_ids),
            FulfilmentOrder.created_at >= midnight,
        )
        .group_by(FulfilmentOrder.location_id)
    )
    return {loc: int(n) for loc, n in rows}


def _target(
    destination: orders.Destination, found: dict[uuid.UUID, locations.Location]
) -> tuple[float, float] | None:
    if destination.method in ("pickup", "carry_out") and destination.store_id in found:
        store = found[destination.store_id]
        return (store.latitude, store.longitude)
    if destination.postcode and (destination.country or "PL") == "PL":
        return inventory.postcode_coordinates(destination.postcode)
    return None


def _site(
    loc: locations.Location,
    settings: LocationFulfilment | None,
    target: tuple[float, float] | None,
    taken: int,
) -> routing.Site:
    capabilities = set(loc.capabilities or [])
    capacity = _capacity(settings)
    return routing.Site(
        id=loc.id,
        name=loc.name,
        kind=loc.type,
        distance_km=inventory.distance_km((loc.latitude, loc.longitude), target) if target else 0.0,
        ships="ships" in capabilities,
        ship_from_store="ship_from_store" in capabilities,
        shipment_cost=settings.shipment_cost if settings is not None else 0,
        capacity_left=1_000_000 if capacity is None else capacity - taken,
        cutoff=settings.cutoff if settings is not None else None,
        open_weekdays=open_weekdays(loc.opening_hours),
    )


def open_weekdays(opening_hours: dict[str, object] | None) -> frozenset[int]:
    """The weekdays a location opens on (Monday 0); a location that names none is
    taken to open Monday to Saturday."""
    weekly = (opening_hours or {}).get("weekly")
    if not isinstance(weekly, dict) or not weekly:
        return calendar.MONDAY_TO_SATURDAY
    return frozenset(i for i, day in enumerate(_WEEKDAYS) if weekly.get(day))


def _policy(p: ChannelRouting | None) -> routing.Policy:
    if p is None:
        return routing.Policy()
    return routing.Policy(
        max_shipments=p.max_shipments,
        stores_ship=p.stores_ship,
        cost_per_km=p.cost_per_km,
        cost_per_day=p.cost_per_day,
        split_penalty=p.split_penalty,
    )
