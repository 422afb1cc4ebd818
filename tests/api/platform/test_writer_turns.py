"""More writing requests than threads, and (on PostgreSQL, pool of 5 + 5) than pool
connections: requests wait their turn holding no thread, so the ones holding SQLite's
writer slot or a connection can always finish (no stall, no 503)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from omnichannel.api.app import create_app
from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate
from omnichannel.channels.service import create_channel, issue_api_key
from omnichannel.config import Settings
from omnichannel.db import Database, unit_of_work

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
