"""A channel's delivery fees: set with the channel, read from the worker's directory."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from sqlalchemy.orm import Session

from omnichannel.channels import directory
from omnichannel.channels.models import ChannelDeliveryRates
from omnichannel.channels.rules import DeliveryMethod, DeliveryRates
from omnichannel.channels.schemas import ChannelCreate, ChannelUpdate
from omnichannel.kernel import NotFound
from omnichannel.kernel.errors import InvalidInput


def check_courier_once(data: ChannelCreate | ChannelUpdate) -> None:
    """422 when the courier rate is given twice (`delivery_price` is its old name)."""
    rates = data.delivery_rates
    if (
        "delivery_price" in data.model_fields_set
        and rates is not None
        and "courier" in rates.model_fields_set
    ):
        raise InvalidInput(
            "delivery_price is the courier rate: give it once, as delivery_rates.courier.",
            errors=[{"field": "delivery_price", "message": "given twice", "type": "conflict"}],
        )


def default_rates() -> ChannelDeliveryRates:
    return ChannelDeliveryRates(**asdict(DeliveryRates()))


def set_rates(row: ChannelDeliveryRates, data: ChannelCreate | ChannelUpdate) -> None:
    """The fees a request gives, over the row's."""
    rates = data.delivery_rates
    if "delivery_price" in data.model_fields_set:
        row.courier = data.delivery_price or 0  # null was "free" before the rate table
    if rates is not None:
        for name in rates.model_fields_set:
            setattr(row, name, getattr(rates, name))


def delivery_price(
    session: Session,
    *,
    channel_id: uuid.UUID | None = None,
    code: str | None = None,
    method: DeliveryMethod,
    cash_on_delivery: bool = False,
    field: str = "delivery_method",
) -> int | None:
    """The delivery fee of one order in a channel (by id or code), in minor units of
    its currency: the method's rate plus the cash-on-delivery surcharge; None for
    carry-out (no delivery line). From the worker's directory: no statement once the
    transaction has read its token. 422 `delivery_method_not_offered` (naming `field`)
    or `cash_on_delivery_not_offered`; 404 for an unknown channel."""
    d = directory.current(session)
    info = d.by_id.get(channel_id) if channel_id is not None else d.by_code.get(code or "")
    if info is None:
        raise NotFound(f"Channel {code or channel_id} does not exist.")
    return info.rates.fee(DeliveryMethod(method), cash_on_delivery=cash_on_delivery, field=field)
