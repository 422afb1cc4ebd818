"""A session that only reads refuses to write, loudly: an audited read through the
wrong session type fails instead of silently losing its audit row when the read's
transaction ends by rolling back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.customers import audit
from omnichannel.customers.api_deps import AuditedSession
from omnichannel.customers.models import AuditEntry
from omnichannel.db import Database, unit_of_work
from omnichannel.db.session import ReadOnlySessionWrite
from omnichannel.http import routing
from omnichannel.http.deps import SessionDep, require
from omnichannel.kernel import Principal
from omnichannel.locations.models import Location
from tests.conftest import location_doc

API = "/api/v1"
Admin = Annotated[Principal, Depends(require("locations:read"))]
router = APIRouter(route_class=routing.Route)


@router.get(f"{API}/read-only-test/plain")
def read_through_the_plain_session(_: Admin, session: SessionDep) -> dict[str, str]:
    audit.record(session, action=audit.Action.READ, customer_ids=[None], fields=["email"])
    return {"read": "yes"}


@router.get(f"{API}/read-only-test/audited")
def read_through_the_audited_session(session: AuditedSession) -> dict[str, str]:
    audit.record(session, action=audit.Action.READ, customer_ids=[None], fields=["email"])
    return {"read": "yes"}


def _audit_rows(db: Database) -> int:
    with unit_of_work(db, read_only=True) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_an_insert_through_a_read_only_unit_fails(db: Database) -> None:
    with pytest.raises(ReadOnlySessionWrite), unit_of_work(db, read_only=True) as s:
        audit.record(s, action=audit.Action.READ, customer_ids=[None], fields=["email"])
    assert _audit_rows(db) == 0


def test_a_flush_of_a_change_through_a_read_only_unit_fails(db: Database) -> None:
    from omnichannel.locations.schemas import LocationCreate

    data = LocationCreate.model_validate(location_doc("ST-RO1"))
    with unit_of_work(db, read_only=True) as s:
        s.add(Location(code=data.code, name=data.name, type=data.type))
        with pytest.raises(ReadOnlySessionWrite):
            s.flush()
        s.expunge_all()


def test_reading_through_a_read_only_unit_still_works(db: Database) -> None:
    assert _audit_rows(db) == 0


@pytest.fixture
def api(settings: Settings, db: Database) -> Iterator[TestClient]:
    app = create_app(settings, database=db)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_an_audited_read_through_the_plain_session_of_a_get_fails_loudly(
    api: TestClient, admin: dict[str, str], db: Database
) -> None:
    r = api.get(f"{API}/read-only-test/plain", headers=admin)
    assert r.status_code == 500
    assert _audit_rows(db) == 0


def test_an_audited_read_through_the_writers_session_keeps_its_row(
    api: TestClient, admin: dict[str, str], db: Database
) -> None:
    r = api.get(f"{API}/read-only-test/audited", headers=admin)
    assert r.status_code == 200, r.text
    assert _audit_rows(db) == 1
