"""customers: spend rebuilt from the payments taken and given back before it followed them

Spend now adds up `order_paid` and `order_refunded` timeline entries, which an outbox
consumer writes for each capture and refund. Money moved before the upgrade has no
such entry, and the outbox keeps events only for a while: without this step every
existing customer's spend would start from zero and the VIP segment would empty.

Each succeeded capture and refund in `payment_operations` of an order with a customer
becomes one entry, on the live profile (a merged one's survivor; an erased one gets
none). The payment events still in the outbox are left to the consumer, which reads
them from its first run: an operation matched by a retained event (same payment, kind
and amount) is skipped here, so nothing counts twice. Downgrading removes the entries
of both types (the code before did not write them).

Revision ID: e4b9c2d7a1f5
Revises: d8e2b6a4f1c3
Create Date: 2026-12-07 22:40:00.000000
"""

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from omnichannel.db.types import JSONDoc, UTCDateTime
from omnichannel.kernel import new_id, utcnow
from omnichannel.security.crypto import keyring

revision: str = "e4b9c2d7a1f5"
down_revision: str | None = "d8e2b6a4f1c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TYPES = {"capture": "order_paid", "refund": "order_refunded"}
_EVENTS = {"payment.captured": "capture", "payment.refunded": "refund"}
_BATCH = 1000

_operations = sa.table(
    "payment_operations",
    sa.column("id", sa.Uuid()),
    sa.column("payment_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("amount", sa.Integer()),
    sa.column("succeeded", sa.Boolean()),
    sa.column("at", UTCDateTime()),
)
_payments = sa.table(
    "payments",
    sa.column("id", sa.Uuid()),
    sa.column("order_id", sa.Uuid()),
    sa.column("currency", sa.String()),
)
_orders = sa.table(
    "orders",
    sa.column("id", sa.Uuid()),
    sa.column("customer_id", sa.Uuid()),
    sa.column("number", sa.String()),
)
_customers = sa.table(
    "customers",
    sa.column("id", sa.Uuid()),
    sa.column("merged_into_id", sa.Uuid()),
    sa.column("status", sa.String()),
)
_outbox = sa.table(
    "outbox",
    sa.column("type", sa.String()),
    sa.column("payload", JSONDoc),
)
_timeline = sa.table(
    "customer_timeline",
    sa.column("id", sa.Uuid()),
    sa.column("customer_id", sa.Uuid()),
    sa.column("type", sa.String()),
    sa.column("channel", sa.String()),
    sa.column("staff_id", sa.Uuid()),
    sa.column("occurred_at", UTCDateTime()),
    sa.column("recorded_at", UTCDateTime()),
    sa.column("amount_minor", sa.BigInteger()),
    sa.column("currency", sa.String()),
    sa.column("reference", sa.String()),
    sa.column("summary", sa.Text()),
    sa.column("data", sa.Text()),
)


def _retained(conn: sa.Connection) -> Counter[tuple[str, str, int]]:
    """(payment id, kind, amount) of every payment move whose event the consumer will
    still read, counted."""
    found: Counter[tuple[str, str, int]] = Counter()
    rows = conn.execute(
        sa.select(_outbox.c.type, _outbox.c.payload).where(_outbox.c.type.in_(list(_EVENTS)))
    )
    for type_, payload in rows:
        if payload.get("succeeded", True) and payload.get("payment_id"):
            found[(str(payload["payment_id"]), _EVENTS[type_], int(payload["amount"]))] += 1
    return found


def _live(conn: sa.Connection) -> dict[uuid.UUID, uuid.UUID]:
    """Each customer id that is not erased, to the profile that lives on for it."""
    status: dict[uuid.UUID, str] = {}
    merged: dict[uuid.UUID, uuid.UUID | None] = {}
    for cid, into, state in conn.execute(
        sa.select(_customers.c.id, _customers.c.merged_into_id, _customers.c.status)
    ):
        status[cid] = state
        merged[cid] = into
    live: dict[uuid.UUID, uuid.UUID] = {}
    for cid in status:
        target = merged[cid] or cid
        if status.get(target) not in (None, "erased"):
            live[cid] = target
    return live


def _entry(row: Any, customer_id: uuid.UUID, now: Any) -> dict[str, Any]:
    data = {"order_id": str(row.order_id), "payment_id": str(row.payment_id)}
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return {
        "id": new_id(),
        "customer_id": customer_id,
        "type": _TYPES[row.kind],
        "channel": None,
        "staff_id": None,
        "occurred_at": row.at,
        "recorded_at": now,
        "amount_minor": row.amount,
        "currency": row.currency,
        "reference": row.number,
        "summary": None,
        "data": keyring().seal(text, context="customer_timeline.data"),
    }


def upgrade() -> None:
    conn = op.get_bind()
    retained = _retained(conn)
    live = _live(conn)
    moves = (
        sa.select(
            _operations.c.payment_id,
            _operations.c.kind,
            _operations.c.amount,
            _operations.c.at,
            _payments.c.order_id,
            _payments.c.currency,
            _orders.c.customer_id,
            _orders.c.number,
        )
        .join(_payments, _payments.c.id == _operations.c.payment_id)
        .join(_orders, _orders.c.id == _payments.c.order_id)
        .where(
            _operations.c.succeeded.is_(True),
            _operations.c.kind.in_(list(_TYPES)),
            _operations.c.amount > 0,
            _orders.c.customer_id.is_not(None),
        )
        .order_by(_operations.c.at, _operations.c.id)
    )
    now = utcnow()
    batch: list[dict[str, Any]] = []
    for row in conn.execute(moves):
        key = (str(row.payment_id), row.kind, int(row.amount))
        if retained[key] > 0:  # the consumer records this one from its event
            retained[key] -= 1
            continue
        customer = live.get(row.customer_id)
        if customer is None:
            continue
        batch.append(_entry(row, customer, now))
        if len(batch) >= _BATCH:
            conn.execute(_timeline.insert(), batch)
            batch = []
    if batch:
        conn.execute(_timeline.insert(), batch)


def downgrade() -> None:
    op.execute(_timeline.delete().where(_timeline.c.type.in_(["order_paid", "order_refunded"])))
