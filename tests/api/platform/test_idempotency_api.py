"""Promise 5 over HTTP: a create sent again with its Idempotency-Key gets the first
answer byte for byte and changes nothing more; another request under the same key is
refused; one caller never sees another's answers."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import APIRouter, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import Database, OutboxEvent, make_engine, record_event, unit_of_work
from omnichannel.db.idempotency import Claim, IdempotencyKey, claim
from omnichannel.http.deps import PrincipalDep, SessionDep
from omnichannel.http.idempotency import OptionalIdempotency, RequiredIdempotency, request_hash
from omnichannel.kernel import Conflict, new_id
from tests.conftest import committed_admin

API = "/api/v1"
Headers = dict[str, str]


class ThingIn(BaseModel):
    name: str
    tags: list[str] = []


class ThingOut(BaseModel):
    id: uuid.UUID
    group: str
    name: str
    tags: list[str]
    made_by: str


router = APIRouter()
refuse_next: list[bool] = []  # the endpoint raises 409 once per item


def _make(group: str, data: ThingIn, principal_actor: str, session: Session) -> ThingOut:
    thing = ThingOut(
        id=new_id(), group=group, name=data.name, tags=data.tags, made_by=principal_actor
    )
    record_event(
        session,
        aggregate_type="thing",
        aggregate_id=thing.id,
        sequence=1,
        type="thing.made",
        payload={"name": data.name},
    )
    if refuse_next:
        refuse_next.pop()
        raise Conflict("The warehouse is closed; try again.")
    return thing


@router.post(f"{API}/test-things/{{group}}", status_code=201, response_model=ThingOut)
def make_thing(
    group: str,
    data: ThingIn,
    principal: PrincipalDep,
    idem: OptionalIdempotency,
    session: SessionDep,
) -> Response:
    thing = _make(group, data, principal.actor, session)
    return idem.respond(201, thing, headers={"Location": f"{API}/test-things/x/{thing.id}"})


@router.post(f"{API}/test-orders", status_code=201, response_model=ThingOut)
def place(
    data: ThingIn, principal: PrincipalDep, idem: RequiredIdempotency, session: SessionDep
) -> Response:
    return idem.respond(201, _make("orders", data, principal.actor, session))


@router.post(f"{API}/test-forgetful", status_code=201, response_model=ThingOut)
def forgetful(
    data: ThingIn, principal: PrincipalDep, idem: RequiredIdempotency, session: SessionDep
) -> ThingOut:
    return _make("forgetful", data, principal.actor, session)


def _app(settings: Settings, db: Database) -> TestClient:
    app = create_app(settings, database=db)
    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def api(settings: Settings, db: Database) -> Iterator[TestClient]:
    refuse_next.clear()
    with _app(settings, db) as c:
        yield c


@pytest.fixture
def made(session: Session) -> Callable[[], int]:
    """How many things were made (their events), read afresh."""

    def count() -> int:
        n = session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "thing.made")
        )
        session.commit()
        return n or 0

    return count


def key() -> str:
    return f"key-{uuid.uuid4()}"


def test_a_repeat_with_the_same_key_gets_the_first_answer_byte_for_byte(
    api: TestClient, admin: Headers, made: Callable[[], int]
) -> None:
    headers = {**admin, "Idempotency-Key": key()}
    first = api.post(f"{API}/test-things/a", json={"name": "mug", "tags": ["x"]}, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    again = api.post(f"{API}/test-things/a", json={"name": "mug", "tags": ["x"]}, headers=headers)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["content-type"] == first.headers["content-type"] == "application/json"

    # The same JSON with its keys in another order and other spacing is the same request.
    reordered = json.dumps({"tags": ["x"], "name": "mug"}, indent=4).encode()
    same = api.post(
        f"{API}/test-things/a",
        content=reordered,
        headers={**headers, "content-type": "application/json"},
    )
    assert (same.status_code, same.content) == (201, first.content)
    assert made() == 1


def test_the_same_key_with_another_request_is_refused(
    api: TestClient, admin: Headers, made: Callable[[], int]
) -> None:
    headers = {**admin, "Idempotency-Key": key()}
    assert api.post(f"{API}/test-things/a", json={"name": "mug"}, headers=headers).is_success
    for path, body in [("a", {"name": "plate"}), ("b", {"name": "mug"})]:
        r = api.post(f"{API}/test-things/{path}", json=body, headers=headers)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "idempotency_key_reused"
        assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert made() == 1


def test_callers_never_see_each_others_answers(
    api: TestClient, login_as: Callable[..., Headers], made: Callable[[], int]
) -> None:
    shared = key()
    anna = api.post(
        f"{API}/test-things/a",
        json={"name": "mug"},
        headers={**login_as("admin"), "Idempotency-Key": shared},
    )
    piotr = api.post(
        f"{API}/test-things/a",
        json={"name": "mug"},
        headers={**login_as("admin"), "Idempotency-Key": shared},
    )
    assert anna.status_code == piotr.status_code == 201
    assert "idempotent-replayed" not in piotr.headers
    assert anna.json()["made_by"] != piotr.json()["made_by"]
    assert made() == 2


BAD_KEYS = [b"k" * 256, b"", b"tab\there", b"nul\x00byte", b"bell\x07", "żółw".encode()]


def test_a_malformed_key_is_refused_before_anything_runs(
    api: TestClient, admin: Headers, made: Callable[[], int]
) -> None:
    for bad in BAD_KEYS:
        r = api.post(
            f"{API}/test-things/a",
            json={"name": "mug"},
            headers=[*admin.items(), ("Idempotency-Key", bad)],
        )
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["code"] == "idempotency_key_invalid"
        assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert made() == 0
    longest = "".join(chr(c) for c in range(0x20, 0x7F)) * 3
    r = api.post(
        f"{API}/test-things/a",
        json={"name": "mug"},
        headers={**admin, "Idempotency-Key": longest[:255]},
    )
    assert r.status_code == 201, r.text


def test_an_endpoint_that_requires_a_key_refuses_a_request_without_one(
    api: TestClient, admin: Headers, made: Callable[[], int]
) -> None:
    r = api.post(f"{API}/test-orders", json={"name": "mug"}, headers=admin)
    assert r.status_code == 400
    assert r.json()["code"] == "idempotency_key_missing"
    assert r.json()["errors"] == [
        {"field": "Idempotency-Key", "message": "required", "type": "missing"}
    ]
    assert made() == 0
    ok = api.post(
        f"{API}/test-orders", json={"name": "mug"}, headers={**admin, "Idempotency-Key": key()}
    )
    assert ok.status_code == 201
    assert made() == 1


def test_without_a_key_an_optional_endpoint_simply_runs_each_time(
    api: TestClient, admin: Headers, made: Callable[[], int], session: Session
) -> None:
    for _ in range(2):
        r = api.post(f"{API}/test-things/a", json={"name": "mug"}, headers=admin)
        assert r.status_code == 201
        assert "idempotent-replayed" not in r.headers
    assert made() == 2
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_a_request_that_was_refused_runs_again_with_the_same_key(
    api: TestClient, admin: Headers, made: Callable[[], int]
) -> None:
    headers = {**admin, "Idempotency-Key": key()}
    refuse_next.append(True)
    refused = api.post(f"{API}/test-things/a", json={"name": "mug"}, headers=headers)
    assert refused.status_code == 409
    assert made() == 0  # the change and the claim were rolled back together

    retried = api.post(f"{API}/test-things/a", json={"name": "mug"}, headers=headers)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    replayed = api.post(f"{API}/test-things/a", json={"name": "mug"}, headers=headers)
    assert replayed.content == retried.content
    assert made() == 1


def test_an_endpoint_that_does_not_answer_through_the_key_fails_and_keeps_nothing(
    api: TestClient, admin: Headers, made: Callable[[], int], session: Session
) -> None:
    r = api.post(
        f"{API}/test-forgetful", json={"name": "mug"}, headers={**admin, "Idempotency-Key": key()}
    )
    assert r.status_code == 500
    assert made() == 0
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_a_repeat_while_the_first_is_still_running_is_told_to_retry(
    api: TestClient, admin: Headers, session: Session, made: Callable[[], int]
) -> None:
    me = api.get(f"{API}/auth/me", headers=admin).json()
    in_flight = Claim(
        scope=f"staff:{me['id']}",
        key="k-running",
        operation=f"POST {API}/test-things/{{group}}",
        request_hash=request_hash(
            operation=f"POST {API}/test-things/{{group}}",
            path_params={"group": "a"},
            query=[],
            body=b'{"name": "mug"}',
        ),
    )
    assert claim(session, in_flight) is None  # claimed, no answer yet: as if still running
    session.commit()
    r = api.post(
        f"{API}/test-things/a",
        json={"name": "mug"},
        headers={**admin, "Idempotency-Key": "k-running"},
    )
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "idempotency_key_in_use"
    assert r.headers["retry-after"] == "1"
    assert made() == 0


def test_the_stored_answer_is_sealed_at_rest(
    api: TestClient, admin: Headers, session: Session
) -> None:
    r = api.post(
        f"{API}/test-things/a",
        json={"name": "Anna Nowak, ul. Długa 45"},
        headers={**admin, "Idempotency-Key": key()},
    )
    assert r.status_code == 201
    stored = session.scalars(select(IdempotencyKey.response)).one()
    session.commit()
    assert stored is not None
    assert "Nowak" not in stored
    assert "Długa" not in stored


def test_the_request_hash_ignores_spacing_and_key_order_but_not_values() -> None:
    def h(body: bytes, **params: str) -> str:
        return request_hash(operation="POST /x/{id}", path_params=params, query=[], body=body)

    assert h(b'{"a": 1, "b": [1, 2]}') == h(b'{"b":[1,2],"a":1}')
    assert h(b'{"a": 1}') != h(b'{"a": 2}')
    assert h(b'{"a": 1}', id="1") != h(b'{"a": 1}', id="2")
    assert h(b"not json") != h(b"not json!")


def test_a_service_case_opened_twice_with_one_key_is_opened_once(
    api: TestClient, admin: Headers, session: Session
) -> None:
    customer = api.post(f"{API}/customers", json={"given_name": "Anna"}, headers=admin)
    assert customer.status_code == 201, customer.text
    url = f"{API}/customers/{customer.json()['id']}/cases"
    body = {"subject": "Paczka nie dotarła", "category": "complaint", "channel": None}
    headers = {**admin, "Idempotency-Key": key()}
    first = api.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = api.post(url, json=body, headers=headers)
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == f"{API}/cases/{first.json()['id']}"
    assert again.headers["etag"] == first.headers["etag"]
    listed = api.get(url, headers=admin).json()["items"]
    assert [c["id"] for c in listed] == [first.json()["id"]]


# --- the acceptance test: twenty copies at once ------------------------------------------

THREADS = 20


@pytest.fixture
def wide_db(committing_db: Database) -> Iterator[Database]:
    """The committing database with a connection per request on PostgreSQL."""
    if committing_db.backend != "postgresql":
        yield committing_db
        return
    url = committing_db.engine.url.render_as_string(hide_password=False)
    db = Database(make_engine(url, pool_size=THREADS + 5))
    try:
        yield db
    finally:
        db.dispose()


def test_twenty_parallel_posts_with_one_key_make_one_thing_and_twenty_identical_answers(
    settings: Settings, wide_db: Database
) -> None:
    headers = {**committed_admin(wide_db, "anna@example.com"), "Idempotency-Key": key()}
    answers: list[tuple[int, bytes]] = []
    start = threading.Barrier(THREADS)
    refuse_next.clear()
    with _app(settings, wide_db) as c:

        def post() -> None:
            start.wait()
            r = c.post(f"{API}/test-orders", json={"name": "mug"}, headers=headers)
            answers.append((r.status_code, r.content))

        pool = [threading.Thread(target=post, daemon=True) for _ in range(THREADS)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(60)
    assert len(answers) == THREADS
    assert len(set(answers)) == 1, answers
    assert answers[0][0] == 201
    with unit_of_work(wide_db, read_only=True) as s:
        made = s.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "thing.made")
        )
    assert made == 1
