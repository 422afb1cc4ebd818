"""Customer 360: what a cashier or an agent needs in one call.

Profile, identities, addresses, consents, open service cases, the head of the
timeline, segments, recent orders (any channel) and open carts. Customers must not
import orders or carts (they sit above it), so those two domains lend their readers
at start-up (`wiring.install`), as they lend the GDPR export theirs. A reader gets
the ids of the profile and of every profile merged into it, so orders and carts kept
under a merged id show too, and answers with a bounded number of statements however
many there are. Until a reader is lent, its list is empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.customers import audit, cases, consents, profiles, records, segments, timeline
from omnichannel.customers.models import Consent, Customer, ServiceCase, TimelineEntry
from omnichannel.customers.schemas import PERSONAL_FIELDS
from omnichannel.customers.schemas_360 import CartSummary, OrderSummary

TIMELINE_HEAD = 10
RECENT_ORDERS = 10
OPEN_CARTS = 10


class OrdersReader(Protocol):
    def __call__(
        self, session: Session, *, customer_ids: list[uuid.UUID], limit: int
    ) -> Sequence[OrderSummary]:
        """The latest orders of these customer ids, newest first."""
        ...


class CartsReader(Protocol):
    def __call__(
        self, session: Session, *, customer_ids: list[uuid.UUID], limit: int
    ) -> Sequence[CartSummary]:
        """The open carts of these customer ids, last changed first."""
        ...


@dataclass
class _Lent:
    orders: OrdersReader | None = None
    carts: CartsReader | None = None


_lent = _Lent()


def orders_from(reader: OrdersReader) -> None:
    """Have `reader` list the customer's recent orders in every 360."""
    _lent.orders = reader


def carts_from(reader: CartsReader) -> None:
    """Have `reader` list the customer's open carts in every 360."""
    _lent.carts = reader


@dataclass
class View360:
    profile: profiles.Profile
    consents: list[Consent]
    open_cases: list[ServiceCase]
    timeline: list[TimelineEntry]
    segments: list[str]
    recent_orders: list[OrderSummary] = field(default_factory=list)
    open_carts: list[CartSummary] = field(default_factory=list)


def customer_360(
    session: Session,
    *,
    customer_id: uuid.UUID,
    reveal: bool,
    timeline_limit: int = TIMELINE_HEAD,
) -> View360:
    """The whole customer at a glance (a merged id gives the survivor); an audited
    read when `reveal`."""
    customer = records.resolve(session, customer_id)
    out = View360(
        profile=profiles.profile(session, customer),
        consents=list(consents.current(session, customer_id=customer.id).values()),
        open_cases=cases.open_cases_of(session, customer_id=customer.id),
        timeline=timeline.entries(session, customer_id=customer.id, limit=timeline_limit)[
            :timeline_limit
        ],
        segments=segments.segments_of(session, customer_id=customer.id),
    )
    if _lent.orders is not None or _lent.carts is not None:
        ids = _every_id(session, customer.id)
        if _lent.orders is not None:
            out.recent_orders = list(_lent.orders(session, customer_ids=ids, limit=RECENT_ORDERS))
        if _lent.carts is not None:
            out.open_carts = list(_lent.carts(session, customer_ids=ids, limit=OPEN_CARTS))
    if reveal:
        audit.record(
            session,
            action=audit.Action.READ,
            customer_ids=[customer.id],
            fields=[*PERSONAL_FIELDS, "timeline", "cases", "orders"],
            purpose="customer360",
        )
    return out


def _every_id(session: Session, live: uuid.UUID) -> list[uuid.UUID]:
    """The live profile's id and those of the profiles merged into it."""
    merged = session.scalars(select(Customer.id).where(Customer.merged_into_id == live))
    return [live, *merged]
