"""The demo's carts and orders, made through the same services a channel calls: web
orders at every stage of their life, a click&collect order waiting in Kraków, a till
sale in Warsaw, an Allegro import, and an app cart waiting to be handed to a till.
Payments go through the built-in `sandbox` provider."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.catalog import service as catalog
from omnichannel.db.session import within
from omnichannel.demo import fulfilment
from omnichannel.inventory import service as inventory
from omnichannel.orders import marketplace
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment, OrderStatus
from omnichannel.payments.service import PaymentMethod

ADDRESS = {
    "street": "ul. Marszałkowska 84/92 m. 15",
    "postcode": "00-514",
    "city": "Warszawa",
    "country": "PL",
}
# How far each web order has come (in order of the customers who placed them).
_WEB_STAGES = [
    OrderStatus.COMPLETED,
    OrderStatus.DELIVERED,
    OrderStatus.SHIPPED,
    OrderStatus.IN_FULFILMENT,
    OrderStatus.ALLOCATED,
    OrderStatus.CONFIRMED,
]


@dataclass
class OrdersReport:
    orders: int = 0
    handoff_code: str | None = None


def _in_stock(session: Session, channel: str, variant_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Variants the channel can sell at least 3 of from a single location."""
    stock = inventory.channel_for(session, code=channel)
    found = inventory.availability(
        session, channel=stock, variant_ids=variant_ids, with_locations=True
    )
    return [
        a.variant_id
        for a in found
        if any(loc.get("available", 0) >= 3 for loc in a.locations) and a.available >= 3
    ]


def _cart(
    session: Session,
    seller: carts.Seller,
    variants: list[uuid.UUID],
    customer_id: uuid.UUID | None,
) -> carts.Cart:
    cart = carts.create_cart(
        session, seller=seller, actor=f"channel:{seller.code}", customer_id=customer_id
    )
    for v in variants:
        carts.set_line(
            session, cart=cart, variant_id=v, quantity=1, seller=seller, actor="channel:demo"
        )
    return cart


def load_orders(
    session: Session, *, seed: int, customer_ids: list[uuid.UUID], variant_ids: list[uuid.UUID]
) -> OrdersReport:
    rng = random.Random(seed * 31 + 3)
    report = OrdersReport()
    web = carts.seller(session, code="web")
    pool = _in_stock(session, "web", variant_ids[:400])
    for customer_id, stage in zip(customer_ids, _WEB_STAGES, strict=False):
        cart = _cart(session, web, rng.sample(pool, 2), customer_id)
        method, token = rng.choice(
            [(PaymentMethod.CARD, "sandbox_ok"), (PaymentMethod.BLIK, "777123")]
        )
        order = _checkout(
            session,
            cart,
            web,
            orders.CheckoutRequest(
                currency="PLN",
                fulfilment=Fulfilment.DELIVERY,
                payment_method=method,
                payment_token=token,
                shipping_address=ADDRESS,
            ),
        )
        if stage != OrderStatus.CONFIRMED:
            fulfilment.advance(session, order, stage)
        report.orders += 1
    rest = customer_ids[len(_WEB_STAGES) :]
    # Click&collect in Kraków, paid at pickup, waiting on the shelf.
    krakow = web.pickup_at[1]  # the stores in the demo's order: Warszawa, Kraków, Gdańsk
    pickup = _checkout(
        session,
        _cart(session, web, rng.sample(pool, 1), rest[0]),
        web,
        orders.CheckoutRequest(
            currency="PLN",
            fulfilment=Fulfilment.PICKUP,
            pickup_location_id=krakow,
            payment_method=PaymentMethod.PAY_AT_PICKUP,
        ),
    )
    fulfilment.ready_for_pickup(session, pickup)
    report.orders += 1
    # A till sale in Warsaw, paid in cash.
    till = carts.seller(session, code="pos-waw")
    till_pool = _in_stock(session, "pos-waw", variant_ids[:400])
    _checkout(
        session,
        _cart(session, till, rng.sample(till_pool, 2), rest[1]),
        till,
        orders.CheckoutRequest(
            currency="PLN", fulfilment=Fulfilment.CARRY_OUT, payment_method=PaymentMethod.CASH
        ),
        actor="staff:demo",
    )
    report.orders += 1
    # An Allegro order, imported.
    allegro = carts.seller(session, code="allegro")
    chosen = next(iter(_skus(session, pool[:5]).values()))
    marketplace.import_order(
        session,
        seller=allegro,
        data=marketplace.MarketplaceOrder(
            external_id="a1b2c3d4-0001-11f1-9c3e-0242ac120002",
            currency="PLN",
            lines=[marketplace.MarketplaceLine(chosen, 1, 8999)],
            buyer_id="58214377",
            buyer_email="zakupy.allegro.58214377@example.com",
            buyer_login="mieszkanie_w_gdyni",
            given_name="Ewa",
            family_name="Kamińska",
            delivery_cost=999,
            shipping_address={
                "street": "ul. Świętojańska 21",
                "city": "Gdynia",
                "zip_code": "81-368",
            },
        ),
        actor="channel:allegro",
    )
    report.orders += 1
    # An app cart, waiting to be handed to a till by its code.
    app = carts.seller(session, code="app")
    waiting = _cart(session, app, rng.sample(pool, 2), rest[2])
    report.handoff_code = carts.issue_handoff(session, cart=waiting).code
    return report


def _checkout(
    session: Session,
    cart: carts.Cart,
    seller: carts.Seller,
    request: orders.CheckoutRequest,
    actor: str | None = None,
) -> orders.Order:
    # The demo loads in one transaction and the sandbox answers at once: the steps
    # run inside it (`within`), where a request would commit before each call.
    view = orders.checkout(
        within(session),
        open_cart=lambda _: (cart, seller),
        actor=actor or f"channel:{seller.code}",
        request=request,
        answering=orders.ViewAnswer(),
    )
    return view.order


def _skus(session: Session, variant_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    facts = catalog.pricing_facts(session, variant_ids=variant_ids)
    return {v: f.sku for v, f in facts.items()}
