"""Who acts on carts, and in which channel: a signed-in customer (their own carts),
staff allowed to handle any cart (in the channel they name), or a channel (in its
own). The carts router and checkout both start from a `Caller`.

Staff scoped to locations (`security.reach`) sell only through a channel one of
whose locations is theirs, or one with none, and change (or check out) only a cart
that is in such a channel now: the channel that last worked on it, so a cart handed
off to their till by its code is theirs to finish. Reading a cart stays open to them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from omnichannel.carts.carts import Access, load
from omnichannel.carts.models import Cart
from omnichannel.carts.seller import Seller, seller
from omnichannel.channels import service as channels
from omnichannel.kernel import Forbidden, Principal
from omnichannel.kernel.errors import InvalidInput
from omnichannel.security import reach
from omnichannel.security.rules import Permission


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    staff: bool  # may handle any customer's cart
    customer_id: uuid.UUID | None  # a signed-in customer

    def access(self, token: str | None) -> Access:
        return Access(customer_id=self.customer_id, token=token, staff=self.staff)

    def seller(self, session: Session, channel: str | None) -> Seller:
        """The channel the caller acts in."""
        p = self.principal
        if p.kind == "staff":
            if channel is None:
                raise InvalidInput(
                    "Staff name the channel they act in (`channel`).",
                    errors=[
                        {"field": "channel", "message": "required for staff", "type": "missing"}
                    ],
                )
            found = seller(session, code=channel)
            reach.check_channel(
                p, code=found.code, channel_location_ids={*found.sell_from, *found.pickup_at}
            )
            return found
        if channel is not None and channel != p.channel_code:
            raise InvalidInput(
                "You act in your own channel.",
                errors=[
                    {"field": "channel", "message": "not your channel", "type": "wrong_channel"}
                ],
            )
        return seller(session, channel_id=p.channel_id)

    def changing(self, session: Session, *, cart_id: uuid.UUID, token: str | None) -> Cart:
        """The cart, to change it or check it out: 404 unless the caller may open it,
        403 when it is in a channel a scoped staff member does not sell through."""
        cart = load(session, cart_id=cart_id, access=self.access(token))
        if self.principal.kind == "staff" and cart.touches:
            now_in = max(cart.touches, key=lambda t: t.last_at).channel_id
            info = channels.channel_info(session, channel_id=now_in)
            if info is not None:
                reach.check_channel(
                    self.principal,
                    code=info.code,
                    channel_location_ids={*info.sell_from, *info.pickup_at},
                    doing=f"change cart {cart.id}, now in",
                )
        return cart


def caller(principal: Principal) -> Caller:
    """The principal as a caller on carts; 403 unless they may handle carts."""
    if principal.kind == "customer" and principal.can(Permission.CARTS_OWN):
        return Caller(principal, staff=False, customer_id=principal.id)
    if principal.can(Permission.CARTS_WRITE):
        return Caller(principal, staff=principal.kind == "staff", customer_id=None)
    raise Forbidden("Handling carts needs carts:write (staff, channels) or a signed-in customer.")
