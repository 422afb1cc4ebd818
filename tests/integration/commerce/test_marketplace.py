"""Marketplace orders: imported once whatever the retries, at the marketplace's
prices, with the buyer matched to their profile."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from omnichannel.customers import identities, profiles
from omnichannel.customers.rules import IdentityType
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.kernel.errors import InvalidInput
from omnichannel.orders import marketplace
from omnichannel.payments.service import PaymentMethod
from tests.integration.commerce.conftest import WAREHOUSE_STOCK, Store


def _order(external_id: str = "29738e61-7f6a", **kw: object) -> marketplace.MarketplaceOrder:
    doc: dict[str, object] = {
        "external_id": external_id,
        "currency": "PLN",
        "lines": [marketplace.MarketplaceLine("TS-S", 2, 4799)],
        "buyer_id": "23123123",
        "buyer_email": "jan.kowalski@example.pl",
        "buyer_login": "janek_k",
        "given_name": "Jan",
        "family_name": "Kowalski",
        "delivery_cost": 899,
        "shipping_address": {"street": "ul. Długa 45", "city": "Gdańsk", "zip_code": "80-827"},
    }
    doc.update(kw)
    return marketplace.MarketplaceOrder(**doc)  # type: ignore[arg-type]


def test_an_import_keeps_the_marketplaces_prices_and_is_paid(
    session: Session, store: Store
) -> None:
    order, created = marketplace.import_order(
        session, seller=store.seller("allegro"), data=_order(), actor="channel:allegro"
    )
    assert created
    assert (order.kind, order.status, order.payment_status) == (
        "marketplace",
        "confirmed",
        "captured",
    )
    assert (order.lines[0].unit_price, order.lines[0].vat_code, order.delivery) == (4799, "23", 899)
    assert order.total == 2 * 4799 + 899
    assert order.external_id == "29738e61-7f6a"
    assert store.level(session, "TS-S", store.warehouse) == (WAREHOUSE_STOCK, 2)


def test_importing_again_returns_the_first_order(session: Session, store: Store) -> None:
    first, _ = marketplace.import_order(
        session, seller=store.seller("allegro"), data=_order(), actor="channel:allegro"
    )
    again, created = marketplace.import_order(
        session, seller=store.seller("allegro"), data=_order(), actor="channel:allegro"
    )
    assert (again.id, created) == (first.id, False)
    assert store.orders(session) == 1
    assert store.level(session, "TS-S", store.warehouse) == (WAREHOUSE_STOCK, 2)


def test_the_buyer_is_the_customer_their_email_already_is(session: Session, store: Store) -> None:
    jan = profiles.create_customer(
        session,
        data=CustomerCreate.model_validate(
            {"given_name": "Jan", "emails": ["jan.kowalski@example.pl"]}
        ),
    ).customer.id
    order, _ = marketplace.import_order(
        session, seller=store.seller("allegro"), data=_order(), actor="channel:allegro"
    )
    assert order.customer_id == jan
    assert (
        identities.find_customer_id(
            session, type=IdentityType.MARKETPLACE_BUYER, value="23123123", namespace="allegro"
        )
        == jan
    )


def test_cash_on_delivery_is_due_until_delivered(session: Session, store: Store) -> None:
    order, _ = marketplace.import_order(
        session,
        seller=store.seller("allegro"),
        data=_order(payment_method=PaymentMethod.CASH_ON_DELIVERY),
        actor="channel:allegro",
    )
    assert (order.status, order.payment_status) == ("confirmed", "due")


def test_bad_marketplace_orders_are_refused(session: Session, store: Store) -> None:
    with pytest.raises(InvalidInput) as e:
        marketplace.import_order(
            session,
            seller=store.seller("allegro"),
            data=_order(lines=[marketplace.MarketplaceLine("NO-SUCH", 1, 100)]),
            actor="channel:allegro",
        )
    assert e.value.errors[0]["field"] == "lineItems.0.offer.external.id"
    with pytest.raises(InvalidInput):
        marketplace.import_order(
            session, seller=store.seller("web"), data=_order(), actor="channel:web"
        )
    with pytest.raises(InsufficientStock):
        marketplace.import_order(
            session,
            seller=store.seller("allegro"),
            data=_order(lines=[marketplace.MarketplaceLine("TS-S", WAREHOUSE_STOCK + 1, 100)]),
            actor="channel:allegro",
        )
