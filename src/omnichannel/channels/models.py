"""Channels, the locations they use, and their API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnichannel.channels.rules import DeliveryRates
from omnichannel.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from omnichannel.db.types import JSONDoc
from omnichannel.kernel import utcnow


class Channel(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "channels"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))  # ChannelType
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | inactive
    # Channel buffer (marketplaces, social): show at most this % of ATP ...
    buffer_percent: Mapped[int | None]
    # ... and/or keep this many units back from it.
    buffer_units: Mapped[int | None]
    # Adding to a cart holds the stock this many minutes (a till: 15); None = no hold
    # until checkout (a web shop).
    cart_hold_minutes: Mapped[int | None]

    locations: Mapped[list[ChannelLocation]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(ChannelLocation.role, ChannelLocation.position)",
    )
    # Every channel has its row (created with it); None only for one made by hand.
    rates: Mapped[ChannelDeliveryRates | None] = relationship(
        lazy="raise", cascade="all, delete-orphan", uselist=False
    )

    def location_ids(self, role: str) -> list[uuid.UUID]:
        return [cl.location_id for cl in self.locations if cl.role == role]

    def delivery_rates(self) -> DeliveryRates:
        """Its delivery fees (the defaults when it has no row of them)."""
        return self.rates.as_rates() if self.rates is not None else DeliveryRates()


class ChannelLocation(Base):
    __tablename__ = "channel_locations"

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)  # LocationRole
    # RESTRICT: a location a channel sells from cannot vanish under it.
    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int]  # 0 = first choice


class ChannelDeliveryRates(Base):
    """What delivery costs in one channel, per method, in minor units of its currency.

    A table of its own rather than columns of `channels`: the methods grow (a parcel
    shop, same-day) while a channel's identity does not, and the rows migrate alone.
    NULL = the channel does not deliver that way (cash on delivery: does not collect).
    """

    __tablename__ = "channel_delivery_rates"

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    courier: Mapped[int | None]
    locker: Mapped[int | None]
    pickup: Mapped[int | None]
    cash_on_delivery: Mapped[int | None]  # surcharge on a courier or locker fee

    __table_args__ = tuple(
        CheckConstraint(f"{c} IS NULL OR {c} >= 0", name=f"{c}_non_negative")
        for c in ("courier", "locker", "pickup", "cash_on_delivery")
    )

    def as_rates(self) -> DeliveryRates:
        return DeliveryRates(
            courier=self.courier,
            locker=self.locker,
            pickup=self.pickup,
            cash_on_delivery=self.cash_on_delivery,
        )


class ChannelApiKey(Base):
    __tablename__ = "channel_api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to recognise a key in lists
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("channel_id", "name"),)


class ChannelsState(Base):
    """One row: a token that every change of a channel replaces in the same
    transaction, so each worker's directory of channels knows when it is stale."""

    __tablename__ = "channels_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[uuid.UUID]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
