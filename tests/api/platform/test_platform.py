"""The service as a whole: health, docs, and errors that always speak problem+json."""

from fastapi import APIRouter
from fastapi.testclient import TestClient

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import Database


def test_health_reports_version_and_database_backend(client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["database"] == {"backend": engine.dialect.name, "ok": True}


def test_the_openapi_document_lists_every_endpoint(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/api/v1/health",
        "/api/v1/auth/login",
        "/api/v1/staff",
        "/api/v1/locations",
        "/api/v1/channels",
        "/api/v1/channels/{channel_id}/api-keys",
        "/api/v1/channel",
        "/api/v1/products",
        "/api/v1/catalog/import",
    ]:
        assert path in paths, path
    # Every documented operation names its errors as problem+json.
    for path, ops in paths.items():
        for method, op in ops.items():
            if path != "/api/v1/health":
                assert "401" in op["responses"], (method, path)
    assert client.get("/docs").status_code == 200


def test_an_unknown_path_is_a_problem_not_a_page(client: TestClient) -> None:
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found"


def test_a_wrong_method_is_a_problem_too(client: TestClient) -> None:
    r = client.put("/api/v1/health")
    assert r.status_code == 405
    assert r.json()["code"] == "method_not_allowed"


def test_malformed_json_is_a_validation_problem(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/locations",
        content=b"{not json",
        headers={**admin, "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"


def test_an_unexpected_error_is_a_500_problem_that_reveals_nothing(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, database=db)
    boom = APIRouter()

    @boom.get("/api/v1/boom")
    def _boom() -> None:
        raise RuntimeError("secret internals")

    app.include_router(boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/boom")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "internal_error"
    assert "secret" not in r.text


def test_a_request_that_fails_commits_nothing(
    settings: Settings, db: Database, admin: dict[str, str]
) -> None:
    from sqlalchemy import func, select

    from omnichannel.http.deps import SessionDep
    from omnichannel.locations.models import Location
    from omnichannel.locations.schemas import LocationCreate
    from omnichannel.locations.service import create_location
    from tests.conftest import location_doc

    app = create_app(settings, database=db)
    half = APIRouter()

    @half.post("/api/v1/half")
    def _half(session: SessionDep) -> None:
        create_location(session, data=LocationCreate.model_validate(location_doc("ST-HALF")))
        raise RuntimeError("fails after writing")

    app.include_router(half)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.post("/api/v1/half").status_code == 500
    with db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(Location).where(Location.code == "ST-HALF"))
            == 0
        )


def test_a_nul_in_a_body_field_is_422_naming_the_field(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.post("/api/v1/products", json={"code": "A\u0000B", "name": "x"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "code"


def test_a_nul_in_a_nested_body_field_is_422(client: TestClient, admin: dict[str, str]) -> None:
    body = {"code": "TS-1", "name": "x", "attributes": {"kolor": "czer\u0000wony"}}
    r = client.post("/api/v1/products", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "attributes"


def test_a_nul_in_the_query_string_is_400_before_any_query_runs(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.get("/api/v1/products", params={"q": "ko\u0000szulka"}, headers=admin)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "bad_request"


def test_a_post_marked_read_only_runs_in_a_read_only_transaction(
    settings: Settings, db: Database, admin: dict[str, str]
) -> None:
    from omnichannel.http.deps import READS_ONLY, SessionDep

    seen: list[bool] = []
    app = create_app(settings, database=db)
    probe = APIRouter()

    @probe.post("/api/v1/probe", openapi_extra=READS_ONLY)
    def _probe(session: SessionDep) -> dict[str, bool]:
        seen.append(True)
        return {"ok": True}

    app.include_router(probe)
    original = db.session
    modes: list[bool] = []

    def session(*, read_only: bool = False):  # type: ignore[no-untyped-def]
        modes.append(read_only)
        return original(read_only=read_only)

    db.session = session  # type: ignore[method-assign]
    try:
        with TestClient(app) as c:
            assert c.post("/api/v1/probe").status_code == 200
            assert c.post("/api/v1/locations", json={}, headers=admin).status_code == 422
    finally:
        db.session = original  # type: ignore[method-assign]
    assert seen == [True]
    assert modes == [True, False]  # one session per request: the probe's reads, the create's writes
