"""Staff users, their location scope, and their bearer tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnichannel.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from omnichannel.kernel import utcnow


class StaffUser(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "staff_users"

    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    # Failed sign-ins in a row, and when the account may be tried again (as customers').
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]

    scopes: Mapped[list[StaffLocationScope]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="StaffLocationScope.location_id"
    )

    @property
    def location_ids(self) -> list[uuid.UUID]:
        return [s.location_id for s in self.scopes]


class StaffLocationScope(Base):
    __tablename__ = "staff_location_scopes"

    staff_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )


class StaffToken(Base):
    __tablename__ = "staff_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
