"""Every operation of the OpenAPI document, called by every kind of caller, answers as
one table says: allowed, 401, 403 or 404.

Each call runs in a savepoint rolled back afterwards, so a DELETE does not take the
object from the next caller. Bodies are real where the decision depends on what is
asked (a hand-over, a cart line, a hold at Kraków, a quote claiming a segment);
elsewhere an empty body is enough: the answer past the permission check is then a 422
(V in the table: let through, refused for what it asked).

When an answer changes on purpose, the failure prints the whole observed table:
review each changed cell, then paste it into `table.py`.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from tests.api.access.conftest import CALLERS, World, unthrottled
from tests.api.access.table import EXPECTED, LEGEND
from tests.conftest import IsolatedDatabase

APP = create_app(Settings(env="test", database_url="sqlite://"))


def _operations() -> list[tuple[str, str, bool]]:
    """(method, path, takes a body) for every operation the API documents."""
    found = []
    for path, operations in APP.openapi()["paths"].items():
        for method, op in operations.items():
            found.append((method.upper(), path, "requestBody" in op))
    return found


def _bodies(ids: dict[str, str]) -> dict[str, Any]:
    """Bodies that reach past validation, where what is asked decides the answer."""
    variant, krakow = ids["variant_id"], ids["location_id"]
    one = [{"variant_id": variant, "quantity": 1}]
    return {
        "POST /api/v1/orders/{order_id}/transitions": {"to": "collected"},
        "POST /api/v1/orders/{order_id}/cancel": {},
        "POST /api/v1/carts": {"channel": "pos-krk"},
        "POST /api/v1/carts/{cart_id}/lines": one[0],
        "PUT /api/v1/carts/{cart_id}/lines/{variant_id}": {"quantity": 2},
        "PUT /api/v1/carts/{cart_id}/coupons": {"codes": []},
        "POST /api/v1/carts/{cart_id}/checkout": {
            "currency": "PLN",
            "fulfilment": "pickup",
            "pickup_location_id": krakow,
            "contact": {"email": "odbior@example.pl"},
            "payment": {"method": "pay_at_pickup"},
        },
        "POST /api/v1/reservations": {
            "lines": [{"variant_id": variant, "location_id": krakow, "quantity": 1}],
            "owner_type": "hold",
            "owner_id": "access-table-2",
            "channel": "pos-krk",
        },
        "POST /api/v1/inventory/receipts": {"location_id": krakow, "lines": one},
        "POST /api/v1/inventory/adjustments": {
            "location_id": krakow,
            "variant_id": variant,
            "quantity": 1,
            "reason": "found on the shelf",
        },
        "POST /api/v1/inventory/transfers": {
            "from_location_id": krakow,
            "to_location_id": ids["warehouse_id"],
            "lines": one,
        },
        "POST /api/v1/inventory/counts": {
            "location_id": krakow,
            "lines": [{"variant_id": variant, "counted": 3}],
        },
        "POST /api/v1/pricing/quote": {"lines": one, "segments": ["employees"]},
    }


def _params(key: str) -> dict[str, str] | None:
    """Query parameters without which the permission check is not reached."""
    if key.endswith("/api/v1/orders/{order_id}/delivery"):
        return {"reason": "handover"}
    if "/api/v1/carts/{cart_id}" in key:
        return {"channel": "pos-krk"}  # staff name the channel; the cart is Kraków's till's
    return None


def _outcome(status: int) -> str:
    if status in (400, 422):
        return "V"
    return {401: "U", 403: "F", 404: "N"}.get(status, "E" if status >= 500 else "A")


def _observe(client: TestClient, db: IsolatedDatabase, world: World) -> dict[str, str]:
    bodies = _bodies(world.ids)
    observed: dict[str, str] = {}
    for method, template, takes_body in _operations():
        key = f"{method} {template}"
        body = bodies.get(key, {}) if takes_body else None
        cells = []
        for caller in CALLERS:
            headers = dict(world.headers[caller])
            if method == "POST":
                headers["Idempotency-Key"] = f"access-{caller}-{len(observed)}"
            savepoint = db.connection.begin_nested()
            try:
                r = client.request(
                    method,
                    world.path(template),
                    json=body,
                    headers=headers,
                    params=_params(key),
                )
            finally:
                savepoint.rollback()
            cells.append(_outcome(r.status_code))
        observed[key] = " ".join(cells)
    return observed


def _as_table(observed: dict[str, str]) -> str:
    width = max(len(k) for k in observed) + 4
    lines = [f"    {k!r}:".ljust(width + 5) + f' "{v}",' for k, v in observed.items()]
    return "\n".join(lines)


def test_every_operation_has_a_row_in_the_access_table() -> None:
    documented = {f"{m} {p}" for m, p, _ in _operations()}
    assert sorted(documented - EXPECTED.keys()) == [], "new operations need a row in table.py"
    assert sorted(EXPECTED.keys() - documented) == [], "rows of operations that are gone"


def test_every_row_names_every_caller() -> None:
    for key, row in EXPECTED.items():
        cells = row.split()
        assert len(cells) == len(CALLERS), key
        assert set(cells) <= set(LEGEND), key


@pytest.mark.usefixtures("world")
def test_every_operation_answers_every_caller_as_the_access_table_says(
    world: World, db: IsolatedDatabase
) -> None:
    app = create_app(unthrottled(db.engine), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        observed = _observe(client, db, world)
    wrong = [
        f"{key}\n    expected {EXPECTED.get(key)}\n    observed {row}"
        for key, row in observed.items()
        if EXPECTED.get(key) != row
    ]
    assert not wrong, (
        f"{len(wrong)} operations answer otherwise than the table says "
        f"(columns: {' '.join(CALLERS)}):\n"
        + "\n".join(wrong)
        + "\n\nThe whole observed table:\n"
        + _as_table(observed)
    )
