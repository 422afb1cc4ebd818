"""One rule for every `routing.Route` endpoint: its transaction commits when it
returns, in its own thread, after its answer is rendered (a model answer too:
serialised from the open session first); an error commits nothing, in that thread;
a claimed Idempotency-Key must be answered."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import func, select

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import Database
from omnichannel.http import routing
from omnichannel.http.deps import PrincipalDep, SessionDep
from omnichannel.http.idempotency import RequiredIdempotency
from omnichannel.locations.models import Location
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location
from tests.conftest import location_doc

API = "/api/v1"
Headers = dict[str, str]


class Made(BaseModel):
    """Read from the ORM object while FastAPI serialises the answer."""

    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str

    @field_validator("code")
    @classmethod
    def _note(cls, code: str) -> str:
        _step("serialised")
        return code


def _step(name: str) -> None:
    steps = seen.setdefault("steps", [])
    assert isinstance(steps, list)
    steps.append(name)


router = APIRouter(route_class=routing.Route)
seen: dict[str, object] = {}


def _create(session: SessionDep, code: str) -> Location:
    seen["endpoint_thread"] = threading.get_ident()
    _step("endpoint")
    seen["bodies"] = True
    return create_location(session, data=LocationCreate.model_validate(location_doc(code)))


@router.post(f"{API}/unit-test/rendered/{{code}}", status_code=201)
def rendered(code: str, principal: PrincipalDep, session: SessionDep) -> Response:
    _create(session, code)
    return Response(status_code=201)


@router.post(f"{API}/unit-test/model/{{code}}", status_code=201, response_model=Made)
def model(code: str, principal: PrincipalDep, session: SessionDep) -> Location:
    return _create(session, code)


@router.post(f"{API}/unit-test/failing/{{code}}", status_code=201)
def failing(code: str, principal: PrincipalDep, session: SessionDep) -> Response:
    _create(session, code)
    raise RuntimeError("fails after writing")


@router.post(f"{API}/unit-test/clashing/{{code}}", status_code=201)
def clashing(code: str, principal: PrincipalDep, session: SessionDep) -> Response:
    """A second location under the same code, left for the commit's flush to refuse."""
    first = _create(session, code)
    session.add(
        Location(
            code=first.code,
            name=first.name,
            type=first.type,
            street=first.street,
            city=first.city,
            postcode=first.postcode,
            latitude=first.latitude,
            longitude=first.longitude,
        )
    )
    return Response(status_code=201)


@router.post(f"{API}/unit-test/keyed/{{code}}", status_code=201)
def keyed(
    code: str, principal: PrincipalDep, idem: RequiredIdempotency, session: SessionDep
) -> Response:
    location = _create(session, code)
    return idem.respond(201, {"code": location.code})


@router.post(f"{API}/unit-test/unanswered/{{code}}", status_code=201)
def unanswered(
    code: str, principal: PrincipalDep, idem: RequiredIdempotency, session: SessionDep
) -> Response:
    _create(session, code)
    return Response(status_code=201)  # not through idem.respond: must not commit


@pytest.fixture
def api(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    seen.clear()
    finish = routing.RequestUnit.finish

    def watched(self: routing.RequestUnit, exc: BaseException | None) -> bool:
        if not self.read_only and not self.ended:
            seen["finish_thread"], seen["finish_exc"] = threading.get_ident(), exc
            _step("finish")
        return finish(self, exc)

    monkeypatch.setattr(routing.RequestUnit, "finish", watched)
    app = create_app(settings, database=db)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _post(api: TestClient, path: str, headers: Headers) -> httpx.Response:
    """POST with only this request's steps noted (signing in is a request too)."""
    seen.clear()
    return api.post(f"{API}/unit-test/{path}", headers=headers)


def _stored(db: Database, code: str) -> int:
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Location).where(Location.code == code)) or 0
        )


def test_a_rendered_answer_commits_in_the_endpoints_own_thread(
    api: TestClient, admin: Headers, db: Database
) -> None:
    r = _post(api, "rendered/ST-R1", headers=admin)
    assert r.status_code == 201
    assert seen["finish_thread"] == seen["endpoint_thread"]
    assert seen["steps"] == ["endpoint", "finish"]
    assert seen["finish_exc"] is None
    assert _stored(db, "ST-R1") == 1


def test_a_model_answer_is_serialised_from_the_open_session_then_commits_in_the_same_thread(
    api: TestClient, admin: Headers, db: Database
) -> None:
    r = _post(api, "model/ST-M1", headers=admin)
    assert r.status_code == 201
    assert r.json() == {"code": "ST-M1", "name": "Location ST-M1"}
    assert seen["steps"] == ["endpoint", "serialised", "finish"]
    assert seen["finish_thread"] == seen["endpoint_thread"]
    assert _stored(db, "ST-M1") == 1


def test_an_endpoint_that_fails_after_writing_commits_nothing(
    api: TestClient, admin: Headers, db: Database
) -> None:
    r = _post(api, "failing/ST-F1", headers=admin)
    assert r.status_code == 500
    assert isinstance(seen["finish_exc"], RuntimeError)
    assert seen["finish_thread"] == seen["endpoint_thread"]  # rolled back there
    assert _stored(db, "ST-F1") == 0


def test_a_commit_refused_in_the_endpoints_thread_is_a_409_that_wrote_nothing(
    api: TestClient, admin: Headers, db: Database
) -> None:
    r = _post(api, "clashing/ST-C1", headers=admin)
    assert r.status_code == 409
    assert r.json()["code"] == "conflict"
    assert seen["finish_thread"] == seen["endpoint_thread"]
    assert _stored(db, "ST-C1") == 0


def test_the_key_is_claimed_in_the_endpoints_thread_and_a_repeat_never_runs_the_body(
    api: TestClient, admin: Headers, db: Database
) -> None:
    headers = {**admin, "Idempotency-Key": "unit-k1"}
    first = _post(api, "keyed/ST-K1", headers=headers)
    assert first.status_code == 201, first.text
    assert seen["finish_thread"] == seen["endpoint_thread"]
    again = _post(api, "keyed/ST-K1", headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert "bodies" not in seen  # the repeat never reached the body
    assert _stored(db, "ST-K1") == 1


def test_a_claimed_key_left_unanswered_commits_nothing(
    api: TestClient, admin: Headers, db: Database
) -> None:
    r = _post(api, "unanswered/ST-U1", headers={**admin, "Idempotency-Key": "unit-u1"})
    assert r.status_code == 500
    assert _stored(db, "ST-U1") == 0
    # nor was the key: it is free for a new request
    r = _post(api, "keyed/ST-U2", headers={**admin, "Idempotency-Key": "unit-u1"})
    assert r.status_code == 201
    assert "idempotent-replayed" not in r.headers


def _api_routes(routes: list[object]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def test_every_endpoint_of_the_app_is_a_route_and_every_def_one_defers(
    settings: Settings, db: Database
) -> None:
    app: FastAPI = create_app(settings, database=db)
    routes = list(_api_routes(app.router.routes))
    assert len(routes) > 100
    for route in routes:
        assert isinstance(route, routing.Route), route.path
        assert route.defers == (not inspect.iscoroutinefunction(inspect.unwrap(route.endpoint)))
