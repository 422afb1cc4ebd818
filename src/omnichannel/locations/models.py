"""Warehouses and stores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from omnichannel.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from omnichannel.db.types import JSONDoc


class Location(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "locations"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16), index=True)  # LocationType
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | inactive
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2), default="PL")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Warsaw")
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    # {"weekly": {"mon": [["09:00", "21:00"]], ...}, "exceptions": {"2026-12-25": []}}
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    capabilities: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
