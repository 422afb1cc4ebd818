"""Every operation in the OpenAPI document, fed generated good and bad input by
schemathesis: the API never answers 500, and every error it gives is problem+json."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import Database

# One app for schema loading; each test points it at that test's isolated database.
APP = create_app(
    Settings(env="test", database_url="sqlite://"), database=Database.from_url("sqlite://")
)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@pytest.fixture
def fuzzed_app(db: Database) -> Any:
    previous = APP.state.db
    APP.state.db = db
    yield APP
    APP.state.db = previous


@schema.parametrize()
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_operation_answers_500_or_leaves_its_contract(
    case: Any, fuzzed_app: Any, admin: dict[str, str]
) -> None:
    response = case.call(headers={**admin, **(case.headers or {})})
    case.validate_response(
        response,
        checks=(
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ),
    )
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])
        assert content_type[0].startswith("application/problem+json"), response.text
