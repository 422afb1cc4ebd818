"""Reservations through the service: taken, refused, released, expired, committed."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from omnichannel.db import OutboxEvent
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import (
    InsufficientStock,
    NotReservationOwner,
    ReservationNotActive,
)
from omnichannel.inventory.models import StockLevel
from omnichannel.inventory.statements import level_event
from omnichannel.kernel import utcnow
from tests.integration.inventory.conftest import project_changes


def _level(session, v, loc):  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(StockLevel, (v, loc))


def test_a_reservation_holds_stock_and_lowers_what_the_channel_can_promise(
    session, world, owner
) -> None:  # type: ignore[no-untyped-def]
    v = world.variants[0]
    [res] = inventory.reserve(
        session,
        lines=[inventory.Line(v, world.warehouse, 3)],
        owner=owner(),
        ttl=timedelta(minutes=15),
    )
    assert res.status == "active"
    assert (
        _level(session, v, world.warehouse).on_hand,
        _level(session, v, world.warehouse).reserved,
    ) == (10, 3)
    [atp] = inventory.availability(session, channel=world.channel, variant_ids=[v])
    assert atp.available == 7
    assert atp.status == "in_stock"


def test_the_last_unit_cannot_be_taken_twice(session, world, owner) -> None:  # type: ignore[no-untyped-def]
    v = world.variants[0]
    inventory.reserve(
        session, lines=[inventory.Line(v, world.warehouse, 10)], owner=owner("a"), ttl=None
    )
    with pytest.raises(InsufficientStock) as refused:
        inventory.reserve(
            session, lines=[inventory.Line(v, world.warehouse, 1)], owner=owner("b"), ttl=None
        )
    assert refused.value.extra["available"] == 0


def test_several_lines_are_all_or_nothing(session, world, owner, db) -> None:  # type: ignore[no-untyped-def]
    a, b = world.variants[:2]
    with pytest.raises(InsufficientStock), session.begin_nested():
        inventory.reserve(
            session,
            lines=[inventory.Line(a, world.warehouse, 5), inventory.Line(b, world.warehouse, 11)],
            owner=owner(),
            ttl=None,
        )
    assert _level(session, a, world.warehouse).reserved == 0
    assert _level(session, b, world.warehouse).reserved == 0


def test_releasing_gives_the_stock_back_once(session, world, owner) -> None:  # type: ignore[no-untyped-def]
    v = world.variants[0]
    [res] = inventory.reserve(
        session, lines=[inventory.Line(v, world.warehouse, 4)], owner=owner(), ttl=None
    )
    inventory.release(session, reservation_id=res.id, owner=owner())
    inventory.release(session, reservation_id=res.id, owner=owner())
    assert _level(session, v, world.warehouse).reserved == 0


def test_someone_elses_reservation_cannot_be_released(session, world, owner) -> None:  # type: ignore[no-untyped-def]
    v = world.variants[0]
    [res] = inventory.reserve(
        session, lines=[inventory.Line(v, world.warehouse, 4)], owner=owner("mine"), ttl=None
    )
    with pytest.raises(NotReservationOwner):
        inventory.release(session, reservation_id=res.id, owner=owner("theirs"))
    assert _level(session, v, world.warehouse).reserved == 4


def test_an_expired_hold_is_free_to_read_and_to_take_and_is_released_exactly_once(
    session, world, owner
) -> None:  # type: ignore[no-untyped-def]
    v = world.variants[0]
    t0 = utcnow()
    [old] = inventory.reserve(
        session,
        lines=[inventory.Line(v, world.warehouse, 10)],
        owner=owner("old"),
        ttl=timedelta(minutes=15),
        now=t0,
    )
    later = t0 + timedelta(minutes=16)
    [atp] = inventory.availability(session, channel=world.channel, variant_ids=[v], now=later)
    assert atp.available == 10  # lazily: the overdue hold counts as free
    inventory.reserve(
        session,
        lines=[inventory.Line(v, world.warehouse, 6)],
        owner=owner("new"),
        ttl=None,
        now=later,
    )
    assert _level(session, v, world.warehouse).reserved == 6
    assert (
        inventory.expire_level(session, variant_id=v, location_id=world.warehouse, now=later) == 0
    )
    assert inventory.get_reservation(session, reservation_id=old.id).status == "expired"
    with pytest.raises(ReservationNotActive):
        inventory.extend(
            session, reservation_id=old.id, owner=owner("old"), ttl=timedelta(minutes=5), now=later
        )


def test_committing_a_reservation_writes_a_sale_to_the_ledger(session, world, owner) -> None:  # type: ignore[no-untyped-def]
    v = world.variants[0]
    [res] = inventory.reserve(
        session, lines=[inventory.Line(v, world.warehouse, 2)], owner=owner(), ttl=None
    )
    inventory.commit(session, reservation_id=res.id, owner=owner(), reference="order-1")
    level = _level(session, v, world.warehouse)
    assert (level.on_hand, level.reserved) == (8, 0)
    assert inventory.check_ledger(session) == []
    with pytest.raises(ReservationNotActive):
        inventory.commit(session, reservation_id=res.id, owner=owner())


def test_every_change_writes_a_level_event(session, world, owner) -> None:  # type: ignore[no-untyped-def]
    v = world.variants[0]
    before = session.scalar(
        select(func.count())
        .select_from(OutboxEvent)
        .where(OutboxEvent.type == "inventory.level_changed")
    )
    inventory.reserve(
        session, lines=[inventory.Line(v, world.warehouse, 1)], owner=owner(), ttl=None
    )
    events = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.type == "inventory.level_changed")
        .order_by(OutboxEvent.position)
    ).all()
    assert len(events) == before + 1
    assert events[-1].payload["reserved"] == 1
    assert events[-1].sequence == 2  # the receipt was 1


def test_a_reservation_event_is_exactly_what_every_other_level_change_writes(
    session, world, owner
) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL builds the reservation's event in SQL; it must match `level_event`."""
    v, loc = world.variants[0], world.warehouse
    session.info["actor"] = "staff:anna"
    inventory.reserve(session, lines=[inventory.Line(v, loc, 4)], owner=owner(), ttl=None)
    [event] = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.type == "inventory.level_changed")
        .order_by(OutboxEvent.position.desc())
        .limit(1)
    ).all()
    expected = level_event(v, loc, (10, 4, 2), "reserved")
    assert (event.aggregate_type, event.aggregate_id, event.sequence) == (
        expected["aggregate_type"],
        expected["aggregate_id"],
        expected["sequence"],
    )
    assert event.payload == expected["payload"]
    assert event.actor == "staff:anna"


