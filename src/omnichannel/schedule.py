"""What `omni worker` runs: every domain's jobs and outbox consumers, registered by
the entrypoints that run them (`omni worker`, the in-process worker of `omni
serve`) before they start, the way `wiring.install()` connects domains' hooks.

Later work adds its jobs and consumers in `install()`: a job is a name, a schedule
and a function of the Database (`worker.jobs.Job`); a consumer is a name, a handler
and the event types it wants (`events.consumers.Consumer`), run by a shared job.
The loops below own transactions for domains whose folders have no job module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from omnichannel.config import get_settings
from omnichannel.db import Database, unit_of_work
from omnichannel.db.idempotency import SWEEP_BATCH, sweep_expired
from omnichannel.events import consumers, relay
from omnichannel.events.consumers import Consumer
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import DomainError
from omnichannel.worker.jobs import Job, Outcome, register

if TYPE_CHECKING:
    from omnichannel.customers.segments import Recount

SEGMENTS_ACTOR = "worker:segments"
KEYS_ACTOR = "worker:idempotency-keys"
RETENTION_ACTOR = "worker:outbox-retention"
MAX_BATCHES = 20  # per run of a batched job: a backlog drains over several runs


def availability() -> Consumer:
    """The availability projector (decision 10): every level change, in batches."""
    from omnichannel.inventory import jobs as inventory  # when used: importing stays cheap

    return Consumer(
        name="inventory.availability",
        handle=inventory.project_levels,
        types=frozenset({inventory.LEVEL_CHANGED}),
    )


def customer_feeds() -> list[Consumer]:
    """What orders tell customers' profiles: money paid and given back (spend), and the
    contact and address typed at checkout."""
    from omnichannel.orders import to_customers  # when used: importing stays cheap

    return [
        Consumer(
            name="orders.customer_spend",
            handle=to_customers.report_payments,
            types=to_customers.PAYMENT_MOVES,
        ),
        Consumer(
            name="orders.customer_details",
            handle=to_customers.remember_checkouts,
            types=to_customers.PLACED,
        ),
    ]


def fulfilment() -> Consumer:
    """A confirmed order's work handed to its locations (fulfilment orders)."""
    from omnichannel.fulfillment import allocating  # when used: importing stays cheap

    return Consumer(
        name="fulfillment.allocate",
        handle=allocating.allocate_confirmed,
        types=allocating.CONFIRMED,
    )


def pickups_closing() -> Consumer:
    """A cancelled order's pickup closed, so the counter's lists forget it."""
    from omnichannel.fulfillment import pickups  # when used: importing stays cheap

    return Consumer(
        name="fulfillment.close_pickups",
        handle=pickups.close_cancelled,
        types=pickups.CANCELLED,
    )


def parcels_of_cancels() -> Consumer:
    """A cancelled order's waiting parcels cancelled (withdrawn by the worker's job)."""
    from omnichannel.fulfillment import cancelling  # when used: importing stays cheap

    return Consumer(
        name="fulfillment.close_parcels",
        handle=cancelling.close_cancelled,
        types=cancelling.CANCELS,
    )


def install() -> None:
    """Register every job and consumer (idempotent). Domains are imported here, not
    at the top: `api.app` imports this module and stays cheap for tools."""
    from omnichannel.fulfillment import jobs as fulfillment  # when installing: see above
    from omnichannel.fulfillment import settling as fulfillment_settling  # see above
    from omnichannel.inventory import jobs as inventory  # when installing: see above
    from omnichannel.orders import jobs as orders  # when installing: see above

    consumers.register(availability())
    consumers.register(fulfilment())
    consumers.register(parcels_of_cancels())
    consumers.register(pickups_closing())
    for feed in customer_feeds():
        consumers.register(feed)

    register(
        Job(name="inventory.expire_holds", every=timedelta(seconds=1), run=inventory.expire_holds)
    )
    for consumer in consumers.registered():
        register(relay.job_for(consumer))
    register(
        Job(
            name="customers.segments",
            daily_after=get_settings().segments_recompute_hour,
            run=nightly_segments,
        )
    )
    register(Job(name="idempotency.sweep", every=timedelta(minutes=1), run=sweep_keys))
    # Provider calls a crash or an outage left pending between two transactions.
    register(Job(name="payments.settle", every=timedelta(minutes=1), run=orders.settle))
    # Pickups past their collect-by day: the order cancelled, the customer told.
    register(
        Job(
            name="fulfillment.expire_pickups",
            every=timedelta(minutes=1),
            run=fulfillment.expire_pickups,
        )
    )
    # Parcels a crash left requested, and parcels on their way followed.
    register(
        Job(
            name="fulfillment.settle_shipments",
            every=timedelta(minutes=1),
            run=fulfillment_settling.settle_shipments,
        )
    )
    register(Job(name="events.retention", every=timedelta(hours=1), run=prune_outbox))


