"""Cart states, limits and the handoff code alphabet: plain values, no I/O."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class CartStatus(StrEnum):
    OPEN = "open"
    ORDERED = "ordered"  # checked out: the order holds its lines now
    MERGED = "merged"  # an anonymous cart folded into the customer's on sign-in
    ABANDONED = "abandoned"


MAX_LINES = 100
MAX_QUANTITY = 999  # per line
MAX_COUPONS = 5
HANDOFF_TTL = timedelta(hours=24)
# A handoff code is read aloud and typed at a till: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
HANDOFF_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
HANDOFF_LENGTH = 6
