"""Inventory's work in `omni worker`: expiring overdue holds (a job) and publishing
availability (the handler of an outbox consumer). `omnichannel.schedule` registers
both; inventory knows nothing of the events package that delivers to it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from omnichannel.db import Database, unit_of_work
from omnichannel.inventory import service
from omnichannel.kernel.errors import DomainError
from omnichannel.worker.jobs import Outcome

SWEEPER_ACTOR = "worker:sweeper"
PROJECTOR_ACTOR = "worker:projector"
LEVEL_CHANGED = "inventory.level_changed"


def expire_holds(db: Database) -> Outcome:
    """Release the overdue holds of up to 500 levels, one level per transaction."""
    with unit_of_work(db, read_only=True) as session:
        worklist = service.sweep(session)
    levels = units = failures = 0
    error: Exception | None = None
    for variant_id, location_id in worklist:
        try:
            with unit_of_work(db, actor=SWEEPER_ACTOR) as session:
                freed = service.expire_level(
                    session, variant_id=variant_id, location_id=location_id
                )
        except (DomainError, SQLAlchemyError) as e:  # one level must not stop the rest
            failures += 1
            error = e
            continue
        levels += 1
        units += freed
    if failures and not levels:
        raise RuntimeError(f"no level could be swept ({failures} failed)") from error
    return Outcome(
        {"levels": levels, "units": units, "failures": failures},
        more=len(worklist) >= 500,
        note=f"expired holds at {levels} level(s) ({units} units)"
        + (f", {failures} failure(s)" if failures else ""),
    )


class LevelEvent(Protocol):
    """What the projector reads of an `inventory.level_changed` event."""

    @property
    def payload(self) -> dict[str, Any]: ...


def project_levels(session: Session, events: Sequence[LevelEvent]) -> Mapping[str, int]:
    """The projector as a consumer: recompute the variants a batch of level changes
    touched (a variant changed a hundred times in the batch is recomputed once)."""
    variant_ids = {uuid.UUID(e.payload["variant_id"]) for e in events}
    session.info["actor"] = PROJECTOR_ACTOR
    written = service.project(
        session, channels=service.active_channels(session), variant_ids=variant_ids
    )
    return {"published": written}
