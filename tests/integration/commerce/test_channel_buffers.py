"""A channel with a buffer sells no more than it is shown, whichever way it sells:
a marketplace's imports, a till's cart holds and the order that takes them over."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.channels.schemas import ChannelCreate, ChannelUpdate
from omnichannel.channels.service import create_channel, update_channel
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.orders import marketplace
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments.service import PaymentMethod
from tests import ordering
from tests.integration.commerce.conftest import KRAKOW_STOCK, Store


def _import(session: Session, external_id: str, quantity: int) -> None:
    marketplace.import_order(
        session,
        seller=carts.seller(session, code="allegro"),
        data=marketplace.MarketplaceOrder(
            external_id=external_id,
            currency="PLN",
            lines=[marketplace.MarketplaceLine("TS-S", quantity, 4799)],
            buyer_id="23123123",
            shipping_address={"street": "ul. Długa 45", "city": "Gdańsk", "zip_code": "80-827"},
        ),
        actor="channel:allegro",
    )


def test_a_marketplace_with_a_share_imports_no_more_than_it_is_shown(
    session: Session, store: Store
) -> None:
    v = store.v("TS-S")
    update_channel(
        session,
        channel_id=store.seller("allegro").id,
        data=ChannelUpdate(buffer_percent=60),
    )
    inventory.count(session, location_id=store.warehouse, lines=[inventory.Change(v, 3)])
    with pytest.raises(InsufficientStock) as refused:
        _import(session, "all-3", 3)  # issue 14: it sold all 3 while shown 1
    assert (refused.value.extra["available"], refused.value.errors[0]["field"]) == (
        1,
        "lines.0.quantity",
    )
    _import(session, "first", 1)
    _import(session, "second", 1)  # 60 % of the 2 left: 1
    with pytest.raises(InsufficientStock) as again:
        _import(session, "third", 1)  # 60 % of the last unit: none
    assert again.value.extra["available"] == 0
    assert store.level(session, "TS-S", store.warehouse) == (3, 2)
    assert store.orders(session) == 2


def test_a_tills_cart_holds_are_not_counted_again_when_its_order_takes_them_over(
    session: Session, store: Store
) -> None:
    create_channel(
        session,
        data=ChannelCreate(
            code="pos-buf",
            name="Kasa z buforem",
            type="store_pos",
            sell_from=[store.krakow],
            pickup_at=[store.krakow],
            cart_hold_minutes=15,
            buffer_units=KRAKOW_STOCK - 1,
        ),
    )
    till = carts.seller(session, code="pos-buf")
    store.sellers["pos-buf"] = till
    cart = store.cart(session, "pos-buf", TS_S=1)  # holds the one unit the till is shown
    assert store.level(session, "TS-S", store.krakow) == (KRAKOW_STOCK, 1)
    order = ordering.checkout(
        session,
        cart=cart,
        seller=till,
        actor="staff:kasa",
        request=orders.CheckoutRequest(
            currency="PLN", fulfilment=Fulfilment.CARRY_OUT, payment_method=PaymentMethod.CASH
        ),
    )
    assert order.status == "completed"
    assert store.level(session, "TS-S", store.krakow) == (KRAKOW_STOCK - 1, 0)
    with pytest.raises(InsufficientStock):
        store.cart(session, "pos-buf", TS_S=1)  # 2 left, 2 kept back: none to hold
