"""Price lists, effective-dated prices and segment lists, on both databases."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.customers import profiles, segments
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.customers.schemas_segments import SegmentCreate
from omnichannel.db import OutboxEvent
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed
from omnichannel.pricing import service, snapshot
from omnichannel.pricing.errors import BaseListExists, PriceListCodeTaken, UnknownCustomer
from omnichannel.pricing.models import Price
from omnichannel.pricing.schemas import PriceListCreate, PriceListUpdate
from tests.integration.pricing.conftest import Shop


def _unit(session: Session, shop: Shop, sku: str, **kw: object) -> int:
    q = service.quote(session, items=[service.Item(shop.v[sku], 1)], **kw)  # type: ignore[arg-type]
    return q.lines[0].priced.line.unit_price


def test_a_currency_has_one_active_base_list(session: Session, shop: Shop) -> None:
    with pytest.raises(BaseListExists):
        service.create_price_list(session, data=PriceListCreate(code="base-2", name="Drugi"))
    eur = service.create_price_list(
        session, data=PriceListCreate(code="base-eur", name="Euro", currency="EUR")
    )
    assert eur.kind == "base"
    with pytest.raises(PriceListCodeTaken):
        service.create_price_list(
            session, data=PriceListCreate(code="vip", name="x", currency="EUR")
        )


def test_a_scheduled_price_takes_effect_at_its_time(session: Session, shop: Shop) -> None:
    soon = utcnow() + timedelta(days=7)
    assert shop.prices(session, shop.base, {"TS-S": 5499}, valid_from=soon) == 1
    assert _unit(session, shop, "TS-S") == 4999
    assert _unit(session, shop, "TS-S", at=soon - timedelta(seconds=1)) == 4999
    assert _unit(session, shop, "TS-S", at=soon) == 5499
    # a price set now does not cancel the scheduled change
    shop.prices(session, shop.base, {"TS-S": 4599})
    assert _unit(session, shop, "TS-S") == 4599
    assert _unit(session, shop, "TS-S", at=soon) == 5499
    rows = session.scalars(
        select(Price).where(Price.variant_id == shop.v["TS-S"]).order_by(Price.valid_from)
    ).all()
    assert [r.valid_to for r in rows[:-1]] == [r.valid_from for r in rows[1:]]
    assert rows[-1].valid_to is None


def test_setting_the_same_price_again_changes_nothing(session: Session, shop: Shop) -> None:
    assert shop.prices(session, shop.base, {"TS-S": 4999, "TS-M": 4999}) == 0


def test_prices_cannot_change_the_past(session: Session, shop: Shop) -> None:
    with pytest.raises(InvalidInput) as e:
        shop.prices(session, shop.base, {"TS-S": 1}, valid_from=utcnow() - timedelta(hours=1))
    assert e.value.errors[0]["field"] == "prices.0.valid_from"


def test_a_segment_price_wins_for_the_segment_only(session: Session, shop: Shop) -> None:
    shop.prices(session, shop.vip, {"TS-S": 3999})
    assert _unit(session, shop, "TS-S") == 4999
    assert _unit(session, shop, "TS-S", segments=["vip"]) == 3999
    assert _unit(session, shop, "TS-M", segments=["vip"]) == 4999  # no VIP price: the base one
    q = service.quote(session, items=[service.Item(shop.v["TS-S"], 1)], segments=["vip"])
    assert (q.lines[0].price_list, q.lines[0].base_price) == ("vip", 4999)


def test_a_customer_gets_the_prices_of_their_segments_by_id_alone(
    session: Session, shop: Shop
) -> None:
    shop.prices(session, shop.vip, {"TS-S": 3999})
    anna = profiles.create_customer(
        session, data=CustomerCreate.model_validate({"given_name": "Anna"})
    ).customer.id
    segments.create_segment(session, data=SegmentCreate(code="vip", name="VIP", kind="manual"))
    assert _unit(session, shop, "TS-S", customer_id=anna) == 4999
    segments.add_member(session, code="vip", customer_id=anna)
    q = service.quote(session, items=[service.Item(shop.v["TS-S"], 1)], customer_id=anna)
    assert (q.lines[0].priced.line.unit_price, q.segments) == (3999, ("vip",))
    with pytest.raises(UnknownCustomer) as e:  # nobody's segments: a 404, not a base price
        _unit(session, shop, "TS-S", customer_id=uuid.uuid4())
    assert e.value.errors[0]["field"] == "customer_id"


def test_the_higher_priority_segment_list_wins(session: Session, shop: Shop) -> None:
    staff = service.create_price_list(
        session,
        data=PriceListCreate(
            code="employees", name="Pracownicy", kind="segment", segment="employees", priority=20
        ),
    )
    shop.prices(session, shop.vip, {"TS-S": 3999})
    shop.prices(session, staff.id, {"TS-S": 2999})
    assert _unit(session, shop, "TS-S", segments=["vip", "employees"]) == 2999
    service.update_price_list(session, price_list_id=staff.id, data=PriceListUpdate(priority=5))
    assert _unit(session, shop, "TS-S", segments=["vip", "employees"]) == 3999


def test_stopping_a_segment_price_falls_back_to_the_base_price(
    session: Session, shop: Shop
) -> None:
    shop.prices(session, shop.vip, {"TS-S": 3999})
    shop.prices(session, shop.vip, {"TS-S": None})
    assert _unit(session, shop, "TS-S", segments=["vip"]) == 4999


def test_an_inactive_list_prices_nothing(session: Session, shop: Shop) -> None:
    shop.prices(session, shop.vip, {"TS-S": 3999})
    service.update_price_list(
        session, price_list_id=shop.vip, data=PriceListUpdate(status="inactive")
    )
    assert _unit(session, shop, "TS-S", segments=["vip"]) == 4999


def test_an_edit_from_an_old_version_is_refused(session: Session, shop: Shop) -> None:
    service.update_price_list(session, price_list_id=shop.vip, data=PriceListUpdate(name="VIP+"))
    with pytest.raises(PreconditionFailed):
        service.update_price_list(
            session, price_list_id=shop.vip, data=PriceListUpdate(name="x"), if_version=1
        )


def test_every_change_is_an_event_and_replaces_the_pricing_token(
    session: Session, shop: Shop
) -> None:
    before = snapshot.current(session).token
    service.update_price_list(session, price_list_id=shop.vip, data=PriceListUpdate(priority=30))
    assert snapshot.current(session).token != before
    shop.prices(session, shop.base, {"TS-S": 4499})
    types = session.scalars(
        select(OutboxEvent.type).where(OutboxEvent.aggregate_id == str(shop.base))
    ).all()
    assert "pricing.price_changed" in types
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) > 0


def test_a_cached_snapshot_is_reused_until_something_changes(session: Session, shop: Shop) -> None:
    first = snapshot.current(session)
    assert snapshot.current(session) is first
    service.update_price_list(session, price_list_id=shop.vip, data=PriceListUpdate(priority=11))
    assert snapshot.current(session) is not first


def test_a_big_change_is_announced_in_ordered_events_of_at_most_500_prices(
    session: Session, shop: Shop
) -> None:
    from omnichannel.pricing.lists import EVENT_PRICES

    soon = utcnow() + timedelta(days=1)
    changes = [
        service.PriceChange(shop.v["TS-S"], 5000 + n, soon + timedelta(minutes=n))
        for n in range(EVENT_PRICES + 20)
    ]
    assert service.set_prices(session, price_list_id=shop.base, changes=changes) == 520
    events = session.execute(
        select(OutboxEvent.sequence, OutboxEvent.payload)
        .where(
            OutboxEvent.aggregate_id == str(shop.base), OutboxEvent.type == "pricing.price_changed"
        )
        .order_by(OutboxEvent.sequence)
    ).all()
    assert [len(p["prices"]) for _, p in events[-2:]] == [EVENT_PRICES, 20]
    assert events[-1][0] == events[-2][0] + 1
