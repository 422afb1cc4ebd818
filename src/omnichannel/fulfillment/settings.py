"""A location's fulfilment settings and a channel's routing policy: read with their
defaults filled in, replaced whole.

Neither row need exist: routing, the pickup clock and the reserve & collect hold use
the defaults (`rules`, `routing.Policy`) for whatever is not set. A replacement
locks the row (inserting it first when missing, so two first writers queue on it
too), checks the caller's ETag, and records an event only when something changed:
the same settings sent twice change nothing and tell nobody twice.

The ETag is a digest of what is set: equal settings give equal tags, and every
change gives another one. The rows count their versions, which number their events.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from omnichannel.channels import service as channels
from omnichannel.db import record_event
from omnichannel.fulfillment import routing
from omnichannel.fulfillment.models import ChannelRouting, LocationFulfilment
from omnichannel.fulfillment.rules import (
    COLLECT_WITHIN_DAYS,
    READY_WITHIN_HOURS,
    RESERVE_HOLD_HOURS,
)
from omnichannel.fulfillment.schemas_settings import ChannelRoutingIn, LocationFulfilmentIn
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import PreconditionFailed
from omnichannel.locations import service as locations

_POLICY = routing.Policy()

# What applies when nothing is set, in the order the settings are shown.
LOCATION_DEFAULTS: Mapping[str, Any] = {
    "shipment_cost": 0,
    "daily_capacity": None,  # no limit
    "cutoff": None,  # dispatches the day it is asked, whatever the hour
    "ready_within_hours": READY_WITHIN_HOURS,
    "collect_within_days": COLLECT_WITHIN_DAYS,
    "reserve_hold_hours": RESERVE_HOLD_HOURS,
}
CHANNEL_DEFAULTS: Mapping[str, Any] = {
    "max_shipments": _POLICY.max_shipments,
    "stores_ship": _POLICY.stores_ship,
    "split_penalty": _POLICY.split_penalty,
    "cost_per_km": _POLICY.cost_per_km,
    "cost_per_day": _POLICY.cost_per_day,
    "reserve_hold_hours": None,  # each store's own
}


@dataclass(frozen=True, slots=True)
class Settings:
    """One location's or channel's settings: what is set (None: the default)."""

    owner_id: uuid.UUID
    set: Mapping[str, Any]
    defaults: Mapping[str, Any]
    updated_at: datetime | None

    @property
    def values(self) -> dict[str, Any]:
        """What applies: each setting, or its default."""
        return {k: self.defaults[k] if v is None else v for k, v in self.set.items()}

    @property
    def default_names(self) -> list[str]:
        return [k for k, v in self.set.items() if v is None]

    @property
    def etag(self) -> str:
        plain = json.dumps({k: _plain(v) for k, v in self.set.items()}, sort_keys=True)
        return f'W/"{hashlib.sha256(plain.encode()).hexdigest()[:16]}"'

    def matches(self, if_match: str | None) -> bool:
        """Whether an If-Match header names these settings (absent or `*`: any)."""
        if if_match is None or if_match.strip() == "*":
            return True
        return any(tag.strip() == self.etag for tag in if_match.split(","))


@dataclass(frozen=True, slots=True)
class _Kind:
    model: type[LocationFulfilment] | type[ChannelRouting]
    key: str  # the primary key column, the owner's id
    defaults: Mapping[str, Any]
    aggregate_type: str
    event: str


_LOCATION = _Kind(
    LocationFulfilment,
    "location_id",
    LOCATION_DEFAULTS,
    "location_fulfilment",
    "fulfilment.location_settings_changed",
)
_CHANNEL = _Kind(
    ChannelRouting,
    "channel_id",
    CHANNEL_DEFAULTS,
    "channel_routing",
    "fulfilment.channel_routing_changed",
)


def location_settings(session: Session, *, location_id: uuid.UUID) -> Settings:
    """A location's fulfilment settings; 404 when the location is unknown."""
    locations.get_location(session, location_id=location_id)
    return _read(_LOCATION, location_id, session.get(LocationFulfilment, location_id))


