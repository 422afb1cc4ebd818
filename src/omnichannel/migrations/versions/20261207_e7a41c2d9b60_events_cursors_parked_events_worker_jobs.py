"""events cursors, parked events, worker jobs; outbox shard and txid

Outbox consumers keep a cursor per shard (`event_cursors`) and park what they give
up on (`parked_events`); exclusive worker jobs hold a lease (`worker_jobs`). Each
outbox row gets its shard and, on PostgreSQL, the id of the transaction that wrote
it. The availability projector now consumes `inventory.level_changed`, so the
`availability_dirty` marks go, and so does the never-set `published_at`.

Revision ID: e7a41c2d9b60
Revises: a3c91e07d5b2
Create Date: 2026-12-07 19:00:20.345028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omnichannel.db.types
from omnichannel.db.outbox import shard_of

revision: str = "e7a41c2d9b60"
down_revision: str | None = "a3c91e07d5b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_cursors",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("low", sa.String(length=2000), nullable=True),
        sa.Column("low_xmin", sa.BigInteger(), nullable=False),
        sa.Column("high", sa.String(length=2000), nullable=True),
        sa.Column("high_xmax", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("leased_by", sa.String(length=128), nullable=True),
        sa.Column("leased_until", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "shard", name=op.f("pk_event_cursors")),
    )
    op.create_table(
        "parked_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("parked_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "replay_requested_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("replayed_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parked_events")),
        sa.UniqueConstraint(
            "consumer", "position", name=op.f("uq_parked_events_consumer_position")
        ),
    )
    with op.batch_alter_table("parked_events", schema=None) as batch_op:
        batch_op.create_index("ix_parked_events_position", ["position"], unique=False)

    op.create_table(
        "worker_jobs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("next_run_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leased_by", sa.String(length=128), nullable=True),
        sa.Column("leased_until", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_jobs")),
    )
    op.drop_table("availability_dirty")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("txid", sa.BigInteger(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_outbox_unpublished"))
        batch_op.create_index("ix_outbox_shard", ["shard", "txid", "position"], unique=False)
        batch_op.drop_column("published_at")
    _shard_existing_events()
    if op.get_bind().dialect.name == "postgresql":
        # Every row written from now on carries its transaction's id; rows already
        # there committed long ago: the lowest id there is.
        op.execute("UPDATE outbox SET txid = 1")
        op.execute(
            "ALTER TABLE outbox ALTER COLUMN txid SET DEFAULT "
            "CAST(CAST(pg_current_xact_id() AS text) AS bigint)"
        )


def _shard_existing_events() -> None:
    """Put the events already written in their aggregates' shards."""
    conn = op.get_bind()
    outbox = sa.table(
        "outbox",
        sa.column("position", sa.BigInteger()),
        sa.column("aggregate_type", sa.String()),
        sa.column("aggregate_id", sa.String()),
        sa.column("shard", sa.SmallInteger()),
    )
    rows = conn.execute(
        sa.select(outbox.c.position, outbox.c.aggregate_type, outbox.c.aggregate_id)
    )
    updates = [{"p": r[0], "s": shard_of(r[1], r[2])} for r in rows]
    if updates:
        conn.execute(
            outbox.update()
            .where(outbox.c.position == sa.bindparam("p"))
            .values(shard=sa.bindparam("s")),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "published_at", omnichannel.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.drop_index("ix_outbox_shard")
        batch_op.create_index("ix_outbox_unpublished", ["published_at", "position"], unique=False)
        batch_op.drop_column("txid")
        batch_op.drop_column("shard")

    op.create_table(
        "availability_dirty",
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("variant_id", name=op.f("pk_availability_dirty")),
    )
    op.drop_table("worker_jobs")
    with op.batch_alter_table("parked_events", schema=None) as batch_op:
        batch_op.drop_index("ix_parked_events_position")

    op.drop_table("parked_events")
    op.drop_table("event_cursors")
