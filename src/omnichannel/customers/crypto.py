"""Personal data at rest: the key ring and the sealed column types.

They moved to `omnichannel.security.crypto`, under every domain that seals free text
(orders, inventory); this module keeps the names customers' code and tools import.
There is one ring: `install` and `using` here change the one `security.crypto` holds.
"""

from omnichannel.security.crypto import (
    Key,
    KeyRing,
    KeyUnavailable,
    Sealed,
    SealedJSON,
    install,
    keyring,
    new_secret_key,
    using,
)

__all__ = [
    "Key",
    "KeyRing",
    "KeyUnavailable",
    "Sealed",
    "SealedJSON",
    "install",
    "keyring",
    "new_secret_key",
    "using",
]
