"""orders, inventory: the reasons people type are sealed, and order events lose them

A cancel reason may name the customer ("Mrs Kowalska changed her mind"), a stock
adjustment's reason the person who brought goods back: free text is personal data
(promise 7). Upgrading seals the values already stored, with the key ring the
application uses (OMNI_SECRET_KEY), and rewrites the order events in the outbox that
carried a reason to say only whether one was given. A cancel's reason also reached
its refund (the payment's call in flight, its operation's message, its events): those
now say the fixed reason refunds give. Downgrading opens the sealed values again;
the reasons taken out of events and refunds are gone for good.

Revision ID: d8e2b6a4f1c3
Revises: c1a7f3e9d2b4
Create Date: 2026-12-07 22:10:00.000000
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from omnichannel.db.types import JSONDoc
from omnichannel.security.crypto import keyring

revision: str = "d8e2b6a4f1c3"
down_revision: str | None = "c1a7f3e9d2b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, the length of the plain column): both have an integer key `id`.
_COLUMNS = (("order_transitions", "reason", 500), ("stock_movements", "reason", 200))
_BATCH = 1000
REFUND_REASON = "order cancelled"  # what `orders.lifecycle` asks every refund with


def _rewrite(table: str, column: str, change: Callable[[str, str], str]) -> None:
    """Pass every non-null value through `change(value, context)`, a batch at a time."""
    conn = op.get_bind()
    t = sa.table(table, sa.column("id", sa.BigInteger()), sa.column(column, sa.Text()))
    context = f"{table}.{column}"
    after = None
    while True:
        q = sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))
        if after is not None:
            q = q.where(t.c.id > after)
        rows = conn.execute(q.order_by(t.c.id).limit(_BATCH)).all()
        if not rows:
            return
        conn.execute(
            t.update().where(t.c.id == sa.bindparam("row_id")).values({column: sa.bindparam("v")}),
            [{"row_id": row_id, "v": change(value, context)} for row_id, value in rows],
        )
        after = rows[-1][0]


def _seal(value: str, context: str) -> str:
    return keyring().seal(value, context=context)


def _open(value: str, context: str) -> str:
    return keyring().open(value, context=context)


def _rewrite_events(aggregate_type: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Pass the payload of every event of `aggregate_type` that has a `reason` through
    `change` (in place), a batch at a time."""
    conn = op.get_bind()
    has_reason = (
        "payload ? 'reason'"
        if conn.dialect.name == "postgresql"
        else "json_type(payload, '$.reason') IS NOT NULL"
    )
    outbox = sa.table(
        "outbox",
        sa.column("position", sa.BigInteger()),
        sa.column("aggregate_type", sa.String()),
        sa.column("payload", JSONDoc),
    )
    after = 0
    while True:
        rows = conn.execute(
            sa.select(outbox.c.position, outbox.c.payload)
            .where(
                outbox.c.aggregate_type == aggregate_type,
                sa.text(has_reason),
                outbox.c.position > after,
            )
            .order_by(outbox.c.position)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        changed = []
        for position, payload in rows:
            doc: dict[str, Any] = dict(payload)
            change(doc)
            changed.append({"p": position, "doc": doc})
        conn.execute(
            outbox.update()
            .where(outbox.c.position == sa.bindparam("p"))
            .values(payload=sa.bindparam("doc", type_=JSONDoc)),
            changed,
        )
        after = rows[-1][0]


def _order_event(doc: dict[str, Any]) -> None:
    """`reason: <text>` becomes `reason_given: true` (`reason: null`, false)."""
    doc["reason_given"] = doc.pop("reason", None) is not None


def _refund_event(doc: dict[str, Any]) -> None:
    """A refund's reason and message began with the words typed for the cancel."""
    doc["reason"] = doc["message"] = REFUND_REASON


def _scrub_refunds() -> None:
    """The only refunds asked for so far came from cancels, with the reason typed for
    the cancel: in the call in flight, in the operation's message (before the
    provider's words, which go too: they cannot be told apart safely) and in the
    payment's events. They all say the fixed reason refunds give now."""
    conn = op.get_bind()
    payments = sa.table("payments", sa.column("pending_reason", sa.String()))
    conn.execute(
        payments.update()
        .where(payments.c.pending_reason.is_not(None))
        .values(pending_reason=REFUND_REASON)
    )
    operations = sa.table(
        "payment_operations", sa.column("kind", sa.String()), sa.column("message", sa.String())
    )
    conn.execute(
        operations.update()
        .where(operations.c.kind == "refund", operations.c.message.is_not(None))
        .values(message=REFUND_REASON)
    )
    _rewrite_events("payment", _refund_event)


def upgrade() -> None:
    for table, column, length in _COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=length),
                type_=sa.Text(),
                existing_nullable=True,
            )
        _rewrite(table, column, _seal)
    _rewrite_events("order", _order_event)
    _scrub_refunds()


def downgrade() -> None:
    for table, column, length in _COLUMNS:
        _rewrite(table, column, _open)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.String(length=length),
                existing_nullable=True,
            )
