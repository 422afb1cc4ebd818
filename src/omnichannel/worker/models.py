"""The lease and the record of every exclusive worker job: one row per job name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omnichannel.db.base import Base


class WorkerJob(Base):
    """A job's schedule and lease. A worker runs the job only after one conditional
    UPDATE moved the lease to it (`jobs.take`); a crashed worker's lease expires."""

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime]
    leased_by: Mapped[str | None] = mapped_column(String(128))
    leased_until: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
