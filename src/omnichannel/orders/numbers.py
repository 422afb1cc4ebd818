"""Order numbers: short, readable aloud, no look-alikes, unguessable in sequence."""

from __future__ import annotations

import secrets

from omnichannel.orders.rules import NUMBER_ALPHABET

PREFIX = "OC"
LENGTH = 10  # 31^10 ≈ 8·10^14 numbers: a collision is as likely as never


def new_number() -> str:
    return PREFIX + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(LENGTH))
