"""Who acts on carts, and in which channel: a signed-in customer (their own carts),
staff allowed to handle any cart (in the channel they name), or a channel (in its
own). The carts router and checkout both start from a `Caller`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from omnichannel.carts.carts import Access
from omnichannel.carts.seller import Seller, seller
from omnichannel.kernel import Forbidden, Principal
from omnichannel.kernel.errors import InvalidInput
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
            return seller(session, code=channel)
        if channel is not None and channel != p.channel_code:
            raise InvalidInput(
                "You act in your own channel.",
                errors=[
                    {"field": "channel", "message": "not your channel", "type": "wrong_channel"}
                ],
            )
        return seller(session, channel_id=p.channel_id)


def caller(principal: Principal) -> Caller:
    """The principal as a caller on carts; 403 unless they may handle carts."""
    if principal.kind == "customer" and principal.can(Permission.CARTS_OWN):
        return Caller(principal, staff=False, customer_id=principal.id)
    if principal.can(Permission.CARTS_WRITE):
        return Caller(principal, staff=principal.kind == "staff", customer_id=None)
    raise Forbidden("Handling carts needs carts:write (staff, channels) or a signed-in customer.")
