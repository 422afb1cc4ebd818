"""Key rotation: re-seal every personal value under the current key and re-compute
the blind indexes with it, in batches, while the service keeps running.

1. Generate a key (`omni customers new-key`). Deploy every process with it as
   OMNI_SECRET_KEY and the old one added to OMNI_RETIRED_SECRET_KEYS: new writes use
   the new key, old values still open, lookups try the digests of both.
2. Run `omni customers rotate-keys`: it re-seals what is still under a retired key and
   re-indexes identities and addresses, one committed batch at a time.
3. Remove the retired key. A value it still sealed would then fail loudly to open,
   so step 2 reports zero values left before you do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Column, Table, Text, bindparam, func, select, type_coerce, update
from sqlalchemy.orm import Session

from omnichannel.customers import models
from omnichannel.customers.crypto import Sealed, SealedJSON, keyring
from omnichannel.customers.profiles import CITY_INDEX
from omnichannel.customers.rules import IdentityType, fold_city
from omnichannel.db import Base


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    column: Column[str]
    context: str


def sealed_columns() -> list[SealedColumn]:
    """Every column of every table that holds sealed values: this domain's and the
    other domains' copies and free text (orders' contacts, the reasons people typed),
    all sealed with the one ring. Every such table has a one-column primary key (an
    `id`, or a pickup's `order_id`)."""
    out = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Sealed | SealedJSON):
                out.append(SealedColumn(table, column, column.type.context))
    return out


def _raw(column: Column[str]) -> Column[str]:
    """The column as stored text, without opening it."""
    return type_coerce(column, Text)  # type: ignore[return-value]


def stale_count(session: Session) -> int:
    """How many values are still sealed under a key other than the current one."""
    prefix = f"{keyring().current.id}:"
    total = 0
    for sc in sealed_columns():
        raw = _raw(sc.column)
        total += (
            session.scalar(
                select(func.count())
                .select_from(sc.table)
                .where(sc.column.is_not(None), ~raw.startswith(prefix, autoescape=True))
            )
            or 0
        )
    return total


def reseal(session: Session, *, limit: int = 500) -> int:
    """Re-seal up to `limit` values still under a retired key; returns how many."""
    ring = keyring()
    prefix = f"{ring.current.id}:"
    done = 0
    for sc in sealed_columns():
        if done >= limit:
            break
        raw = _raw(sc.column)
        (key,) = sc.table.primary_key.columns
        rows = session.execute(
            select(key, raw)
            .where(sc.column.is_not(None), ~raw.startswith(prefix, autoescape=True))
            .limit(limit - done)
        ).all()
        if not rows:
            continue
        session.execute(
            update(sc.table)
            .where(key == bindparam("row_id"))
            .values({sc.column.name: bindparam("sealed", type_=Text)}),
            [
                {
                    "row_id": row_id,
                    "sealed": ring.seal(ring.open(value, context=sc.context), context=sc.context),
                }
                for row_id, value in rows
            ],
        )
        done += len(rows)
    return done


def reindex_identities(
    session: Session, *, after: uuid.UUID | None = None, limit: int = 500
) -> tuple[int, uuid.UUID | None]:
    """Re-compute, under the current key, the blind indexes of up to `limit`
    identities and then addresses past `after`; returns (changed, where to go on)."""
    ring = keyring()
    changed = 0
    q = select(models.CustomerIdentity).order_by(models.CustomerIdentity.id).limit(limit)
    if after is not None:
        q = q.where(models.CustomerIdentity.id > after)
    rows = list(session.scalars(q))
    for ident in rows:
        digest = ring.blind_index(IdentityType(ident.type), ident.value)
        if digest != ident.digest:
            ident.digest = digest
            changed += 1
    session.flush()
    return changed, rows[-1].id if len(rows) == limit else None


def reindex_addresses(
    session: Session, *, after: uuid.UUID | None = None, limit: int = 500
) -> tuple[int, uuid.UUID | None]:
    """The same for the addresses' city indexes."""
    ring = keyring()
    changed = 0
    q = select(models.CustomerAddress).order_by(models.CustomerAddress.id).limit(limit)
    if after is not None:
        q = q.where(models.CustomerAddress.id > after)
    rows = list(session.scalars(q))
    for address in rows:
        digest = ring.blind_index(CITY_INDEX, fold_city(str(address.details.get("city", ""))))
        if digest != address.city_index:
            address.city_index = digest
            changed += 1
    session.flush()
    return changed, rows[-1].id if len(rows) == limit else None
