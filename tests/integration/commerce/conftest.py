"""A priced, stocked shop with the channels a Polish chain sells through: the web shop
(delivery fee, pickup in Kraków and Gdańsk), the app, a Kraków till that holds stock
for 15 minutes, the call center and a marketplace."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.inventory import service as inventory
from omnichannel.inventory.models import StockLevel
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location
from omnichannel.orders.models import Order
from tests.conftest import location_doc
from tests.integration.pricing.conftest import Shop, build_shop

WAREHOUSE_STOCK = 20
KRAKOW_STOCK = 3
DELIVERY = 1499


@dataclass
class Store:
    shop: Shop
    warehouse: uuid.UUID
    krakow: uuid.UUID
    gdansk: uuid.UUID
    sellers: dict[str, carts.Seller]

    def v(self, sku: str) -> uuid.UUID:
        return self.shop.v[sku]

    def seller(self, code: str) -> carts.Seller:
        return self.sellers[code]

    def cart(
        self,
        session: Session,
        channel: str = "web",
        customer_id: uuid.UUID | None = None,
        **lines: int,
    ) -> carts.Cart:
        seller = self.seller(channel)
        cart = carts.create_cart(
            session, seller=seller, actor=f"channel:{channel}", customer_id=customer_id
        )
        for sku, qty in lines.items():
            carts.set_line(
                session,
                cart=cart,
                variant_id=self.v(sku.replace("_", "-")),
                quantity=qty,
                seller=seller,
                actor=f"channel:{channel}",
                add=True,
            )
        return cart

    def level(self, session: Session, sku: str, location: uuid.UUID) -> tuple[int, int]:
        row = session.execute(
            select(StockLevel.on_hand, StockLevel.reserved).where(
                StockLevel.variant_id == self.v(sku), StockLevel.location_id == location
            )
        ).one()
        return row.on_hand, row.reserved

    @staticmethod
    def orders(session: Session) -> int:
        return session.scalar(select(func.count()).select_from(Order)) or 0


def build_store(session: Session) -> Store:
    shop = build_shop(session)

    def place(code: str, type_: str = "store", **kw: object) -> uuid.UUID:
        return create_location(
            session, data=LocationCreate.model_validate(location_doc(code, type_, **kw))
        ).id

    wh = place("WH-POZ", "warehouse")
    krk = place(
        "ST-KRK",
        address={
            "street": "ul. Floriańska 12",
            "city": "Kraków",
            "postcode": "31-019",
            "country": "PL",
        },
        coordinates={"latitude": 50.0637, "longitude": 19.9398},
    )
    gda = place("ST-GDA")
    channels = [
        ChannelCreate(
            code="web",
            name="Sklep internetowy",
            type="web",
            sell_from=[wh, krk],
            pickup_at=[krk, gda],
            delivery_price=DELIVERY,
        ),
        ChannelCreate(
            code="app", name="Aplikacja", type="mobile_app", sell_from=[wh, krk], pickup_at=[krk]
        ),
        ChannelCreate(
            code="pos-krk",
            name="Kasa Kraków",
            type="store_pos",
            sell_from=[krk, wh],
            pickup_at=[krk],
            cart_hold_minutes=15,
            delivery_price=DELIVERY,
        ),
        ChannelCreate(
            code="call-center",
            name="Infolinia",
            type="call_center",
            sell_from=[wh],
            pickup_at=[krk, gda],
            delivery_price=DELIVERY,
        ),
        ChannelCreate(code="allegro", name="Allegro", type="marketplace", sell_from=[wh]),
    ]
    for data in channels:
        create_channel(session, data=data)
    session.flush()
    inventory.receive(
        session,
        location_id=wh,
        lines=[inventory.Change(v, WAREHOUSE_STOCK) for v in shop.v.values()],
    )
    inventory.receive(
        session, location_id=krk, lines=[inventory.Change(v, KRAKOW_STOCK) for v in shop.v.values()]
    )
    session.commit()
    sellers = {c.code: carts.seller(session, code=c.code) for c in channels}
    return Store(shop, wh, krk, gda, sellers)


@pytest.fixture
def store(session: Session) -> Store:
    return build_store(session)