def test_the_projector_publishes_availability_only_when_it_changes(session, world, owner) -> None:  # type: ignore[no-untyped-def]
    v = world.variants[0]
    project_changes(session)
    inventory.reserve(
        session, lines=[inventory.Line(v, world.warehouse, 3)], owner=owner(), ttl=None
    )
    assert project_changes(session) == 1
    assert project_changes(session) == 0
    last = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.type == "inventory.availability_changed")
        .order_by(OutboxEvent.position.desc())
    ).first()
    assert last.payload == {"channel": "web", "variant_id": str(v), "available": 7}


def test_a_reservation_sees_what_the_same_transaction_has_not_flushed_yet(
    session, world, owner
) -> None:  # type: ignore[no-untyped-def]
    """The hot path runs on the raw cursor; pending ORM changes are flushed first."""
    v, loc = world.variants[0], world.warehouse
    level = _level(session, v, loc)
    level.on_hand = 50  # pending, not flushed
    inventory.reserve(session, lines=[inventory.Line(v, loc, 40)], owner=owner(), ttl=None)
    assert (_level(session, v, loc).on_hand, _level(session, v, loc).reserved) == (50, 40)


def test_a_refused_basket_puts_back_what_it_took_before_naming_the_line(
    session, world, owner
) -> None:  # type: ignore[no-untyped-def]
    # On SQLite a basket is taken with one statement; when a line fails, the lines it
    # took are put back as they were (version too) before the line-by-line pass names
    # it. That pass stops at the failing line; the caller's rollback undoes the rest.
    a, b, c = world.variants[:3]
    before = {v: _level(session, v, world.warehouse) for v in (a, c)}
    seen = {v: (lvl.reserved, lvl.version) for v, lvl in before.items()}
    with pytest.raises(InsufficientStock) as refused:
        inventory.reserve(
            session,
            lines=[
                inventory.Line(a, world.warehouse, 2),
                inventory.Line(b, world.warehouse, 11),
                inventory.Line(c, world.warehouse, 1),
            ],
            owner=owner(),
            ttl=None,
        )
    assert refused.value.extra["variant_id"] == str(b)
    assert refused.value.extra["available"] == 10
    for v, wanted in ((a, 2), (c, 1)):
        level = _level(session, v, world.warehouse)
        reserved, version = seen[v]
        assert level.reserved in (reserved, reserved + wanted)  # never taken twice
        assert level.version == version + (level.reserved != reserved)


def test_a_basket_that_fits_takes_every_line_and_writes_an_event_each(
    session, world, owner
) -> None:  # type: ignore[no-untyped-def]
    a, b = world.variants[:2]
    held = inventory.reserve(
        session,
        lines=[inventory.Line(b, world.warehouse, 4), inventory.Line(a, world.warehouse, 3)],
        owner=owner(),
        ttl=None,
    )
    assert sorted((h.variant_id, h.quantity) for h in held) == sorted([(a, 3), (b, 4)])
    assert _level(session, a, world.warehouse).reserved == 3
    assert _level(session, b, world.warehouse).reserved == 4
    events = session.scalars(
        select(OutboxEvent.aggregate_id).where(OutboxEvent.type == "inventory.level_changed")
    ).all()
    assert f"{a}:{world.warehouse}" in events
    assert f"{b}:{world.warehouse}" in events
