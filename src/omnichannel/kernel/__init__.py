"""Building blocks every domain shares. Standard library only."""

from omnichannel.kernel.auth import Principal
from omnichannel.kernel.clock import Clock, FrozenClock, SystemClock, utcnow
from omnichannel.kernel.errors import Conflict, DomainError, Forbidden, NotFound, Unauthenticated
from omnichannel.kernel.ids import new_id
from omnichannel.kernel.money import Money

__all__ = [
    "Clock",
    "Conflict",
    "DomainError",
    "Forbidden",
    "FrozenClock",
    "Money",
    "NotFound",
    "Principal",
    "SystemClock",
    "Unauthenticated",
    "new_id",
    "utcnow",
]
