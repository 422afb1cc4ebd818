"""A channel's delivery fees per method: set with the channel, changed one at a time,
kept in the worker's directory so checkout prices delivery without a statement, and
refused where the channel does not deliver (or collect cash) that way."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnichannel.channels.rules import (
    CashOnDeliveryNotOffered,
    DeliveryMethod,
    DeliveryMethodNotOffered,
    DeliveryRates,
)
from omnichannel.channels.schemas import ChannelCreate, ChannelUpdate, DeliveryRatesIn
from omnichannel.channels.service import (
    channel_info,
    create_channel,
    delivery_price,
    get_channel,
    update_channel,
)
from omnichannel.db import Database
from omnichannel.kernel import NotFound
from omnichannel.kernel.errors import InvalidInput
from tests.statements import counting

M = DeliveryMethod
DEMO = DeliveryRatesIn(courier=1499, locker=1299, pickup=0, cash_on_delivery=500)


@pytest.fixture
def web(session: Session, make_location: Callable[..., uuid.UUID]) -> uuid.UUID:
    wh = make_location("WH-RATES", "warehouse")
    ch = create_channel(
        session,
        data=ChannelCreate(
            code="web", name="Sklep", type="web", sell_from=[wh], delivery_rates=DEMO
        ),
    )
    session.commit()
    return ch.id


def test_each_method_costs_its_rate_and_cash_on_delivery_adds_the_surcharge(
    session: Session, web: uuid.UUID
) -> None:
    def fee(method: DeliveryMethod, cod: bool = False) -> int | None:
        return delivery_price(session, channel_id=web, method=method, cash_on_delivery=cod)

    assert (fee(M.COURIER), fee(M.LOCKER), fee(M.PICKUP)) == (1499, 1299, 0)
    assert (fee(M.COURIER, True), fee(M.LOCKER, True)) == (1999, 1799)
    assert fee(M.CARRY_OUT) is None  # a till sale has no delivery line
    assert delivery_price(session, code="web", method=M.LOCKER) == 1299


def test_cash_on_delivery_is_refused_where_no_carrier_collects_it(
    session: Session, web: uuid.UUID
) -> None:
    for method in (M.PICKUP, M.CARRY_OUT):
        with pytest.raises(CashOnDeliveryNotOffered) as e:
            delivery_price(session, channel_id=web, method=method, cash_on_delivery=True)
        assert e.value.errors[0]["field"] == "cash_on_delivery"


def test_a_method_without_a_rate_is_not_offered(session: Session, web: uuid.UUID) -> None:
    update_channel(
        session,
        channel_id=web,
        data=ChannelUpdate(delivery_rates=DeliveryRatesIn(locker=None, cash_on_delivery=None)),
    )
    with pytest.raises(DeliveryMethodNotOffered) as e:
        delivery_price(session, channel_id=web, method=M.LOCKER, field="fulfilment")
    assert (e.value.status, e.value.code) == (422, "delivery_method_not_offered")
    assert e.value.errors[0]["field"] == "fulfilment"
    with pytest.raises(CashOnDeliveryNotOffered):
        delivery_price(session, channel_id=web, method=M.COURIER, cash_on_delivery=True)
    assert delivery_price(session, channel_id=web, method=M.COURIER) == 1499  # kept


def test_an_update_changes_only_the_rates_it_names_and_moves_the_version(
    session: Session, web: uuid.UUID
) -> None:
    before = get_channel(session, channel_id=web).version
    ch = update_channel(
        session, channel_id=web, data=ChannelUpdate(delivery_rates=DeliveryRatesIn(locker=999))
    )
    assert ch.delivery_rates() == DeliveryRates(1499, 999, 0, 500)
    assert ch.version == before + 1
    same = update_channel(
        session, channel_id=web, data=ChannelUpdate(delivery_rates=DeliveryRatesIn(locker=999))
    )
    assert same.version == before + 1  # no change, no new version


def test_the_old_flat_fee_is_the_courier_rate(session: Session, web: uuid.UUID) -> None:
    update_channel(session, channel_id=web, data=ChannelUpdate(delivery_price=1999))
    info = channel_info(session, channel_id=web)
    assert info is not None
    assert (info.rates.courier, info.delivery_price) == (1999, 1999)
    update_channel(session, channel_id=web, data=ChannelUpdate(delivery_price=None))
    info = channel_info(session, channel_id=web)
    assert info is not None
    assert (info.rates.courier, info.delivery_price) == (0, None)  # null meant free


def test_a_new_channel_delivers_as_one_did_before_the_rate_table(
    session: Session, make_location: Callable[..., uuid.UUID]
) -> None:
    ch = create_channel(
        session,
        data=ChannelCreate(code="app", name="Aplikacja", type="mobile_app", delivery_price=1499),
    )
    assert ch.delivery_rates() == DeliveryRates(courier=1499, locker=None, pickup=0)
    assert ch.delivery_rates().cash_on_delivery == 0


def test_the_courier_rate_may_not_be_given_twice(session: Session, web: uuid.UUID) -> None:
    twice = ChannelUpdate(delivery_price=1, delivery_rates=DeliveryRatesIn(courier=2))
    with pytest.raises(InvalidInput) as e:
        update_channel(session, channel_id=web, data=twice)
    assert e.value.errors[0]["field"] == "delivery_price"


def test_a_negative_rate_is_refused_by_the_schema() -> None:
    with pytest.raises(ValidationError) as e:
        DeliveryRatesIn(locker=-1)
    assert e.value.errors()[0]["loc"] == ("locker",)


def test_checkout_reads_the_fee_without_a_statement_once_the_token_is_read(
    db: Database, session: Session, web: uuid.UUID
) -> None:
    delivery_price(session, channel_id=web, method=M.COURIER)  # warms the directory
    session.commit()
    channel_info(session, channel_id=web)  # the transaction reads the token once
    with counting(db.engine) as sent:
        assert delivery_price(session, channel_id=web, method=M.LOCKER) == 1299
    assert sent == []


def test_a_changed_rate_is_charged_from_the_next_transaction(
    session: Session, web: uuid.UUID
) -> None:
    assert delivery_price(session, channel_id=web, method=M.COURIER) == 1499
    session.commit()
    update_channel(
        session, channel_id=web, data=ChannelUpdate(delivery_rates=DeliveryRatesIn(courier=1799))
    )
    session.commit()
    assert delivery_price(session, channel_id=web, method=M.COURIER) == 1799


def test_an_unknown_channel_has_no_fees(session: Session) -> None:
    with pytest.raises(NotFound):
        delivery_price(session, channel_id=uuid.uuid4(), method=M.COURIER)
