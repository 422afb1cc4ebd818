"""Declarative base with a naming convention, so migrations name constraints the same
on every backend and Alembic can drop what it created."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column

from omnichannel.db.types import UTCDateTime
from omnichannel.kernel import new_id, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """Marks an aggregate root. Its `version` counts its changes: it is the ETag, the
    optimistic lock (a concurrent edit fails instead of silently winning) and the
    per-aggregate sequence of the events it records. The ORM bumps it on every
    UPDATE and checks it in the WHERE clause; an edit that changes no value issues
    no UPDATE, so the version stays (see `flush_edit`)."""

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def flush_edit(session: Session, root: Any, *parts: Any) -> bool:
    """Flush an edit of an aggregate root (and rows it owns); False if it changed nothing.

    Setting fields to the values they already have is no change: the ORM writes no
    UPDATE, the version stays, and the caller must record no event, whose sequence is
    the version (a second event at an unchanged version collides in the outbox, the
    409 a no-op PATCH used to get). When only owned rows or collections changed, the
    root's `updated_at` is set so that its version still moves.
    """
    if not any(session.is_modified(obj) for obj in (root, *parts)):
        return False
    if hasattr(root, "updated_at"):
        root.updated_at = utcnow()
    session.flush()
    return True
