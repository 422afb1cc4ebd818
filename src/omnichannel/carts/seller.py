"""The channel a cart or order is handled in, as carts and orders need it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from omnichannel.channels import service as channels
from omnichannel.kernel.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Seller:
    id: uuid.UUID
    code: str
    type: str  # ChannelType
    currency: str
    hold: timedelta | None  # adding to a cart holds stock this long; None: not until checkout
    sell_from: tuple[uuid.UUID, ...]  # first choice first
    pickup_at: tuple[uuid.UUID, ...]
    delivery_price: int | None


def seller(
    session: Session, *, channel_id: uuid.UUID | None = None, code: str | None = None
) -> Seller:
    """The active channel by id or code; 422 naming `channel` when unknown or inactive.
    From the worker's channel directory: no query once it is warm."""
    ch = channels.channel_info(session, channel_id=channel_id, code=code)
    if ch is None or ch.status != "active":
        raise InvalidInput(
            f"Channel {code or channel_id} is unknown or inactive.",
            errors=[{"field": "channel", "message": "unknown or inactive", "type": "channel"}],
        )
    return Seller(
        id=ch.id,
        code=ch.code,
        type=ch.type,
        currency=ch.currency,
        hold=timedelta(minutes=ch.cart_hold_minutes) if ch.cart_hold_minutes else None,
        sell_from=ch.sell_from,
        pickup_at=ch.pickup_at,
        delivery_price=ch.delivery_price,
    )