def set_location_settings(
    session: Session,
    *,
    location_id: uuid.UUID,
    data: LocationFulfilmentIn,
    if_match: str | None = None,
) -> Settings:
    """Replace a location's fulfilment settings (null: the default); 412 when `if_match`
    names other settings than the current ones."""
    locations.get_location(session, location_id=location_id)
    return _replace(session, _LOCATION, location_id, data, if_match)


def channel_routing(session: Session, *, channel_id: uuid.UUID) -> Settings:
    """A channel's routing policy; 404 when the channel is unknown."""
    channels.get_channel(session, channel_id=channel_id)
    return _read(_CHANNEL, channel_id, session.get(ChannelRouting, channel_id))


def set_channel_routing(
    session: Session,
    *,
    channel_id: uuid.UUID,
    data: ChannelRoutingIn,
    if_match: str | None = None,
) -> Settings:
    """Replace a channel's routing policy (null: the default); 412 when `if_match`
    names other settings than the current ones."""
    channels.get_channel(session, channel_id=channel_id)
    return _replace(session, _CHANNEL, channel_id, data, if_match)


def _read(kind: _Kind, owner_id: uuid.UUID, row: Any) -> Settings:
    # A value equal to the default is the default: the columns always stored (a cost,
    # a count) hold it when nothing was set.
    found = {
        k: None if row is None or getattr(row, k) == d else getattr(row, k)
        for k, d in kind.defaults.items()
    }
    return Settings(owner_id, found, kind.defaults, row.updated_at if row is not None else None)


def _replace(
    session: Session, kind: _Kind, owner_id: uuid.UUID, data: BaseModel, if_match: str | None
) -> Settings:
    row = _locked(session, kind, owner_id)
    wanted = {k: None if (v := getattr(data, k)) == d else v for k, d in kind.defaults.items()}
    current = _read(kind, owner_id, row)
    _check(current, if_match)
    if wanted == current.set:
        return current
    if row is None:
        _insert_ignoring(session, kind, owner_id)
        row = _locked(session, kind, owner_id)
        current = _read(kind, owner_id, row)
        _check(current, if_match)  # a first writer may have come in between
    columns = kind.model.__table__.c
    for k, v in wanted.items():
        # None is the default: stored as NULL where the column allows it, else as itself.
        setattr(row, k, kind.defaults[k] if v is None and not columns[k].nullable else v)
    row.version += 1
    row.updated_at = utcnow()
    session.flush()
    done = _read(kind, owner_id, row)
    record_event(
        session,
        aggregate_type=kind.aggregate_type,
        aggregate_id=owner_id,
        sequence=row.version,
        type=kind.event,
        payload={
            kind.key: str(owner_id),
            "settings": {k: _plain(v) for k, v in done.values.items()},
            "defaults": done.default_names,
        },
    )
    return done


def _check(current: Settings, if_match: str | None) -> None:
    if not current.matches(if_match):
        raise PreconditionFailed(
            f"The settings of {current.owner_id} changed since they were read "
            f"(now {current.etag}); read them again."
        )


def _locked(session: Session, kind: _Kind, owner_id: uuid.UUID) -> Any:
    key = kind.model.__table__.c[kind.key]
    return session.scalar(
        select(kind.model)
        .where(key == owner_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _insert_ignoring(session: Session, kind: _Kind, owner_id: uuid.UUID) -> None:
    """The row with every default, unless another writer has just made it."""
    table = kind.model.__table__
    row: dict[str, Any] = {kind.key: owner_id, "version": 0, "updated_at": utcnow()}
    row |= {k: d for k, d in kind.defaults.items() if not table.c[k].nullable}
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(kind.model)
    session.execute(ins.values(**row).on_conflict_do_nothing())


def _plain(value: Any) -> Any:
    return value.strftime("%H:%M") if isinstance(value, time) else value
