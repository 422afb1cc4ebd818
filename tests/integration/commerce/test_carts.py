"""Carts through the service: lines priced by the quote, who may open a cart, holds in
channels that hold on add, sign-in merge, handoff between channels."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.carts.errors import (
    CartClosed,
    CartNotFound,
    HandoffCodeExpired,
    HandoffCodeUnknown,
)
from omnichannel.customers import profiles
from omnichannel.customers.models import TimelineEntry
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.db import OutboxEvent
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from tests.integration.commerce.conftest import KRAKOW_STOCK, Store


def _customer(session: Session, name: str = "Anna") -> uuid.UUID:
    return profiles.create_customer(
        session, data=CustomerCreate.model_validate({"given_name": name})
    ).customer.id


def test_a_cart_is_priced_by_the_quote(session: Session, store: Store) -> None:
    cart = store.cart(session, TS_S=2, KS_1=1)
    q = carts.price(session, cart=cart)
    assert q is not None
    assert [ln.priced.line.quantity for ln in q.lines] == [2, 1]
    assert q.priced.total == 2 * 4999 + 3990
    assert carts.price(session, cart=store.cart(session)) is None


def test_adding_again_adds_units_and_zero_removes_the_line(session: Session, store: Store) -> None:
    cart = store.cart(session, TS_S=1)
    web = store.seller("web")
    carts.set_line(
        session, cart=cart, variant_id=store.v("TS-S"), quantity=2, seller=web, actor="t", add=True
    )
    assert [ln.quantity for ln in cart.lines] == [3]
    carts.set_line(
        session, cart=cart, variant_id=store.v("TS-S"), quantity=0, seller=web, actor="t"
    )
    assert cart.lines == []
    types = session.scalars(
        select(OutboxEvent.type).where(OutboxEvent.aggregate_id == str(cart.id))
    ).all()
    assert types[0] == "cart.created"
    assert set(types[1:]) == {"cart.changed"}


def test_bad_lines_are_refused_and_change_nothing(session: Session, store: Store) -> None:
    cart = store.cart(session, TS_S=1)
    web = store.seller("web")
    with pytest.raises(InvalidInput) as e:
        carts.set_line(
            session, cart=cart, variant_id=store.v("KS-1"), quantity=0, seller=web, actor="t"
        )
    assert e.value.errors[0]["type"] == "not_in_cart"
    with pytest.raises(InvalidInput) as e:
        carts.set_line(
            session, cart=cart, variant_id=uuid.uuid4(), quantity=1, seller=web, actor="t", add=True
        )
    assert e.value.errors[0]["type"] == "unknown_variant"
    with pytest.raises(InvalidInput):
        carts.set_line(
            session,
            cart=cart,
            variant_id=store.v("TS-S"),
            quantity=999,
            seller=web,
            actor="t",
            add=True,
        )
    assert [ln.quantity for ln in cart.lines] == [1]


def test_a_cart_in_another_currency_than_the_channel_is_refused(
    session: Session, store: Store
) -> None:
    with pytest.raises(InvalidInput) as e:
        carts.create_cart(session, seller=store.seller("web"), actor="t", currency="EUR")
    assert e.value.errors[0]["field"] == "currency"


def test_only_the_owner_the_token_or_staff_open_a_cart(session: Session, store: Store) -> None:
    anonymous = store.cart(session, TS_S=1)
    token = carts.token_for(anonymous.id, None)
    assert (
        carts.load(session, cart_id=anonymous.id, access=carts.Access(token=token)).id
        == anonymous.id
    )
    other = carts.token_for(uuid.uuid4(), None)
    for access in (
        carts.Access(token=other),
        carts.Access(),
        carts.Access(customer_id=uuid.uuid4()),
    ):
        with pytest.raises(CartNotFound):
            carts.load(session, cart_id=anonymous.id, access=access)
    anna = _customer(session)
    hers = store.cart(session, customer_id=anna, TS_M=1)
    assert carts.load(session, cart_id=hers.id, access=carts.Access(customer_id=anna))
    assert carts.load(session, cart_id=hers.id, access=carts.Access(staff=True))
    with pytest.raises(CartNotFound):  # the anonymous-style token of a customer's cart
        carts.load(
            session, cart_id=hers.id, access=carts.Access(token=carts.token_for(hers.id, None))
        )


def test_a_till_holds_what_is_in_the_cart_and_gives_it_back(session: Session, store: Store) -> None:
    cart = store.cart(session, "pos-krk", TS_S=2)
    assert store.level(session, "TS-S", store.krakow) == (KRAKOW_STOCK, 2)
    assert cart.held_until is not None
    assert cart.held_until > utcnow() + timedelta(minutes=14)
    pos = store.seller("pos-krk")
    carts.set_line(
        session, cart=cart, variant_id=store.v("TS-S"), quantity=1, seller=pos, actor="t"
    )
    assert store.level(session, "TS-S", store.krakow) == (KRAKOW_STOCK, 1)
    carts.set_line(
        session, cart=cart, variant_id=store.v("TS-S"), quantity=0, seller=pos, actor="t"
    )
    assert store.level(session, "TS-S", store.krakow) == (KRAKOW_STOCK, 0)
    assert cart.held_until is None


def test_a_till_cannot_hold_more_than_there_is(session: Session, store: Store) -> None:
    cart = store.cart(session, "pos-krk", TS_S=1)
    session.commit()
    with pytest.raises(InsufficientStock) as e:
        carts.set_line(
            session,
            cart=cart,
            variant_id=store.v("TS-S"),
            quantity=500,
            seller=store.seller("pos-krk"),
            actor="t",
        )
    assert e.value.errors[0]["field"] == "lines.0.quantity"
    session.rollback()
    assert store.level(session, "TS-S", store.krakow) == (KRAKOW_STOCK, 1)


def test_signing_in_folds_the_anonymous_cart_into_the_customers(
    session: Session, store: Store
) -> None:
    anna = _customer(session)
    hers = store.cart(session, customer_id=anna, TS_S=1)
    anonymous = store.cart(session, TS_S=2, KS_1=1)
    carts.set_coupons(
        session, cart=anonymous, codes=["witaj"], seller=store.seller("web"), actor="t"
    )
    kept = carts.claim(
        session, cart=anonymous, customer_id=anna, seller=store.seller("web"), actor="t"
    )
    assert kept.id == hers.id
    assert {store.shop.v[s]: q for s, q in (("TS-S", 3), ("KS-1", 1))} == {
        ln.variant_id: ln.quantity for ln in kept.lines
    }
    assert kept.coupons == ["WITAJ"]
    assert (anonymous.status, anonymous.merged_into_id) == ("merged", hers.id)
    with pytest.raises(CartClosed):
        carts.set_line(
            session,
            cart=anonymous,
            variant_id=store.v("TS-S"),
            quantity=1,
            seller=store.seller("web"),
            actor="t",
        )


def test_a_lone_anonymous_cart_simply_becomes_the_customers(session: Session, store: Store) -> None:
    jan = _customer(session, "Jan")
    cart = store.cart(session, TS_L=1)
    kept = carts.claim(session, cart=cart, customer_id=jan, seller=store.seller("app"), actor="t")
    assert (kept.id, kept.customer_id) == (cart.id, jan)
    assert [c.id for c in carts.customer_carts(session, customer_id=jan)] == [cart.id]


def test_a_handoff_code_opens_the_cart_at_the_till(session: Session, store: Store) -> None:
    anna = _customer(session)
    cart = store.cart(session, "app", customer_id=anna, TS_S=1)
    h = carts.issue_handoff(session, cart=cart)
    assert len(h.code) == 6
    assert h.qr_payload.endswith(h.code)
    assert h.expires_at > utcnow() + timedelta(hours=23)
    typed = f"{h.code[:3].lower()}-{h.code[3:]}"
    opened, token = carts.open_by_code(
        session, code=typed, seller=store.seller("pos-krk"), actor="staff:x"
    )
    assert opened.id == cart.id
    assert carts.load(session, cart_id=cart.id, access=carts.Access(token=token)).id == cart.id
    assert {t.channel_id for t in opened.touches} == {
        store.seller("app").id,
        store.seller("pos-krk").id,
    }
    handed = session.scalars(
        select(TimelineEntry.type).where(TimelineEntry.customer_id == anna)
    ).all()
    assert "cart_handed_off" in handed


def test_unknown_and_expired_handoff_codes_are_refused(session: Session, store: Store) -> None:
    cart = store.cart(session, "app", TS_S=1)
    with pytest.raises(HandoffCodeUnknown):
        carts.open_by_code(session, code="XXXXXX", seller=store.seller("pos-krk"), actor="t")
    h = carts.issue_handoff(session, cart=cart)
    cart.handoff_expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    with pytest.raises(HandoffCodeExpired):
        carts.open_by_code(session, code=h.code, seller=store.seller("pos-krk"), actor="t")
