"""Price lists and their effective-dated prices.

A variant's prices in a list form a timeline: each row holds from its `valid_from`
until the next row's (`valid_to`, kept here). Setting a price inserts a row at its
time and closes the one before it, so a change can be scheduled ahead and "the price
at t" is one indexed lookup. Rows that ended in the past are never touched again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.db import record_event
from omnichannel.kernel import new_id, utcnow
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed
from omnichannel.pricing import history, snapshot
from omnichannel.pricing.errors import (
    BaseListExists,
    PriceListCodeTaken,
    PriceListNotFound,
    field_error,
)
from omnichannel.pricing.models import Price, PriceList
from omnichannel.pricing.rules import ListKind, ListStatus
from omnichannel.pricing.schemas import PriceListCreate, PriceListUpdate

_prices: Table = Price.__table__  # type: ignore[assignment]

# A valid_from this far in the past is taken to mean "now" (clocks differ); older is refused.
PAST_TOLERANCE = timedelta(minutes=5)
# Prices per `pricing.price_changed` event: a big import becomes several, in order.
EVENT_PRICES = 500


@dataclass(frozen=True, slots=True)
class PriceChange:
    variant_id: uuid.UUID
    amount: int | None  # None: not sold in this list from valid_from
    valid_from: datetime | None = None  # None: now


def _event(session: Session, pl: PriceList, type_: str, payload: dict[str, Any]) -> None:
    record_event(
        session,
        aggregate_type="price_list",
        aggregate_id=pl.id,
        sequence=pl.version,
        type=type_,
        payload={"id": str(pl.id), "code": pl.code, "currency": pl.currency, **payload},
    )


def _check_single_base(session: Session, currency: str, other_than: uuid.UUID | None) -> None:
    found = session.scalar(
        select(PriceList.code).where(
            PriceList.kind == ListKind.BASE.value,
            PriceList.status == ListStatus.ACTIVE.value,
            PriceList.currency == currency,
            PriceList.id != other_than if other_than else PriceList.id.is_not(None),
        )
    )
    if found is not None:
        raise BaseListExists(
            f"{found} is already the active base list in {currency}; deactivate it first.",
            errors=[field_error("kind", f"{currency} already has a base list", "duplicate")],
        )


def create_price_list(session: Session, *, data: PriceListCreate) -> PriceList:
    """Add a price list (base, segment or channel override)."""
    if session.scalar(select(PriceList.id).where(PriceList.code == data.code)) is not None:
        raise PriceListCodeTaken(
            f"A price list with code {data.code} already exists.",
            errors=[field_error("code", "already in use", "duplicate")],
        )
    if data.kind is ListKind.BASE:
        _check_single_base(session, data.currency, None)
    pl = PriceList(
        id=new_id(),
        code=data.code,
        name=data.name,
        currency=data.currency,
        kind=data.kind.value,
        segment=data.segment,
        channel=data.channel,
        priority=data.priority,
        status=ListStatus.ACTIVE.value,
    )
    session.add(pl)
    session.flush()
    snapshot.bump(session)
    _event(session, pl, "pricing.price_list_created", _public(pl))
    return pl


def _public(pl: PriceList) -> dict[str, Any]:
    return {
        "kind": pl.kind,
        "segment": pl.segment,
        "channel": pl.channel,
        "priority": pl.priority,
        "status": pl.status,
    }


def get_price_list(session: Session, *, price_list_id: uuid.UUID) -> PriceList:
    """One price list; 404 if unknown."""
    pl = session.get(PriceList, price_list_id)
    if pl is None:
        raise PriceListNotFound(f"Price list {price_list_id} does not exist.")
    return pl


def list_price_lists(session: Session) -> list[PriceList]:
    """Every price list, by currency, kind and code (a retailer has a handful)."""
    return list(
        session.scalars(
            select(PriceList).order_by(PriceList.currency, PriceList.kind, PriceList.code)
        )
    )


def price_lists_by_code(session: Session, *, codes: Iterable[str]) -> dict[str, PriceList]:
    """The lists with these codes that exist."""
    wanted = list(set(codes))
    if not wanted:
        return {}
    return {
        pl.code: pl for pl in session.scalars(select(PriceList).where(PriceList.code.in_(wanted)))
    }


def update_price_list(
    session: Session,
    *,
    price_list_id: uuid.UUID,
    data: PriceListUpdate,
    if_version: int | None = None,
) -> PriceList:
    """Rename, re-prioritise, (de)activate a list; `if_version` guards a lost update."""
    pl = get_price_list(session, price_list_id=price_list_id)
    if if_version is not None and if_version != pl.version:
        raise PreconditionFailed(
            f"Price list {pl.code} is at version {pl.version}, not {if_version}."
        )
    if data.status is ListStatus.ACTIVE and pl.kind == ListKind.BASE and pl.status != "active":
        _check_single_base(session, pl.currency, pl.id)
    if data.name is not None:
        pl.name = data.name
    if data.priority is not None:
        pl.priority = data.priority
    if data.status is not None:
        pl.status = data.status.value
    if not session.is_modified(pl):
        return pl
    pl.updated_at = utcnow()
    session.flush()
    snapshot.bump(session)
    _event(session, pl, "pricing.price_list_updated", _public(pl))
    return pl


# --- prices ---------------------------------------------------------------------------


def _check_changes(
    session: Session, changes: Sequence[PriceChange], now: datetime
) -> list[tuple[uuid.UUID, int | None, datetime]]:
    """(variant, amount, valid_from) with times resolved; 422 naming `prices.N.<field>`."""
    known = catalog.existing_variant_ids(session, variant_ids=(c.variant_id for c in changes))
    errors = []
    out = []
    seen: dict[tuple[uuid.UUID, datetime], int] = {}
    for i, c in enumerate(changes):
        at = c.valid_from or now
        if at < now - PAST_TOLERANCE:
            errors.append(
                field_error(
                    f"prices.{i}.valid_from", "prices cannot change the past", "in_the_past"
                )
            )
        at = max(at, now)
        if c.variant_id not in known:
            errors.append(
                field_error(f"prices.{i}.variant_id", "no such variant", "unknown_variant")
            )
        first = seen.setdefault((c.variant_id, at), i)
        if first != i:
            errors.append(
                field_error(
                    f"prices.{i}.variant_id",
                    f"same variant and time as prices.{first}",
                    "duplicate",
                )
            )
        out.append((c.variant_id, c.amount, at))
    if errors:
        raise InvalidInput(f"{len(errors)} price problem(s); nothing was written.", errors=errors)
    return out


def set_prices(
    session: Session,
    *,
    price_list_id: uuid.UUID,
    changes: Sequence[PriceChange],
    now: datetime | None = None,
) -> int:
    """Set (or schedule) prices in a list; returns how many rows changed. All or nothing."""
    now = now or utcnow()
    pl = get_price_list(session, price_list_id=price_list_id)
    resolved = _check_changes(session, changes, now)
    variants = sorted({v for v, _, _ in resolved})
    timelines: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(variants), 5000):
        chunk = variants[start : start + 5000]
        for row in session.execute(
            select(
                _prices.c.id,
                _prices.c.variant_id,
                _prices.c.amount,
                _prices.c.valid_from,
                _prices.c.valid_to,
            )
            .where(
                _prices.c.price_list_id == pl.id,
                _prices.c.variant_id.in_(chunk),
                or_(_prices.c.valid_to.is_(None), _prices.c.valid_to > now),
            )
            .order_by(_prices.c.variant_id, _prices.c.valid_from)
        ):
            timelines[row.variant_id].append(row._asdict())
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    by_variant: dict[uuid.UUID, list[tuple[int | None, datetime]]] = defaultdict(list)
    for v, amount, at in resolved:
        by_variant[v].append((amount, at))
    for v, wanted in by_variant.items():
        rows = timelines[v]
        for amount, at in sorted(wanted, key=lambda w: w[1]):
            note = {"variant_id": str(v), "amount": amount, "valid_from": at.isoformat()}
            same = next((r for r in rows if r["valid_from"] == at), None)
            if same is not None:
                if same["amount"] != amount:
                    same["amount"], same["dirty"] = amount, True
                    changed.append(note)
                continue
            before = [r for r in rows if r["valid_from"] < at]
            if (before[-1]["amount"] if before else None) == amount:
                continue  # already the price then: nothing to write
            rows.append({"id": None, "amount": amount, "valid_from": at, "valid_to": None})
            rows.sort(key=lambda r: r["valid_from"])
            changed.append(note)
        for i, r in enumerate(rows):
            valid_to = rows[i + 1]["valid_from"] if i + 1 < len(rows) else None
            if r["id"] is None:
                inserts.append(
                    {
                        "price_list_id": pl.id,
                        "variant_id": v,
                        "amount": r["amount"],
                        "valid_from": r["valid_from"],
                        "valid_to": valid_to,
                        "created_at": now,
                    }
                )
            elif r.get("dirty") or r["valid_to"] != valid_to:
                updates.append(
                    {"row_id": r["id"], "new_amount": r["amount"], "new_valid_to": valid_to}
                )
    if updates:
        session.execute(
            update(_prices)
            .where(_prices.c.id == bindparam("row_id"))
            .values(amount=bindparam("new_amount"), valid_to=bindparam("new_valid_to")),
            updates,
        )
    if inserts:
        session.execute(insert(_prices), inserts)
    if not changed:
        return 0
    for start in range(0, len(changed), EVENT_PRICES):
        # Each event is a version of the list: consumers apply them in order.
        pl.updated_at = utcnow()
        session.flush()
        _event(
            session, pl, "pricing.price_changed", {"prices": changed[start : start + EVENT_PRICES]}
        )
    history.refresh(
        session,
        snap=snapshot.current(session),
        list_ids=[pl.id],
        variant_ids=sorted({uuid.UUID(c["variant_id"]) for c in changed}),
        now=now,
    )
    return len(changed)
