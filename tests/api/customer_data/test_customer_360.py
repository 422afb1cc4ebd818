"""The Customer 360 is complete: recent orders of every channel and open carts,
redacted for whoever may not see personal data, at a cost that does not grow with
the number of orders."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate
from omnichannel.channels.service import issue_api_key
from omnichannel.db import Database
from tests.api.commerce.conftest import API, Keys
from tests.api.customer_data.conftest import Shopper, marketplace_order
from tests.statements import counting


def _360(client: TestClient, who: dict[str, str], customer_id: str) -> dict[str, Any]:
    r = client.get(f"{API}/customers/{customer_id}/360", headers=who)
    assert r.status_code == 200, r.text
    view: dict[str, Any] = r.json()
    return view


def _till_sale(client: TestClient, keys: Keys, shopper: Shopper) -> dict[str, Any]:
    """The customer's cart handed to the Kraków till and paid there in cash."""
    cart = shopper.cart(TS_S=1)
    code = client.post(f"{API}/carts/{cart['id']}/handoff", headers=shopper.headers)
    assert code.status_code == 200, code.text
    opened = client.post(f"{API}/carts/handoff/{code.json()['code']}", headers=keys["pos-krk"])
    assert opened.status_code == 200, opened.text
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={"currency": "PLN", "fulfilment": "carry_out", "payment": {"method": "cash"}},
        headers={
            **keys["pos-krk"],
            "X-Cart-Token": opened.json()["token"],
            "Idempotency-Key": "till",
        },
    )
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def test_the_360_shows_recent_orders_from_every_channel(
    client: TestClient, keys: Keys, shopper: Shopper, admin: dict[str, str], db: Database
) -> None:
    web = shopper.order("web")
    market = client.post(
        f"{API}/orders/marketplace",
        json=marketplace_order("anna.kowalska@example.pl"),
        headers=keys["allegro"],
    )
    assert market.status_code == 201, market.text
    till = _till_sale(client, keys, shopper)

    def statements() -> tuple[dict[str, Any], int]:
        with counting(db.engine) as sent:
            view = _360(client, admin, shopper.id)
        return view, len(sent)

    view, three = statements()
    listed = {o["number"]: o for o in view["recent_orders"]}
    assert set(listed) == {web["number"], market.json()["number"], till["number"]}
    assert {o["channel"] for o in listed.values()} == {"web", "allegro", "pos-krk"}
    shop = listed[web["number"]]
    assert (shop["status"], shop["payment_status"], shop["total"]) == (
        web["status"],
        web["payment_status"],
        web["total"],
    )
    assert shop["location_ids"] == [web["lines"][0]["allocations"][0]["location_id"]]
    assert listed[till["number"]]["location_ids"] == [str(keys.store.krakow)]
    assert shop["shipping_address"]["city"] == "Gdańsk"  # an admin may see it
    assert [o["placed_at"] for o in view["recent_orders"]] == sorted(
        (o["placed_at"] for o in view["recent_orders"]), reverse=True
    )
    for i in range(3):
        shopper.order(f"more-{i}")
    view, six = statements()
    assert (len(view["recent_orders"]), six) == (6, three)  # no statement per order
    assert three > 0


def test_the_360_shows_open_carts_not_checked_out_ones(
    client: TestClient, shopper: Shopper, admin: dict[str, str]
) -> None:
    shopper.order("checked-out")
    open_cart = shopper.cart(TS_S=2, KS_1=1)
    view = _360(client, admin, shopper.id)
    assert [(c["id"], c["channel"], c["lines"], c["units"]) for c in view["open_carts"]] == [
        (open_cart["id"], "web", 2, 3)
    ]
    assert view["open_carts"][0]["updated_at"]


def test_the_360_redacts_for_a_channel_key_as_the_rest_does(
    client: TestClient, keys: Keys, shopper: Shopper, admin: dict[str, str], session: Session
) -> None:
    _, secret = issue_api_key(
        session,
        channel_id=keys.store.seller("pos-krk").id,
        data=ApiKeyCreate(name="counter", scopes=[Scope.CUSTOMERS_READ]),
    )
    session.commit()
    till = {"X-Api-Key": secret}
    order = shopper.order("web", contact={"phone": "+48 601 234 567"})
    view = _360(client, till, shopper.id)
    assert (view["customer"]["redacted"], view["customer"]["given_name"]) == (True, None)
    [shown] = view["recent_orders"]
    assert (shown["number"], shown["total"]) == (order["number"], order["total"])
    assert (shown["contact"], shown["shipping_address"]) == (None, None)
    revealed = _360(client, admin, shopper.id)["recent_orders"][0]
    assert revealed["contact"]["phone"] == "+48601234567"
    assert client.get(f"{API}/customers/{uuid.uuid4()}/360", headers=till).status_code == 404
    too_long = client.get(f"{API}/customers/{shopper.id}/360?timeline_limit=0", headers=till)
    assert too_long.status_code == 422