# --- segments -----------------------------------------------------------------------------


@dataclass
class SegmentsRun:
    recomputed: list[Recount] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (code, why)


def recompute_segments(
    db: Database, codes: list[str] | None = None, *, actor: str, now: datetime | None = None
) -> SegmentsRun:
    """Recompute rule segments (all of them, or `codes`), one transaction each, as of
    `now` (the caller's clock, so the nightly job and what it stamps agree)."""
    from omnichannel.customers import segments  # when run: importing stays cheap

    out = SegmentsRun()
    if codes is None:
        with unit_of_work(db, read_only=True) as session:
            codes = segments.rule_codes(session)
    for code in codes:
        try:
            with unit_of_work(db, actor=actor) as session:
                out.recomputed.append(segments.recompute(session, code=code, now=now))
        except (DomainError, SQLAlchemyError) as e:
            out.failed.append((code, e.detail if isinstance(e, DomainError) else type(e).__name__))
    return out


def nightly_segments(db: Database, *, now: datetime | None = None) -> Outcome:
    """Once a day after OMNI_SEGMENTS_RECOMPUTE_HOUR (UTC): every rule segment not
    recomputed since."""
    from omnichannel.customers import segments  # when run: importing stays cheap

    # Stamped with the job's own clock: had it stamped the wall clock while deciding by
    # its own, a run just before the nightly hour would fall due again just after.
    now = now or utcnow()
    with unit_of_work(db, read_only=True) as session:
        due = segments.due(session, now=now, hour=get_settings().segments_recompute_hour)
    run = recompute_segments(db, due, actor=SEGMENTS_ACTOR, now=now)
    if run.failed:
        raise RuntimeError("; ".join(f"{code}: {why}" for code, why in run.failed))
    return Outcome(
        {"segments": len(run.recomputed)}, note=f"recomputed {len(run.recomputed)} segment(s)"
    )


# --- batched sweeps ---------------------------------------------------------------------


def sweep_keys(db: Database) -> Outcome:
    """Delete expired Idempotency-Key answers, one batch per transaction."""
    now = utcnow()
    return _in_batches(
        db,
        KEYS_ACTOR,
        lambda session: sweep_expired(session, now=now),
        SWEEP_BATCH,
        "deleted {} expired idempotency key(s)",
    )


def prune_outbox(db: Database, *, now: datetime | None = None) -> Outcome:
    """Delete delivered events older than OMNI_OUTBOX_RETENTION_HOURS, one batch per
    transaction; undelivered and parked events stay."""
    from omnichannel.events.status import PRUNE_BATCH, prune  # when run: importing stays cheap

    before = (now or utcnow()) - timedelta(hours=get_settings().outbox_retention_hours)
    names = [c.name for c in consumers.registered()]
    return _in_batches(
        db,
        RETENTION_ACTOR,
        lambda session: prune(session, consumers=names, before=before),
        PRUNE_BATCH,
        "pruned {} delivered event(s)",
    )


def _in_batches(
    db: Database, actor: str, step: Callable[[Session], int], batch: int, note: str
) -> Outcome:
    """Run `step` (it deletes up to `batch` rows) one transaction at a time until it
    finds less than a batch, at most MAX_BATCHES times."""
    done = 0
    for _ in range(MAX_BATCHES):
        with unit_of_work(db, actor=actor) as session:
            gone = step(session)
        done += gone
        if gone < batch:
            return Outcome({"rows": done}, note=note.format(done))
    return Outcome({"rows": done}, more=True, note=note.format(done))
