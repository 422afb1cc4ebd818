"""Stock operations through the service: the ledger explains every unit, counts record
reality, people cannot overdraw, transfers arrive once, and what a channel may promise
follows policies, safety stock and buffers."""

import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelUpdate
from omnichannel.channels.service import update_channel
from omnichannel.db import OutboxEvent
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock, StockReserved, TransferNotInTransit
from omnichannel.inventory.models import Reservation, StockLevel, StockMovement
from omnichannel.inventory.rules import MovementKind
from omnichannel.kernel import utcnow
from omnichannel.kernel.errors import InvalidInput
from tests.integration.inventory.conftest import World, build_world, project_changes

Owner = Callable[..., inventory.Owner]
KRAKOW = (50.0614, 19.9366)


def _level(session: Session, v: uuid.UUID, loc: uuid.UUID) -> tuple[int, int]:
    session.expire_all()
    level = session.get(StockLevel, (v, loc))
    return (level.on_hand, level.reserved) if level else (0, 0)


def _ledger(session: Session, v: uuid.UUID, loc: uuid.UUID) -> list[StockMovement]:
    return list(
        session.scalars(
            select(StockMovement)
            .where(StockMovement.variant_id == v, StockMovement.location_id == loc)
            .order_by(StockMovement.id)
        )
    )


def _atp(session: Session, channel: inventory.ChannelStock, v: uuid.UUID) -> int:
    [a] = inventory.availability(session, channel=channel, variant_ids=[v])
    return a.available


def _hold(
    session: Session, world: World, owner: Owner, qty: int, v: uuid.UUID | None = None
) -> inventory.Held:
    [held] = inventory.reserve(
        session,
        lines=[inventory.Line(v or world.variants[0], world.warehouse, qty)],
        owner=owner(),
        ttl=None,
    )
    return held


# --- the ledger -------------------------------------------------------------------


def test_a_receipt_is_a_ledger_line_with_its_reference_and_actor(
    session: Session, world: World
) -> None:
    v = world.variants[0]
    inventory.receive(
        session, location_id=world.warehouse, lines=[inventory.Change(v, 5)], reference="PO-7"
    )
    last = _ledger(session, v, world.warehouse)[-1]
    assert (last.kind, last.quantity, last.reference_type, last.reference_id, last.actor) == (
        "receipt",
        5,
        "receipt",
        "PO-7",
        "test",
    )
    assert _level(session, v, world.warehouse) == (15, 0)
    assert inventory.check_ledger(session) == []


def test_adjustments_and_damage_are_recorded_with_their_reasons(
    session: Session, world: World
) -> None:
    v = world.variants[0]
    inventory.adjust(
        session,
        location_id=world.warehouse,
        variant_id=v,
        quantity=-2,
        kind=MovementKind.ADJUSTMENT,
        reason="found two fewer on the shelf",
    )
    inventory.adjust(
        session,
        location_id=world.warehouse,
        variant_id=v,
        quantity=3,  # damage always removes, whatever the sign given
        kind=MovementKind.DAMAGE,
        reason="water damage",
    )
    inventory.adjust(
        session,
        location_id=world.warehouse,
        variant_id=v,
        quantity=1,
        kind=MovementKind.RETURN,
        reason="customer return",
        reference="RMA-1",
    )
    lines = [(m.kind, m.quantity, m.reason) for m in _ledger(session, v, world.warehouse)[1:]]
    assert lines == [
        ("adjustment", -2, "found two fewer on the shelf"),
        ("damage", -3, "water damage"),
        ("return", 1, "customer return"),
    ]
    assert _level(session, v, world.warehouse) == (6, 0)
    assert inventory.check_ledger(session) == []


@pytest.mark.parametrize(
    ("kind", "quantity"),
    [
        (MovementKind.COUNT, 3),  # counts go through count(), not by hand
        (MovementKind.SALE, -1),
        (MovementKind.ADJUSTMENT, 0),
        (MovementKind.RECEIPT, -2),
    ],
)
def test_an_adjustment_that_makes_no_sense_is_refused(
    session: Session, world: World, kind: MovementKind, quantity: int
) -> None:
    with pytest.raises(InvalidInput):
        inventory.adjust(
            session,
            location_id=world.warehouse,
            variant_id=world.variants[0],
            quantity=quantity,
            kind=kind,
            reason="x",
        )


