"""More writing requests than threads, and (on PostgreSQL, pool of 5 + 5) than pool
connections: requests wait their turn holding no thread, so the ones holding SQLite's
writer slot or a connection can always finish (no stall, no 503). Reads of personal
data write their audit row, so they wait their turn as writers too."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from omnichannel.api.app import create_app
from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate
from omnichannel.channels.service import create_channel, issue_api_key
from omnichannel.config import Settings
from omnichannel.customers.profiles import create_customer
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.db import Database, unit_of_work
from omnichannel.security.rules import Role
from omnichannel.security.schemas import StaffCreate
from omnichannel.security.service import create_staff

REQUESTS = 12


def test_twelve_writers_on_two_threads_all_get_their_answer(
    settings: Settings, committing_db: Database
) -> None:
    with unit_of_work(committing_db, actor="setup") as s:
        web = create_channel(s, data=ChannelCreate(code="web", name="Sklep", type="web"))
        _, secret = issue_api_key(
            s, channel_id=web.id, data=ApiKeyCreate(name="shop", scopes=[Scope.CARTS_WRITE])
        )
    narrow = settings.model_copy(update={"threads": 2, "sqlite_busy_timeout_ms": 3000})
    answers: list[int] = []
    start = threading.Barrier(REQUESTS)
    with TestClient(create_app(narrow, database=committing_db)) as c:

        def post() -> None:
            start.wait()
            r = c.post("/api/v1/carts", json={}, headers={"X-Api-Key": secret})
            answers.append(r.status_code)

        pool = [threading.Thread(target=post, daemon=True) for _ in range(REQUESTS)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(60)
    assert answers == [201] * REQUESTS


def test_twelve_audited_reads_on_two_threads_all_get_their_answer(
    settings: Settings, committing_db: Database
) -> None:
    with unit_of_work(committing_db, actor="setup") as s:
        create_staff(
            s,
            data=StaffCreate(
                email="ada@example.com",
                full_name="Ada",
                password="correct horse battery",
                role=Role.ADMIN,
                location_ids=[],
            ),
        )
        customer = create_customer(s, data=CustomerCreate(given_name="Jan")).customer.id
    narrow = settings.model_copy(update={"threads": 2, "sqlite_busy_timeout_ms": 3000})
    answers: list[int] = []
    start = threading.Barrier(REQUESTS)
    with TestClient(create_app(narrow, database=committing_db)) as c:
        r = c.post(
            "/api/v1/auth/login",
            json={"email": "ada@example.com", "password": "correct horse battery"},
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

        def read() -> None:
            start.wait()
            r = c.get(f"/api/v1/customers/{customer}/timeline", headers=headers)
            answers.append(r.status_code)

        pool = [threading.Thread(target=read, daemon=True) for _ in range(REQUESTS)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(60)
    assert answers == [200] * REQUESTS
