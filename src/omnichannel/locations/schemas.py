"""Public contract of locations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, EmailStr, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from omnichannel.contract import InputModel
from omnichannel.locations.rules import (
    WEEKDAYS,
    Capability,
    LocationType,
    check_intervals,
    normalise_postcode,
)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["09:00"])]
Interval = tuple[HHMM, HHMM]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


class _In(InputModel):
    pass


class OpeningHours(_In):
    weekly: dict[Weekday, list[Interval]] = Field(
        default_factory=dict,
        description="Open intervals per weekday in local time; a missing or empty day is closed.",
        examples=[{"mon": [["09:00", "21:00"]], "sun": []}],
    )
    exceptions: dict[date, list[Interval]] = Field(
        default_factory=dict,
        description="Dates whose hours replace the weekly ones (holidays: empty list = closed).",
    )

    @field_validator("weekly", "exceptions")
    @classmethod
    def _sane(cls, v: dict[Any, list[tuple[str, str]]]) -> dict[Any, list[tuple[str, str]]]:
        for day, intervals in v.items():
            try:
                check_intervals(intervals)
            except ValueError as e:
                raise ValueError(f"{day}: {e}") from None
        return v

    def to_doc(self) -> dict[str, Any]:
        return {
            "weekly": {d: [list(i) for i in self.weekly[d]] for d in WEEKDAYS if d in self.weekly},
            "exceptions": {
                k.isoformat(): [list(i) for i in v] for k, v in sorted(self.exceptions.items())
            },
        }


class Address(_In):
    street: str = Field(min_length=1, max_length=200, examples=["ul. Marszałkowska 104/122"])
    city: str = Field(min_length=1, max_length=100, examples=["Warszawa"])
    postcode: str = Field(min_length=2, max_length=16, examples=["00-017"])
    country: str = Field("PL", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")

    @model_validator(mode="after")
    def _postcode(self) -> Address:
        try:
            self.postcode = normalise_postcode(self.country, self.postcode)
        except ValueError as e:
            # Raised as a field error so the problem names `address.postcode`.

            raise PydanticCustomError("invalid_postcode", str(e)) from None
        return self


class Coordinates(_In):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


def _check_zone(v: str | None) -> str | None:
    if v is not None and v not in _zones():
        raise ValueError(f"unknown IANA time zone {v!r}")
    return v


class LocationCreate(_In):
    code: str = Field(
        min_length=2, max_length=32, pattern=r"^[A-Z0-9][A-Z0-9_-]*$", examples=["ST-WAW-01"]
    )
    name: str = Field(min_length=1, max_length=200)
    type: LocationType
    address: Address
    coordinates: Coordinates
    timezone: str = Field("Europe/Warsaw", description="IANA time zone of the opening hours.")
    phone: str | None = Field(None, max_length=32)
    email: EmailStr | None = None
    opening_hours: OpeningHours = Field(default_factory=OpeningHours)
    capabilities: list[Capability] = Field(default_factory=list)

    _zone = field_validator("timezone")(_check_zone)

    @model_validator(mode="after")
    def _capabilities_fit_type(self) -> LocationCreate:
        if self.type is LocationType.WAREHOUSE and Capability.SHIP_FROM_STORE in self.capabilities:
            raise ValueError("a warehouse cannot have the ship_from_store capability")
        return self


class LocationUpdate(_In):
    name: str | None = Field(None, min_length=1, max_length=200)
    status: Literal["active", "inactive"] | None = None
    address: Address | None = None
    coordinates: Coordinates | None = None
    timezone: str | None = None
    phone: str | None = Field(None, max_length=32)
    email: EmailStr | None = None
    opening_hours: OpeningHours | None = None
    capabilities: list[Capability] | None = None

    _zone = field_validator("timezone")(_check_zone)


class LocationRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    type: LocationType
    status: str
    address: Address
    coordinates: Coordinates
    timezone: str
    phone: str | None
    email: str | None
    opening_hours: OpeningHours
    capabilities: list[Capability]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, loc: Any) -> LocationRead:
        return cls.model_validate(
            {
                "id": loc.id,
                "code": loc.code,
                "name": loc.name,
                "type": loc.type,
                "status": loc.status,
                "address": {
                    "street": loc.street,
                    "city": loc.city,
                    "postcode": loc.postcode,
                    "country": loc.country,
                },
                "coordinates": {"latitude": loc.latitude, "longitude": loc.longitude},
                "timezone": loc.timezone,
                "phone": loc.phone,
                "email": loc.email,
                "opening_hours": loc.opening_hours or {},
                "capabilities": loc.capabilities or [],
                "version": loc.version,
                "created_at": loc.created_at,
                "updated_at": loc.updated_at,
            }
        )


class LocationPage(BaseModel):
    items: list[LocationRead]
    next_cursor: str | None = None
