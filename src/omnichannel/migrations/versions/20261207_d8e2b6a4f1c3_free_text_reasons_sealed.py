"""orders, inventory: the reasons people type are sealed, and order events lose them

A cancel reason may name the customer ("Mrs Kowalska changed her mind"), a stock
adjustment's reason the person who brought goods back: free text is personal data
(promise 7). Upgrading seals the values already stored, with the key ring the
application uses (OMNI_SECRET_KEY), and rewrites the order events in the outbox that
carried a reason to say only whether one was given. Downgrading opens the values
again; the events' reasons are gone for good.

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


def _scrub_order_events() -> None:
    """Order events said `reason: <text>`; they now say `reason_given: true`."""
    conn = op.get_bind()
    has_reason = (
        "payload ? 'reason'"
        if conn.dialect.name == "postgresql"
        else "json_type(payload, '$.reason') IS NOT NULL"
    )
    outbox = sa.table(
        "outbox", sa.column("position", sa.BigInteger()), sa.column("payload", JSONDoc)
    )
    after = 0
    while True:
        rows = conn.execute(
            sa.select(outbox.c.position, outbox.c.payload)
            .where(
                sa.text("aggregate_type = 'order'"),
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
            reason = doc.pop("reason", None)
            doc["reason_given"] = reason is not None
            changed.append({"p": position, "doc": doc})
        conn.execute(
            outbox.update()
            .where(outbox.c.position == sa.bindparam("p"))
            .values(payload=sa.bindparam("doc", type_=JSONDoc)),
            changed,
        )
        after = rows[-1][0]


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
    _scrub_order_events()


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
