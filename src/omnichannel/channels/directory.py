"""The channels as every request reads them, cached per worker process.

Carts, checkout and orders ask for their channel (type, locations, hold, delivery
fees per method) on every request, and channels change a few times a year. So each process
keeps them in memory, keyed by the token of the `channels_state` row, which every
change of a channel replaces in its own transaction (`bump`). A transaction reads
the token once (channel API-key sign-in reads it with the key, so it costs nothing
there) and uses the cached directory only while the token is the same: no worker
sells from a location a channel no longer uses.

Tokens are random, not counters: a rolled-back change can never make a stale
directory look current again.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction, selectinload

from omnichannel.channels.models import Channel, ChannelsState
from omnichannel.channels.rules import DeliveryRates, LocationRole
from omnichannel.kernel import new_id, utcnow

_state: Table = ChannelsState.__table__  # type: ignore[assignment]
TOKEN = select(_state.c.token).where(_state.c.id == 1)
_KEY = "omni_channels_token"  # session.info: the token this transaction read
_KEEP = 4  # directories kept per process (several databases in tests and benchmarks)


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    id: uuid.UUID
    code: str
    name: str
    type: str
    currency: str
    status: str
    cart_hold_minutes: int | None
    delivery_price: int | None  # the courier rate, None when free (before the rate table)
    rates: DeliveryRates
    sell_from: tuple[uuid.UUID, ...]  # first choice first
    pickup_at: tuple[uuid.UUID, ...]


@dataclass(frozen=True, slots=True)
class Directory:
    by_id: dict[uuid.UUID, ChannelInfo]
    by_code: dict[str, ChannelInfo]


_cache: dict[uuid.UUID, Directory] = {}
_lock = threading.Lock()


def remember(session: Session, token: uuid.UUID | None) -> None:
    """Keep the token a query of this transaction read along (API-key sign-in)."""
    session.info[_KEY] = token


def current(session: Session) -> Directory:
    """Every channel as of this transaction: cached while the token holds."""
    if _KEY in session.info:
        token = session.info[_KEY]
    else:
        token = session.execute(TOKEN).scalar()
        session.info[_KEY] = token
    if token is not None:
        found = _cache.get(token)
        if found is not None:
            return found
    directory = _load(session)
    if token is not None:
        with _lock:
            while len(_cache) >= _KEEP:
                _cache.pop(next(iter(_cache)))
            _cache[token] = directory
    return directory


def bump(session: Session) -> None:
    """Mark the channels changed, in the caller's transaction."""
    token = new_id()
    stmt = update(_state).where(_state.c.id == 1).values(token=token, updated_at=utcnow())
    if not session.execute(stmt).rowcount:  # type: ignore[attr-defined]
        # The row is gone (an emptied database): create it, then take it as usual so
        # two first writers still queue on it.
        dialect = session.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_state)
        session.execute(
            ins.values(id=1, token=new_id(), updated_at=utcnow()).on_conflict_do_nothing()
        )
        session.execute(stmt)
    session.info[_KEY] = token


def _load(session: Session) -> Directory:
    infos = [
        ChannelInfo(
            id=ch.id,
            code=ch.code,
            name=ch.name,
            type=ch.type,
            currency=ch.currency,
            status=ch.status,
            cart_hold_minutes=ch.cart_hold_minutes,
            delivery_price=ch.delivery_rates().legacy_delivery_price,
            rates=ch.delivery_rates(),
            sell_from=tuple(ch.location_ids(LocationRole.SELL_FROM)),
            pickup_at=tuple(ch.location_ids(LocationRole.PICKUP)),
        )
        for ch in session.scalars(
            select(Channel).options(selectinload(Channel.locations), selectinload(Channel.rates))
        )
    ]
    return Directory(by_id={i.id: i for i in infos}, by_code={i.code: i for i in infos})


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction, *_: Any) -> None:
    """A token is read once per transaction: the next one reads it again."""
    if transaction.parent is None:
        session.info.pop(_KEY, None)
