"""Reading prices: the price of variants at a time (with the pricing token, in the
quote's one round trip), a list's current and scheduled prices by page, and which
variants are priced at all. Writing them is `lists.set_prices`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Table, bindparam, or_, select
from sqlalchemy.orm import Session

from omnichannel.db.idlist import any_id, id_list
from omnichannel.db.types import UTCDateTime
from omnichannel.kernel import utcnow
from omnichannel.pricing.lists import get_price_list
from omnichannel.pricing.models import Price, PriceList, PricingState

_prices: Table = Price.__table__  # type: ignore[assignment]


@lru_cache(maxsize=4)
def _prices_at_query(dialect: str) -> Select[Any]:
    """Built once per dialect; the list and variant ids are bound arrays (`db.idlist`)."""
    return select(_prices.c.price_list_id, _prices.c.variant_id, _prices.c.amount).where(
        any_id(dialect, _prices.c.price_list_id, id_list("lists")),
        any_id(dialect, _prices.c.variant_id, id_list("variants")),
        _prices.c.valid_from <= bindparam("at", type_=UTCDateTime()),
        or_(
            _prices.c.valid_to.is_(None), _prices.c.valid_to > bindparam("at", type_=UTCDateTime())
        ),
    )


@lru_cache(maxsize=4)
def _token_and_prices_query(dialect: str) -> Select[Any]:
    """The pricing token and the prices of `:variants` in every list, in one round trip:
    the token says which lists and promotions apply, so they are read together."""
    state: Table = PricingState.__table__  # type: ignore[assignment]
    at = bindparam("at", type_=UTCDateTime())
    return (
        select(state.c.token, _prices.c.price_list_id, _prices.c.variant_id, _prices.c.amount)
        .select_from(state)
        .outerjoin(
            _prices,
            any_id(dialect, _prices.c.variant_id, id_list("variants"))
            & (_prices.c.valid_from <= at)
            & or_(_prices.c.valid_to.is_(None), _prices.c.valid_to > at),
        )
        .where(state.c.id == 1)
    )


def token_and_prices(
    session: Session, *, variant_ids: Sequence[uuid.UUID], at: datetime
) -> tuple[uuid.UUID | None, dict[tuple[uuid.UUID, uuid.UUID], int | None]]:
    """The pricing token and (list, variant) -> price at `at` in every list, one query.
    (A database whose state row is gone answers with no token, and two queries.)"""
    conn = session.connection()
    rows = conn.execute(
        _token_and_prices_query(conn.dialect.name), {"variants": list(variant_ids), "at": at}
    ).all()
    if not rows:
        snap_lists = session.execute(select(PriceList.id)).scalars().all()
        return None, prices_at(session, list_ids=snap_lists, variant_ids=variant_ids, at=at)
    return rows[0][0], {(r[1], r[2]): r[3] for r in rows if r[1] is not None}


def prices_at(
    session: Session,
    *,
    list_ids: Sequence[uuid.UUID],
    variant_ids: Sequence[uuid.UUID],
    at: datetime,
) -> dict[tuple[uuid.UUID, uuid.UUID], int | None]:
    """(list, variant) -> the price in effect at `at`, for every pair that has one."""
    if not list_ids or not variant_ids:
        return {}
    conn = session.connection()
    rows = conn.execute(
        _prices_at_query(conn.dialect.name),
        {"lists": list(list_ids), "variants": list(variant_ids), "at": at},
    )
    return {(r[0], r[1]): r[2] for r in rows}


def list_prices(
    session: Session,
    *,
    price_list_id: uuid.UUID,
    after: uuid.UUID | None = None,
    limit: int = 50,
    variant_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> tuple[list[Price], uuid.UUID | None]:
    """Current and scheduled prices of `limit` variants (in id order) and the last
    variant of the page if more follow."""
    now = now or utcnow()
    get_price_list(session, price_list_id=price_list_id)
    live = (Price.price_list_id == price_list_id) & or_(
        Price.valid_to.is_(None), Price.valid_to > now
    )
    ids_q = select(Price.variant_id).where(live).distinct().order_by(Price.variant_id)
    if after is not None:
        ids_q = ids_q.where(Price.variant_id > after)
    if variant_id is not None:
        ids_q = ids_q.where(Price.variant_id == variant_id)
    ids = list(session.scalars(ids_q.limit(limit + 1)))
    more = len(ids) > limit
    ids = ids[:limit]
    if not ids:
        return [], None
    rows = list(
        session.scalars(
            select(Price)
            .where(live, Price.variant_id.in_(ids))
            .order_by(Price.variant_id, Price.valid_from)
        )
    )
    return rows, ids[-1] if more else None


def priced_variant_ids(session: Session, *, now: datetime | None = None) -> list[uuid.UUID]:
    """Every variant with a current or scheduled price in some list."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Price.variant_id)
            .where(or_(Price.valid_to.is_(None), Price.valid_to > now))
            .distinct()
            .order_by(Price.variant_id)
        )
    )
