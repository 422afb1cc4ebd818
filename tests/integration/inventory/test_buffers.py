"""A channel never sells more than its own availability, buffers and shares included:
the reservation refuses what the channel is not shown (issue 14, decision 38)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.models import StockLevel
from omnichannel.inventory.rules import OwnerType
from omnichannel.kernel import utcnow
from tests.integration.inventory.conftest import World, add_channel, build_world
from tests.statements import counting


@dataclass
class Shops:
    world: World
    variant: uuid.UUID
    marketplace: inventory.ChannelStock  # shown 60 % of the stock
    social: inventory.ChannelStock  # shown "2 less"
    web: inventory.ChannelStock  # no buffer


@pytest.fixture
def shops(session: Session) -> Shops:
    """Issue 14: 3 units in the warehouse, a marketplace and a social shop selling them."""
    world = build_world(session, n_variants=1)
    wh = world.warehouse
    shops = Shops(
        world,
        world.variants[0],
        add_channel(session, "allegro", "marketplace", [wh], buffer_percent=60),
        add_channel(session, "insta", "social", [wh], buffer_units=2),
        world.channel,
    )
    inventory.receive(session, location_id=wh, lines=[inventory.Change(shops.variant, 3)])
    session.flush()
    return shops


def shown(session: Session, channel: inventory.ChannelStock, variant: uuid.UUID) -> int | None:
    [a] = inventory.availability(session, channel=channel, variant_ids=[variant])
    return a.orderable


def sell(
    session: Session,
    channel: inventory.ChannelStock,
    *lines: tuple[uuid.UUID, uuid.UUID, int],
    owner: str = "order-1",
) -> list[inventory.Held]:
    """Reserve for an order of `channel`; a refusal is undone as the entrypoint's
    rollback would undo it."""
    with session.begin_nested():
        return inventory.reserve(
            session,
            lines=[inventory.Line(*line) for line in lines],
            owner=inventory.Owner(OwnerType.ORDER, owner, channel.id),
            ttl=None,
        )


def refused(
    session: Session, channel: inventory.ChannelStock, *lines: tuple[uuid.UUID, uuid.UUID, int]
) -> InsufficientStock:
    with pytest.raises(InsufficientStock) as e:
        sell(session, channel, *lines, owner="refused")
    return e.value


def level(session: Session, variant: uuid.UUID, location: uuid.UUID) -> tuple[int, int]:
    session.expire_all()
    row = session.get(StockLevel, (variant, location))
    assert row is not None
    return row.on_hand, row.reserved


def test_each_buffered_channel_sells_what_it_is_shown_and_a_second_sale_is_refused(
    session: Session, shops: Shops
) -> None:
    v, wh = shops.variant, shops.world.warehouse
    assert shown(session, shops.marketplace, v) == shown(session, shops.social, v) == 1
    for channel in (shops.marketplace, shops.social):
        e = refused(session, channel, (v, wh, 3))  # the issue: each sold all 3
        assert (e.status, e.code, e.extra["available"], e.extra["requested"]) == (
            409,
            "insufficient_stock",
            1,
            3,
        )
        assert e.errors[0]["field"] == "lines.0.quantity"
    assert level(session, v, wh) == (3, 0)  # nothing of a refusal stays
    sell(session, shops.social, (v, wh, 1))
    assert (shown(session, shops.marketplace, v), shown(session, shops.social, v)) == (1, 0)
    assert refused(session, shops.social, (v, wh, 1)).extra["available"] == 0
    sell(session, shops.marketplace, (v, wh, 1))
    assert refused(session, shops.marketplace, (v, wh, 1)).extra["available"] == 0
    sell(session, shops.web, (v, wh, 1))  # a channel with no buffer sells the last unit
    assert level(session, v, wh) == (3, 3)


def test_a_caller_that_goes_on_after_the_refusal_holds_nothing(
    session: Session, shops: Shops
) -> None:
    v, wh, st = shops.variant, shops.world.warehouse, shops.world.store
    inventory.receive(session, location_id=st, lines=[inventory.Change(v, 3)])
    both = add_channel(session, "outlet", "marketplace", [wh, st], buffer_percent=50)
    owner = inventory.Owner(OwnerType.ORDER, "rerouted", both.id)
    with pytest.raises(InsufficientStock):  # no savepoint of the caller's own
        inventory.reserve(
            session,
            lines=[inventory.Line(v, wh, 2), inventory.Line(v, st, 2)],
            owner=owner,
            ttl=None,
        )
    assert level(session, v, wh) == level(session, v, st) == (3, 0)
    assert (
        inventory.list_reservations(session, owner_type=OwnerType.ORDER, owner_id="rerouted") == []
    )


def test_a_line_its_level_cannot_cover_names_what_the_channel_can_sell(
    session: Session, shops: Shops
) -> None:
    v, wh = shops.variant, shops.world.warehouse
    e = refused(session, shops.social, (v, wh, 4))
    assert (e.extra["requested"], e.extra["available"]) == (4, 1)
    assert refused(session, shops.web, (v, wh, 4)).extra["available"] == 3  # no buffer


def test_a_share_is_of_what_is_left_at_each_sale(session: Session, shops: Shops) -> None:
    v, wh = shops.variant, shops.world.warehouse
    inventory.receive(session, location_id=wh, lines=[inventory.Change(v, 7)])  # 10 units
    sold = []
    while (can := shown(session, shops.marketplace, v)) and can > 0:
        assert refused(session, shops.marketplace, (v, wh, can + 1)).extra["available"] == can
        sell(session, shops.marketplace, (v, wh, can))
        sold.append(can)
    assert sold == [6, 2, 1]  # 60 % of 10, of 4, of 2; of the last unit, none
    assert level(session, v, wh) == (10, 9)


def test_a_channel_selling_from_several_locations_counts_them_together(
    session: Session, shops: Shops
) -> None:
    v, wh, st = shops.variant, shops.world.warehouse, shops.world.store
    inventory.receive(session, location_id=st, lines=[inventory.Change(v, 3)])
    half = add_channel(session, "outlet", "marketplace", [wh, st], buffer_percent=50)
    assert shown(session, half, v) == 3  # half of 3 + 3
    e = refused(session, half, (v, wh, 2), (v, st, 2))
    assert (e.extra["requested"], e.extra["available"]) == (4, 3)
    sell(session, half, (v, wh, 1), (v, st, 2))
    assert shown(session, half, v) == 1
    assert refused(session, half, (v, st, 2)).extra["available"] == 1


def test_safety_stock_and_backorder_headroom_are_counted_as_the_channel_is_shown_them(
    session: Session, shops: Shops
) -> None:
    v, wh = shops.variant, shops.world.warehouse
    inventory.set_safety_stock(session, location_id=wh, units=1, variant_id=v)
    assert shown(session, shops.marketplace, v) == 1  # 60 % of 2
    assert refused(session, shops.marketplace, (v, wh, 2)).extra["available"] == 1
    inventory.set_policy(
        session, variant_id=v, backorder=True, backorder_limit=8, preorder_until=None
    )
    assert shown(session, shops.marketplace, v) == 6  # 60 % of 2 + 8
    assert refused(session, shops.marketplace, (v, wh, 7)).extra["available"] == 6
    sell(session, shops.marketplace, (v, wh, 6))
    inventory.set_policy(
        session, variant_id=v, backorder=True, backorder_limit=None, preorder_until=None
    )
    assert shown(session, shops.social, v) is None  # no limit, so none from the buffer either
    sell(session, shops.social, (v, wh, 50))


def test_a_hold_at_a_pickup_store_is_limited_by_what_that_store_shows(
    session: Session, shops: Shops
) -> None:
    v, wh, st = shops.variant, shops.world.warehouse, shops.world.store
    inventory.receive(session, location_id=st, lines=[inventory.Change(v, 2)])
    collect = add_channel(session, "tiktok", "social", [wh], [st], buffer_units=2)
    [option] = inventory.pickup_options(session, channel=collect, variant_id=v, near=None)
    assert (option.location_id, option.available) == (st, 2)
    sell(session, collect, (v, st, 2))  # the store's own figure: no buffer on it
    assert refused(session, collect, (v, wh, 2)).extra["available"] == 1


def test_an_expired_hold_is_free_for_the_channel_as_it_is_shown(
    session: Session, shops: Shops
) -> None:
    v, wh = shops.variant, shops.world.warehouse
    inventory.reserve(
        session,
        lines=[inventory.Line(v, wh, 2)],
        owner=inventory.Owner(OwnerType.CART, "gone"),
        ttl=timedelta(seconds=1),
    )
    assert shown(session, shops.marketplace, v) == 0
    later = inventory.availability(
        session,
        channel=shops.marketplace,
        variant_ids=[v],
        now=utcnow() + timedelta(minutes=1),
    )
    assert later[0].orderable == 1
    with session.begin_nested():
        inventory.reserve(
            session,
            lines=[inventory.Line(v, wh, 1)],
            owner=inventory.Owner(OwnerType.ORDER, "after", shops.marketplace.id),
            ttl=None,
            now=utcnow() + timedelta(minutes=1),
        )


def test_a_channel_without_a_buffer_sends_no_statement_more_and_one_with_a_buffer_one(
    session: Session, shops: Shops
) -> None:
    v, wh = shops.variant, shops.world.warehouse
    inventory.receive(session, location_id=wh, lines=[inventory.Change(v, 97)])
    engine = session.get_bind()

    def statements(channel_id: uuid.UUID | None, owner: str) -> int:
        with counting(engine) as sent:  # type: ignore[arg-type]
            inventory.reserve(
                session,
                lines=[inventory.Line(v, wh, 1)],
                owner=inventory.Owner(OwnerType.ORDER, owner, channel_id),
                ttl=None,
            )
        return len(sent)

    for channel in (shops.web, shops.marketplace):
        statements(channel.id, "warm")  # the worker's channel directory, as checkout has it
    plain = statements(None, "no-channel")
    assert statements(shops.web.id, "web") == plain
    # One read of the levels (and the reservation's savepoint, which `counting` leaves out).
    assert statements(shops.marketplace.id, "allegro") == plain + 1
