"""Orders' work in `omni worker`: finishing the payment calls a crash or an outage
left pending between a request's two transactions (promise 8).
`omnichannel.schedule` registers it."""

from __future__ import annotations

from datetime import timedelta

from omnichannel.config import get_settings
from omnichannel.db import Database, unit_of_work
from omnichannel.db.idempotency import release_abandoned
from omnichannel.db.session import units
from omnichannel.orders.flows import SETTLER, settle_payments
from omnichannel.worker.jobs import Outcome

BATCH = 100


def settle(db: Database) -> Outcome:
    """Ask the provider again about calls pending longer than
    `OMNI_PAYMENT_SETTLE_AFTER_SECONDS`; expire authorisations it never received after
    `OMNI_PENDING_PAYMENT_EXPIRY_MINUTES` (the order cancelled, its stock released)."""
    settings = get_settings()
    expiry = timedelta(minutes=settings.pending_payment_expiry_minutes)
    done = settle_payments(
        units(db, actor=SETTLER),
        after=timedelta(seconds=settings.payment_settle_after_seconds),
        expire_after=expiry,
        limit=BATCH,
    )
    with unit_of_work(db, actor=SETTLER) as session:  # their requests' keys: run afresh
        release_abandoned(session, older_than=expiry)
    handled = done.recorded + done.expired + done.waiting + done.failures
    if done.failures and not (done.recorded or done.expired):
        raise RuntimeError(f"no pending payment could be settled ({done.failures} failed)")
    return Outcome(
        {
            "recorded": done.recorded,
            "expired": done.expired,
            "waiting": done.waiting,
            "failures": done.failures,
        },
        more=handled >= BATCH and bool(done.recorded or done.expired),
        note=f"settled {done.recorded} pending payment call(s), expired {done.expired}"
        + (f", {done.waiting} still waiting" if done.waiting else "")
        + (f", {done.failures} failure(s)" if done.failures else ""),
    )
