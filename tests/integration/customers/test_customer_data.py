"""What orders tell a profile, on the customers' side: money paid and given back goes
to the live profile, never to an erased one; what a checkout typed is added once."""

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from omnichannel.customers import identities, merge, privacy, profiles, spend, timeline
from omnichannel.customers.remembering import remember_checkout, same_address
from omnichannel.customers.rules import IdentityType, TimelineType
from omnichannel.kernel import Money, utcnow
from tests.integration.customers.conftest import MakeCustomer

HOME = {"street": "ul. Floriańska 12/4", "postcode": "31-019", "city": "Kraków"}


def _paid(customer_id: uuid.UUID, zl: int, *, refund: bool = False) -> spend.PaymentMove:
    return spend.PaymentMove(
        customer_id=customer_id,
        order_id=uuid.uuid4(),
        order_number="K7Q2",
        amount=Money(zl * 100, "PLN"),
        refund=refund,
        occurred_at=utcnow() - timedelta(days=1),
    )


def test_money_paid_goes_to_the_live_profile_and_never_to_an_erased_one(
    session: Session, make_customer: MakeCustomer
) -> None:
    survivor, duplicate = make_customer(given_name="A"), make_customer(given_name="B")
    erased = make_customer(given_name="C")
    merge.merge_customers(session, survivor_id=survivor, source_id=duplicate)
    privacy.erase(session, customer_id=erased)
    moves = [_paid(duplicate, 100), _paid(survivor, 40, refund=True), _paid(erased, 999)]
    moves.append(_paid(uuid.uuid4(), 5))  # no such customer: nobody's spend
    assert spend.record_payments(session, moves=moves) == 2
    kinds = [TimelineType.ORDER_PAID, TimelineType.ORDER_REFUNDED]
    entries = timeline.entries(session, customer_id=survivor, types=kinds)
    assert sorted((e.type, e.amount_minor) for e in entries) == [
        ("order_paid", 10_000),
        ("order_refunded", 4_000),
    ]
    assert timeline.entries(session, customer_id=erased, types=kinds) == []


def test_a_checkout_adds_what_the_profile_lacks_and_nothing_twice(
    session: Session, make_customer: MakeCustomer
) -> None:
    anna = make_customer(given_name="Anna", emails=["anna@example.pl"], addresses=[HOME])
    kept = remember_checkout(
        session,
        customer_id=anna,
        email="ANNA@example.pl",
        phone="601 234 567",
        address={**HOME, "street": "ul. floriańska 12/4 ", "recipient": "A. Nowak"},
        channel="web",
    )
    assert (kept.identities, kept.address_id, kept.conflicts) == ([IdentityType.PHONE], None, [])
    again = remember_checkout(session, customer_id=anna, phone="+48601234567", channel="app")
    assert (again.identities, again.address_id) == ([], None)
    types = sorted(i.type for i in identities.of(session, anna))
    assert types == ["email", "phone"]
    assert len(profiles.addresses_of(session, anna)) == 1


def test_an_identity_of_another_profile_stays_theirs_and_is_reported(
    session: Session, make_customer: MakeCustomer
) -> None:
    anna = make_customer(given_name="Anna")
    jan = make_customer(given_name="Jan", phones=["601 234 567"])
    kept = remember_checkout(session, customer_id=anna, phone="+48 601 234 567")
    assert (kept.identities, kept.conflicts) == ([], [jan])
    assert identities.of(session, anna) == []


def test_an_erased_profile_keeps_nothing_a_checkout_typed(
    session: Session, make_customer: MakeCustomer
) -> None:
    gone = make_customer(given_name="C")
    privacy.erase(session, customer_id=gone)
    kept = remember_checkout(session, customer_id=gone, phone="601 234 567", address=HOME)
    assert (kept.identities, kept.address_id) == ([], None)
    assert profiles.addresses_of(session, gone) == []


def test_an_address_is_the_same_place_whatever_its_label_or_spelling() -> None:
    assert same_address(
        HOME, {**HOME, "label": "dom", "city": "KRAKOW", "street": "Ul Floriańska 12/4"}
    )
    assert not same_address(HOME, {**HOME, "street": "ul. Floriańska 14"})
    assert not same_address(HOME, {**HOME, "country": "DE"})
