"""The delivery fee a quote adds for a chosen delivery method: the channel's rate for
it (channels own the rates; read from the worker's channel directory, no statement),
in the quote's currency, which must be the channel's."""

from __future__ import annotations

from sqlalchemy.orm import Session

from omnichannel.channels import service as channels
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing.errors import field_error


def fee(
    session: Session,
    *,
    channel: str | None,
    currency: str,
    method: str | None,
    cash_on_delivery: bool,
    delivery_price: int | None,
) -> int | None:
    """The fee of `method` in `channel` (None: no delivery line, a carry-out); 422
    naming the field when there is no method or no channel, the channel sells in another currency,
    a price is given too, or the channel does not deliver that way."""
    try:
        chosen = channels.DeliveryMethod(method or "")
    except ValueError:
        raise InvalidInput(
            "Cash on delivery is priced with a delivery method: name one.",
            errors=[field_error("delivery_method", "name a delivery method", "missing")],
        ) from None
    if delivery_price is not None:
        raise InvalidInput(
            "Name a delivery method or a delivery price, not both.",
            errors=[field_error("delivery_price", "not with delivery_method", "conflict")],
        )
    info = channels.channel_info(session, code=channel) if channel is not None else None
    if info is None:
        raise InvalidInput(
            "A delivery method is priced by a channel's rates: name the channel.",
            errors=[field_error("channel", "unknown or missing", "channel")],
        )
    if info.currency != currency:
        raise InvalidInput(
            f"Channel {info.code} delivers for {info.currency}, not {currency}.",
            errors=[field_error("currency", f"the channel's is {info.currency}", "currency")],
        )
    return channels.delivery_price(
        session,
        channel_id=info.id,
        method=chosen,
        cash_on_delivery=cash_on_delivery,
    )
