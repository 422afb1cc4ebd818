"""Location use cases."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnichannel.db import record_event
from omnichannel.db.base import flush_edit
from omnichannel.kernel import Conflict, NotFound, new_id
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed
from omnichannel.locations.models import Location as Location
from omnichannel.locations.rules import Capability, LocationType
from omnichannel.locations.schemas import LocationCreate, LocationUpdate


class LocationCodeTaken(Conflict):
    code = "location_code_taken"


class LocationInUse(Conflict):
    code = "location_in_use"


def _event(session: Session, loc: Location, type: str) -> None:
    record_event(
        session,
        aggregate_type="location",
        aggregate_id=loc.id,
        sequence=loc.version,
        type=type,
        payload={
            "id": str(loc.id),
            "code": loc.code,
            "type": loc.type,
            "status": loc.status,
            "capabilities": list(loc.capabilities),
        },
    )


def get_location(session: Session, *, location_id: uuid.UUID) -> Location:
    """One location; 404 if unknown."""
    loc = session.get(Location, location_id)
    if loc is None:
        raise NotFound(f"Location {location_id} does not exist.")
    return loc


def find_location(session: Session, *, code: str) -> Location | None:
    """The location with this code, if there is one."""
    return session.scalar(select(Location).where(Location.code == code))


def list_locations(
    session: Session,
    *,
    after: uuid.UUID | None = None,
    limit: int = 50,
    type: LocationType | None = None,
    capability: Capability | None = None,
    status: str | None = None,
) -> list[Location]:
    """Locations in id order, `limit + 1` of them so the caller can tell if more follow."""
    q = select(Location).order_by(Location.id)
    if after is not None:
        q = q.where(Location.id > after)
    if type is not None:
        q = q.where(Location.type == type.value)
    if status is not None:
        q = q.where(Location.status == status)
    if capability is None:
        return list(session.scalars(q.limit(limit + 1)))
    # Capabilities are a short JSON list; filter portably in Python over a bounded scan.
    out: list[Location] = []
    for loc in session.scalars(q):
        if capability.value in (loc.capabilities or []):
            out.append(loc)
            if len(out) > limit:
                break
    return out


def get_locations(
    session: Session, *, location_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Location]:
    """The given locations that exist, by id (one query)."""
    ids = list(set(location_ids))
    if not ids:
        return {}
    return {loc.id: loc for loc in session.scalars(select(Location).where(Location.id.in_(ids)))}


def location_kinds(session: Session, *, location_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Map of the given ids that exist to their type (`store` or `warehouse`)."""
    ids = list(set(location_ids))
    if not ids:
        return {}
    rows = session.execute(select(Location.id, Location.type).where(Location.id.in_(ids)))
    return {row.id: row.type for row in rows}


def create_location(session: Session, *, data: LocationCreate) -> Location:
    """Open a new warehouse or store."""
    if session.scalar(select(Location.id).where(Location.code == data.code)) is not None:
        raise LocationCodeTaken(
            f"A location with code {data.code} already exists.",
            errors=[{"field": "code", "message": "already in use", "type": "duplicate"}],
        )
    loc = Location(
        id=new_id(),
        code=data.code,
        name=data.name,
        type=data.type.value,
        timezone=data.timezone,
        phone=data.phone,
        email=data.email,
        opening_hours=data.opening_hours.to_doc(),
        capabilities=sorted({c.value for c in data.capabilities}),
        **_address(data.address.model_dump()),
        latitude=data.coordinates.latitude,
        longitude=data.coordinates.longitude,
    )
    session.add(loc)
    session.flush()
    _event(session, loc, "location.created")
    return loc


def _address(address: dict[str, Any]) -> dict[str, Any]:
    return {k: address[k] for k in ("street", "city", "postcode", "country")}


def update_location(
    session: Session, *, location_id: uuid.UUID, data: LocationUpdate, if_version: int | None = None
) -> Location:
    """Change a location's details; `if_version` guards against a lost update."""
    loc = get_location(session, location_id=location_id)
    if if_version is not None and if_version != loc.version:
        raise PreconditionFailed(
            f"Location {location_id} is at version {loc.version}, not {if_version}."
        )
    fields = data.model_dump(exclude_unset=True)
    if "address" in fields and data.address is not None:
        for k, v in _address(data.address.model_dump()).items():
            setattr(loc, k, v)
    if "coordinates" in fields and data.coordinates is not None:
        loc.latitude, loc.longitude = data.coordinates.latitude, data.coordinates.longitude
    if "opening_hours" in fields and data.opening_hours is not None:
        loc.opening_hours = data.opening_hours.to_doc()
    if "capabilities" in fields and data.capabilities is not None:
        caps = {c.value for c in data.capabilities}
        if loc.type == LocationType.WAREHOUSE and Capability.SHIP_FROM_STORE.value in caps:
            raise InvalidInput(
                "A warehouse cannot have the ship_from_store capability.",
                errors=[
                    {
                        "field": "capabilities",
                        "message": "ship_from_store is for stores",
                        "type": "invalid",
                    }
                ],
            )
        loc.capabilities = sorted(caps)
    for name in ("name", "status", "timezone", "phone", "email"):
        if name in fields:
            if fields[name] is None and name in ("name", "status", "timezone"):
                continue
            setattr(loc, name, fields[name])
    if flush_edit(session, loc):
        _event(session, loc, "location.updated")
    return loc


def delete_location(session: Session, *, location_id: uuid.UUID) -> None:
    """Remove a location that nothing refers to; one that channels sell from stays (409)."""
    loc = get_location(session, location_id=location_id)
    version = loc.version + 1
    record_event(
        session,
        aggregate_type="location",
        aggregate_id=loc.id,
        sequence=version,
        type="location.deleted",
        payload={"id": str(loc.id), "code": loc.code},
    )
    try:
        with session.begin_nested():
            session.delete(loc)
            session.flush()
    except IntegrityError:
        raise LocationInUse(
            f"Location {loc.code} is still referred to (channels, staff, stock); deactivate it instead."
        ) from None
