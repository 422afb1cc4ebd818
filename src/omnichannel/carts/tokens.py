"""The token of a cart: what lets an anonymous shopper (or the till a cart was handed
to) reach it without signing in.

It is an HMAC of the cart id and its owner under the server's secret key, so nothing
is stored, and it stops working when the owner changes (an anonymous cart claimed
by a customer). Old keys listed in OMNI_RETIRED_SECRET_KEYS still verify, so a key
rotation does not empty anybody's cart.
"""

from __future__ import annotations

import hmac
import uuid

from omnichannel.customers.crypto import keyring

PREFIX = "omcart_"
_KIND = "cart-token"


def _message(cart_id: uuid.UUID, customer_id: uuid.UUID | None) -> str:
    return f"{cart_id}:{customer_id or ''}"


def token_for(cart_id: uuid.UUID, customer_id: uuid.UUID | None) -> str:
    return PREFIX + keyring().blind_index(_KIND, _message(cart_id, customer_id))


def verify(token: str | None, cart_id: uuid.UUID, customer_id: uuid.UUID | None) -> bool:
    if not token or not token.startswith(PREFIX):
        return False
    given = token.removeprefix(PREFIX)
    return any(
        hmac.compare_digest(given, digest)
        for digest in keyring().blind_indexes(_KIND, _message(cart_id, customer_id))
    )
