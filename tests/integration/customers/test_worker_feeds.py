"""The worker carries what orders tell customers' profiles, with real commits: a till
sale paid in cash counts as spend, and the phone given there lands on the profile."""

from __future__ import annotations

from omnichannel import schedule
from omnichannel.customers import identities, profiles, timeline
from omnichannel.customers.rules import TimelineType
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.db import Database, unit_of_work
from omnichannel.events.relay import deliver
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments import service as payments
from tests.integration.commerce.conftest import build_store


def test_the_worker_feeds_spend_and_typed_details_to_the_profile(committing_db: Database) -> None:
    db = committing_db
    with unit_of_work(db, actor="setup") as s:
        store = build_store(s)
        anna = profiles.create_customer(s, data=CustomerCreate(given_name="Anna")).customer.id
    with unit_of_work(db, actor="staff:till") as s:
        placed = orders.place_order(
            s,
            cart=store.cart(s, "pos-krk", customer_id=anna, TS_S=1),
            seller=store.seller("pos-krk"),
            actor="staff:till",
            request=orders.CheckoutRequest(
                currency="PLN",
                fulfilment=Fulfilment.CARRY_OUT,
                payment_method=payments.PaymentMethod.CASH,
                contact=orders.Contact(phone="601 234 567"),
            ),
        )
    assert placed.order.payment_status == "captured"
    for consumer in schedule.customer_feeds():
        assert deliver(db, consumer, worker="test").delivered > 0
    with unit_of_work(db, read_only=True) as s:
        paid = timeline.entries(s, customer_id=anna, types=[TimelineType.ORDER_PAID])
        assert [(e.amount_minor, e.reference) for e in paid] == [
            (placed.order.total, placed.order.number)
        ]
        assert [i.value for i in identities.of(s, anna)] == ["+48601234567"]