def test_nobody_can_remove_more_than_is_on_hand(session: Session, world: World) -> None:
    v = world.variants[0]
    with pytest.raises(StockReserved), session.begin_nested():
        inventory.adjust(
            session,
            location_id=world.warehouse,
            variant_id=v,
            quantity=-11,
            kind=MovementKind.ADJUSTMENT,
            reason="x",
        )
    assert _level(session, v, world.warehouse) == (10, 0)


# --- counts and syncs: reality wins -----------------------------------------------


def test_a_count_records_the_difference(session: Session, world: World) -> None:
    v, w = world.variants[:2]
    diffs = inventory.count(
        session,
        location_id=world.warehouse,
        lines=[inventory.Change(v, 7), inventory.Change(w, 10)],
        reference="CC-1",
    )
    assert diffs == {v: -3, w: 0}
    assert [(m.kind, m.quantity) for m in _ledger(session, v, world.warehouse)] == [
        ("receipt", 10),
        ("count", -3),
    ]
    assert len(_ledger(session, w, world.warehouse)) == 1  # nothing to record
    assert _level(session, v, world.warehouse) == (7, 0)


def test_a_count_below_what_is_reserved_keeps_the_reservations(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    held = _hold(session, world, owner, 6)
    inventory.count(session, location_id=world.warehouse, lines=[inventory.Change(v, 2)])
    assert _level(session, v, world.warehouse) == (2, 6)  # a shortage, shown as such
    assert inventory.get_reservation(session, reservation_id=held.id).status == "active"
    assert _atp(session, world.channel, v) == 0
    assert inventory.check_ledger(session) == []


def test_an_adjustment_below_what_is_reserved_is_refused(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    _hold(session, world, owner, 6)
    for kind in (MovementKind.ADJUSTMENT, MovementKind.DAMAGE):
        with pytest.raises(StockReserved) as refused, session.begin_nested():
            inventory.adjust(
                session,
                location_id=world.warehouse,
                variant_id=v,
                quantity=-5,
                kind=kind,
                reason="x",
            )
        assert refused.value.extra == {"on_hand": 10, "reserved": 6}
    with pytest.raises(StockReserved), session.begin_nested():
        inventory.start_transfer(
            session,
            from_location_id=world.warehouse,
            to_location_id=world.store,
            lines=[inventory.Change(v, 5)],
        )
    inventory.adjust(  # down to exactly what is reserved is fine
        session,
        location_id=world.warehouse,
        variant_id=v,
        quantity=-4,
        kind=MovementKind.DAMAGE,
        reason="x",
    )
    assert _level(session, v, world.warehouse) == (6, 6)


def test_an_erp_sync_keeps_reservations_and_records_sync_movements(
    session: Session, world: World, owner: Owner
) -> None:
    v, w = world.variants[:2]
    _hold(session, world, owner, 5)
    outcome = inventory.sync_levels(
        session,
        levels=[(v, world.warehouse, 3), (w, world.warehouse, 10), (w, world.store, 4)],
        reference="ERP-42",
    )
    assert outcome == {"levels": 3, "changed": 2}
    assert _level(session, v, world.warehouse) == (3, 5)
    assert _level(session, w, world.store) == (4, 0)
    last = _ledger(session, v, world.warehouse)[-1]
    assert (last.kind, last.quantity, last.reference_id) == ("sync", -7, "ERP-42")
    assert inventory.check_ledger(session) == []


def test_goods_arriving_at_a_level_with_a_shortage_are_always_accepted(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    _hold(session, world, owner, 8)
    inventory.count(session, location_id=world.warehouse, lines=[inventory.Change(v, 1)])
    inventory.receive(session, location_id=world.warehouse, lines=[inventory.Change(v, 3)])
    inventory.adjust(
        session,
        location_id=world.warehouse,
        variant_id=v,
        quantity=1,
        kind=MovementKind.RETURN,
        reason="customer return",
    )
    assert _level(session, v, world.warehouse) == (5, 8)  # still short, but less so
    with pytest.raises(StockReserved), session.begin_nested():
        inventory.adjust(
            session,
            location_id=world.warehouse,
            variant_id=v,
            quantity=-1,
            kind=MovementKind.ADJUSTMENT,
            reason="x",
        )
    assert inventory.check_ledger(session) == []


# --- transfers --------------------------------------------------------------------


def test_a_transfer_is_in_transit_until_received_and_is_received_once(
    session: Session, world: World
) -> None:
    v = world.variants[0]
    transfer = inventory.start_transfer(
        session,
        from_location_id=world.warehouse,
        to_location_id=world.store,
        lines=[inventory.Change(v, 4)],
        reference="TR-1",
    )
    assert transfer.status == "in_transit"
    assert _level(session, v, world.warehouse) == (6, 0)
    assert _level(session, v, world.store) == (0, 0)
    assert inventory.in_transit(session, variant_id=v) == {world.store: 4}
    [option] = [
        o
        for o in inventory.pickup_options(session, channel=world.channel, variant_id=v, near=None)
        if o.location_id == world.store
    ]
    assert (option.available, option.in_transit) == (0, 4)

    received = inventory.receive_transfer(session, transfer_id=transfer.id)
    assert received.status == "received"
    assert received.received_at is not None
    assert _level(session, v, world.store) == (4, 0)
    assert inventory.in_transit(session, variant_id=v) == {}
    with pytest.raises(TransferNotInTransit), session.begin_nested():
        inventory.receive_transfer(session, transfer_id=transfer.id)
    assert _level(session, v, world.store) == (4, 0)
    assert [(m.kind, m.quantity, m.reference_id) for m in _ledger(session, v, world.store)] == [
        ("transfer_in", 4, str(transfer.id))
    ]
    assert _ledger(session, v, world.warehouse)[-1].kind == "transfer_out"
    assert inventory.check_ledger(session) == []


def test_a_transfer_arrives_even_where_a_count_found_a_shortage(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    inventory.receive(session, location_id=world.store, lines=[inventory.Change(v, 5)])
    inventory.reserve(
        session, lines=[inventory.Line(v, world.store, 5)], owner=owner("store-cart"), ttl=None
    )
    transfer = inventory.start_transfer(
        session,
        from_location_id=world.warehouse,
        to_location_id=world.store,
        lines=[inventory.Change(v, 2)],
    )
    inventory.count(session, location_id=world.store, lines=[inventory.Change(v, 1)])
    inventory.receive_transfer(session, transfer_id=transfer.id)
    assert _level(session, v, world.store) == (3, 5)
    assert inventory.in_transit(session, variant_id=v) == {}


# --- backorders and preorders -----------------------------------------------------


def test_a_backorder_limit_lets_reservations_exceed_on_hand_up_to_the_limit(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    inventory.set_policy(
        session, variant_id=v, backorder=True, backorder_limit=5, preorder_until=None
    )
    _hold(session, world, owner, 10)
    [a] = inventory.availability(session, channel=world.channel, variant_ids=[v])
    assert (a.available, a.orderable, a.status) == (0, 5, "backorder")
    _hold(session, world, owner, 4)
    _hold(session, world, owner, 1)
    assert _level(session, v, world.warehouse) == (10, 15)
    with pytest.raises(InsufficientStock) as refused, session.begin_nested():
        _hold(session, world, owner, 1)
    assert refused.value.extra["available"] == 0
    [a] = inventory.availability(session, channel=world.channel, variant_ids=[v])
    assert (a.available, a.orderable, a.status) == (0, 0, "out_of_stock")


def test_a_backorder_without_a_limit_is_always_orderable(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    inventory.set_policy(
        session, variant_id=v, backorder=True, backorder_limit=None, preorder_until=None
    )
    _hold(session, world, owner, 500)
    [a] = inventory.availability(session, channel=world.channel, variant_ids=[v])
    assert (a.available, a.orderable, a.status) == (0, None, "backorder")


def test_a_preorder_shows_its_status_and_expected_date(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    inventory.set_policy(
        session, variant_id=v, backorder=True, backorder_limit=20, preorder_until=date(2027, 1, 15)
    )
    [a] = inventory.availability(session, channel=world.channel, variant_ids=[v])
    assert a.status == "in_stock"  # there are goods: sell them first
    _hold(session, world, owner, 12)
    [a] = inventory.availability(session, channel=world.channel, variant_ids=[v])
    assert (a.available, a.orderable, a.status, a.preorder_until) == (
        0,
        18,
        "preorder",
        date(2027, 1, 15),
    )
    assert (
        inventory.policy_view(inventory.get_policy(session, variant_id=v))["backorder_limit"] == 20
    )


def test_an_item_never_in_stock_can_be_preordered(session: Session, owner: Owner) -> None:
    world = build_world(session, n_variants=1, stock=0)
    v = world.variants[0]
    inventory.set_policy(
        session, variant_id=v, backorder=True, backorder_limit=5, preorder_until=date(2027, 1, 15)
    )
    [a] = inventory.availability(session, channel=world.channel, variant_ids=[v])
    assert a.status == "preorder"
    inventory.reserve(
        session, lines=[inventory.Line(v, world.warehouse, 1)], owner=owner(), ttl=None
    )


def test_a_preorder_needs_backorder(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput):
        inventory.set_policy(
            session,
            variant_id=world.variants[0],
            backorder=False,
            backorder_limit=None,
            preorder_until=date(2027, 1, 15),
        )


def test_lowering_the_backorder_limit_below_what_is_promised_is_refused(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    inventory.set_policy(
        session, variant_id=v, backorder=True, backorder_limit=5, preorder_until=None
    )
    _hold(session, world, owner, 13)
    with pytest.raises(StockReserved), session.begin_nested():
        inventory.set_policy(
            session, variant_id=v, backorder=False, backorder_limit=None, preorder_until=None
        )
    inventory.set_policy(
        session, variant_id=v, backorder=True, backorder_limit=3, preorder_until=None
    )
    session.expire_all()
    assert session.get(StockLevel, (v, world.warehouse)).allowance == 3


def test_raising_the_backorder_limit_is_allowed_where_a_count_found_a_shortage(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    _hold(session, world, owner, 10)
    inventory.count(session, location_id=world.warehouse, lines=[inventory.Change(v, 0)])
    inventory.set_policy(
        session, variant_id=v, backorder=True, backorder_limit=4, preorder_until=None
    )
    session.expire_all()
    assert session.get(StockLevel, (v, world.warehouse)).allowance == 4
    with pytest.raises(InsufficientStock), session.begin_nested():
        _hold(session, world, owner, 1)  # still 6 short of covering what is held


# --- what a channel may promise ---------------------------------------------------


def test_safety_stock_of_a_location_and_of_one_variant_reduce_what_can_be_promised(
    session: Session, world: World
) -> None:
    v, w = world.variants[:2]
    inventory.set_safety_stock(session, location_id=world.warehouse, units=2)
    inventory.set_safety_stock(session, location_id=world.warehouse, units=5, variant_id=w)
    out = inventory.availability(
        session, channel=world.channel, variant_ids=[v, w], with_locations=True
    )
    assert [a.available for a in out] == [8, 5]
    assert out[1].locations[0]["safety_stock"] == 5
    inventory.set_safety_stock(session, location_id=world.warehouse, units=12)
    assert _atp(session, world.channel, v) == 0  # never negative
    assert _atp(session, world.channel, w) == 5  # the override still wins


def test_channel_buffers_reduce_what_the_channel_may_promise(
    session: Session, world: World
) -> None:
    v = world.variants[0]

    def atp_with(**buffers: int | None) -> int:
        update_channel(session, channel_id=world.channel.id, data=ChannelUpdate(**buffers))
        return _atp(session, inventory.channel_for(session, channel_id=world.channel.id), v)

    assert atp_with(buffer_percent=50) == 5
    assert atp_with(buffer_percent=None, buffer_units=3) == 7
    assert atp_with(buffer_percent=50, buffer_units=3) == 2
    assert atp_with(buffer_units=20) == 0
    assert atp_with(buffer_percent=None, buffer_units=None) == 10


def test_only_the_channels_locations_count_towards_what_it_may_promise(
    session: Session, world: World
) -> None:
    v = world.variants[0]
    inventory.receive(session, location_id=world.store, lines=[inventory.Change(v, 2)])
    inventory.receive(session, location_id=world.other_store, lines=[inventory.Change(v, 7)])
    [a] = inventory.availability(
        session, channel=world.channel, variant_ids=[v], with_locations=True
    )
    assert a.available == 12
    assert [loc["location_id"] for loc in a.locations] == [world.warehouse, world.store]


def test_pickup_options_put_the_nearest_store_that_can_hand_over_first(
    session: Session, world: World
) -> None:
    v = world.variants[0]
    inventory.receive(session, location_id=world.store, lines=[inventory.Change(v, 3)])
    inventory.receive(session, location_id=world.other_store, lines=[inventory.Change(v, 1)])
    near_krakow = inventory.pickup_options(
        session, channel=world.channel, variant_id=v, near=KRAKOW
    )
    assert [(o.location_id, o.can_hand_over) for o in near_krakow] == [
        (world.other_store, True),
        (world.store, True),
    ]
    assert near_krakow[0].distance_km is not None
    assert near_krakow[0].distance_km < 5 < near_krakow[1].distance_km
    two = inventory.pickup_options(
        session, channel=world.channel, variant_id=v, quantity=2, near=KRAKOW
    )
    assert [(o.location_id, o.available, o.can_hand_over) for o in two] == [
        (world.store, 3, True),
        (world.other_store, 1, False),
    ]


# --- the projector and the sweeper ------------------------------------------------


def _published(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.type == "inventory.availability_changed")
        )
        or 0
    )


def test_the_projector_stays_silent_when_a_change_does_not_move_what_a_channel_sees(
    session: Session, world: World, owner: Owner
) -> None:
    v = world.variants[0]
    project_changes(session)
    before = _published(session)
    inventory.receive(session, location_id=world.other_store, lines=[inventory.Change(v, 5)])
    held = _hold(session, world, owner, 2)
    inventory.release(session, reservation_id=held.id, owner=None)
    assert project_changes(session) == 0
    assert _published(session) == before
    inventory.adjust(
        session,
        location_id=world.warehouse,
        variant_id=v,
        quantity=-1,
        kind=MovementKind.DAMAGE,
        reason="x",
    )
    assert project_changes(session) == 1
    assert project_changes(session) == 0


def test_the_sweeper_releases_overdue_holds_exactly_once(
    session: Session, world: World, owner: Owner
) -> None:
    v, w = world.variants[:2]
    long_ago = utcnow() - timedelta(hours=1)
    held = inventory.reserve(
        session,
        lines=[inventory.Line(v, world.warehouse, 3), inventory.Line(w, world.warehouse, 2)],
        owner=owner(),
        ttl=timedelta(minutes=15),
        now=long_ago,
    )
    kept = _hold(session, world, owner, 1)
    assert _atp(session, world.channel, v) == 9  # overdue holds are free to read already
    due = inventory.sweep(session)
    assert sorted(due) == sorted([(v, world.warehouse), (w, world.warehouse)])
    freed = [inventory.expire_level(session, variant_id=a, location_id=b) for a, b in due]
    assert sorted(freed) == [2, 3]
    assert [inventory.expire_level(session, variant_id=a, location_id=b) for a, b in due] == [0, 0]
    assert inventory.sweep(session) == []
    assert _level(session, v, world.warehouse) == (10, 1)
    statuses = session.scalars(
        select(Reservation.status).where(Reservation.id.in_([h.id for h in held] + [kept.id]))
    ).all()
    assert sorted(statuses) == ["active", "expired", "expired"]


def test_a_batch_mixes_stocked_items_and_a_backorder_item_with_no_level_anywhere(
    session: Session, world: World
) -> None:
    """The batch read folds policies into the totals query; an item with a policy but
    no stock level at the channel's locations still brings its policy back. With no
    level there is nowhere to hold it, so it is out of stock, its date still shown."""
    stocked, never = world.variants[0], world.variants[1]
    session.execute(delete(StockMovement).where(StockMovement.variant_id == never))
    inventory.set_policy(
        session,
        variant_id=never,
        backorder=True,
        backorder_limit=None,
        preorder_until=date(2027, 3, 1),
    )
    session.execute(delete(StockLevel).where(StockLevel.variant_id == never))
    a, b, c = inventory.availability(
        session, channel=world.channel, variant_ids=[stocked, never, world.variants[2]]
    )
    assert (a.variant_id, a.status, a.available) == (stocked, "in_stock", 10)
    assert (b.variant_id, b.status, b.preorder_until) == (
        never,
        "out_of_stock",
        date(2027, 3, 1),
    )
    assert (b.available, b.orderable) == (0, 0)
    assert (c.variant_id, c.status) == (world.variants[2], "in_stock")
