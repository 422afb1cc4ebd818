"""Fulfilment's work in `omni worker`: pickups nobody collected in time are expired
(their orders cancelled, stock given back, payment voided or refunded).
`omnichannel.schedule` registers it."""

from __future__ import annotations

from omnichannel.db import Database
from omnichannel.db.session import units
from omnichannel.fulfillment.pickups import EXPIRER
from omnichannel.fulfillment.pickups import expire_pickups as expire
from omnichannel.worker.jobs import Outcome

BATCH = 100


def expire_pickups(db: Database) -> Outcome:
    """Cancel up to BATCH orders whose pickup is past its collect-by day."""
    done = expire(units(db, actor=EXPIRER), limit=BATCH)
    handled = done.expired + done.closed + done.failures
    if done.failures and not (done.expired or done.closed):
        raise RuntimeError(f"no pickup could be expired ({done.failures} failed)")
    return Outcome(
        {"expired": done.expired, "closed": done.closed, "failures": done.failures},
        more=handled >= BATCH and bool(done.expired or done.closed),
        note=f"expired {done.expired} pickup(s)"
        + (f", closed {done.closed}" if done.closed else "")
        + (f", {done.failures} failure(s)" if done.failures else ""),
    )
