"""Promise 1 under contention: many threads, each reservation in its own transaction
committed for real, on SQLite (writers queue on the file's lock) and PostgreSQL (row
locks). No oversell, no partial basket, and no deadlock between orders, releases,
sales, receipts, lazy expiry, the sweeper, ERP syncs and policy changes."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from omnichannel.db import Database, make_engine, unit_of_work
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.models import Reservation, StockLevel
from omnichannel.inventory.rules import OwnerType
from omnichannel.kernel import utcnow
from tests.integration.inventory.conftest import World, add_channel, build_world

THREADS = 32
TTL = timedelta(minutes=15)
JOIN_TIMEOUT_S = 90  # generous: a deadlock or a lost wake-up shows as a thread still alive


@pytest.fixture
def wide_db(committing_db: Database) -> Iterator[Database]:
    """The committing database, with a connection for every thread on PostgreSQL.

    (SQLite serialises writers on the file lock however many connections there are.)"""
    if committing_db.backend != "postgresql":
        yield committing_db
        return
    url = committing_db.engine.url.render_as_string(hide_password=False)
    db = Database(make_engine(url, pool_size=THREADS))
    try:
        yield db
    finally:
        db.dispose()


def _world(db: Database, n_variants: int, stock: int) -> World:
    with unit_of_work(db, actor="setup") as s:
        return build_world(s, n_variants=n_variants, stock=stock)


def _owner(name: str) -> inventory.Owner:
    return inventory.Owner(OwnerType.CART, name)


def _run(threads: int, work: Callable[[int], None]) -> list[BaseException]:
    """Start `threads` workers together; wait for all; return what any of them raised."""
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=JOIN_TIMEOUT_S)
    assert not [t for t in pool if t.is_alive()], "threads still waiting: a deadlock?"
    return errors


def _levels(db: Database, world: World) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[int, int]]:
    with unit_of_work(db, read_only=True) as s:
        rows = s.execute(
            select(
                StockLevel.variant_id,
                StockLevel.location_id,
                StockLevel.on_hand,
                StockLevel.reserved,
            ).where(StockLevel.variant_id.in_(world.variants))
        ).all()
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def _active_by_level(db: Database) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    with unit_of_work(db, read_only=True) as s:
        rows = s.execute(
            select(Reservation.variant_id, Reservation.location_id, func.sum(Reservation.quantity))
            .where(Reservation.status == "active")
            .group_by(Reservation.variant_id, Reservation.location_id)
        ).all()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def test_32_threads_cannot_take_more_than_the_100_units_there_are(wide_db: Database) -> None:
    world = _world(wide_db, n_variants=1, stock=100)
    v = world.variants[0]
    taken: list[str] = []  # list.append is atomic; a Counter's += is not

    def work(i: int) -> None:
        for k in range(4):
            try:
                with unit_of_work(wide_db, actor=f"thread-{i}") as s:
                    inventory.reserve(
                        s,
                        lines=[inventory.Line(v, world.warehouse, 1)],
                        owner=_owner(f"t{i}-{k}"),
                        ttl=TTL,
                    )
                taken.append("reserved")
            except InsufficientStock:
                taken.append("refused")

    assert _run(THREADS, work) == []
    assert Counter(taken) == {"reserved": 100, "refused": 28}
    assert _levels(wide_db, world) == {(v, world.warehouse): (100, 100)}
    with unit_of_work(wide_db, read_only=True) as s:
        active = s.scalar(
            select(func.count()).select_from(Reservation).where(Reservation.status == "active")
        )
        assert active == 100
        assert inventory.check_ledger(s) == []


def test_a_buffered_channel_never_sells_beyond_what_it_is_shown_under_contention(
    wide_db: Database,
) -> None:
    """Unit by unit from one location, each sale within the figure as it then stands:
    a 60 % share sells 9 of 10 (it stops at 1 left), "2 less" sells 8 (at 2 left)."""
    world = _world(wide_db, n_variants=2, stock=10)
    with unit_of_work(wide_db, actor="setup") as s:
        wh = [world.warehouse]
        share = add_channel(s, "allegro", "marketplace", wh, buffer_percent=60).id
        less = add_channel(s, "insta", "social", wh, buffer_units=2).id
    taken: list[uuid.UUID] = []

    def work(i: int) -> None:
        v, channel = (world.variants[0], share) if i % 2 else (world.variants[1], less)
        for k in range(3):
            try:
                with unit_of_work(wide_db, actor=f"thread-{i}") as s:
                    inventory.reserve(
                        s,
                        lines=[inventory.Line(v, world.warehouse, 1)],
                        owner=inventory.Owner(OwnerType.ORDER, f"t{i}-{k}", channel),
                        ttl=None,
                    )
                taken.append(v)
            except InsufficientStock:
                pass

    assert _run(THREADS, work) == []
    assert Counter(taken) == {world.variants[0]: 9, world.variants[1]: 8}
    assert _levels(wide_db, world) == {
        (world.variants[0], world.warehouse): (10, 9),
        (world.variants[1], world.warehouse): (10, 8),
    }


def test_baskets_are_all_or_nothing_under_contention(wide_db: Database) -> None:
    world = _world(wide_db, n_variants=3, stock=10)
    asked: dict[str, dict[uuid.UUID, int]] = {}
    released: set[str] = set()
    results: list[str] = []

    def work(i: int) -> None:
        rng = random.Random(i)
        for k in range(6):
            name = f"t{i}-{k}"
            basket = {v: rng.randint(1, 2) for v in rng.sample(world.variants, rng.randint(2, 3))}
            asked[name] = basket
            lines = [inventory.Line(v, world.warehouse, q) for v, q in basket.items()]
            rng.shuffle(lines)
            try:
                with unit_of_work(wide_db) as s:
                    inventory.reserve(s, lines=lines, owner=_owner(name), ttl=TTL)
            except InsufficientStock:
                results.append("refused")
                continue
            results.append("reserved")
            if rng.random() < 0.6:  # most carts are abandoned: the stock comes back
                with unit_of_work(wide_db) as s:
                    inventory.release_owner(s, owner=_owner(name))
                released.add(name)

    assert _run(16, work) == []
    outcome = Counter(results)
    assert outcome["reserved"] > 0
    assert outcome["refused"] > 0

    levels = _levels(wide_db, world)
    active = _active_by_level(wide_db)
    for key, (on_hand, reserved) in levels.items():
        assert reserved == active.get(key, 0), key
        assert 0 <= reserved <= on_hand, key

    with unit_of_work(wide_db, read_only=True) as s:
        rows = s.execute(
            select(
                Reservation.owner_id,
                Reservation.variant_id,
                Reservation.quantity,
                Reservation.status,
            )
        ).all()
        assert inventory.check_ledger(s) == []
    held: dict[str, dict[uuid.UUID, int]] = defaultdict(dict)
    statuses: dict[str, set[str]] = defaultdict(set)
    for owner_id, variant_id, quantity, status in rows:
        held[owner_id][variant_id] = quantity
        statuses[owner_id].add(status)
    assert len(held) == outcome["reserved"]
    for owner_id, lines in held.items():
        assert lines == asked[owner_id], f"{owner_id} holds part of its basket"
        assert statuses[owner_id] == ({"released"} if owner_id in released else {"active"})


def test_lines_given_in_opposite_orders_never_deadlock(wide_db: Database) -> None:
    world = _world(wide_db, n_variants=2, stock=0)
    a, b = world.variants
    with unit_of_work(wide_db) as s:
        inventory.receive(
            s, location_id=world.warehouse, lines=[inventory.Change(a, 50), inventory.Change(b, 50)]
        )
        inventory.receive(s, location_id=world.store, lines=[inventory.Change(a, 50)])
    # Two levels of one variant at two locations, and two variants at one location.
    pairs = [((a, world.warehouse), (b, world.warehouse)), ((a, world.warehouse), (a, world.store))]
    rounds: list[int] = []

    def work(i: int) -> None:
        for k in range(12):
            first, second = pairs[k % 2]
            if i % 2:
                first, second = second, first
            name = f"t{i}-{k}"
            with unit_of_work(wide_db) as s:
                inventory.reserve(
                    s,
                    lines=[inventory.Line(*first, 1), inventory.Line(*second, 1)],
                    owner=_owner(name),
                    ttl=TTL,
                )
            with unit_of_work(wide_db) as s:
                if i % 3:
                    inventory.release_owner(s, owner=_owner(name))
                else:  # the goods leave, and new goods arrive in the opposite order
                    for res in inventory.list_reservations(
                        s, owner_type=OwnerType.CART, owner_id=name
                    ):
                        inventory.commit(s, reservation_id=res.id, owner=None)
                    inventory.receive(
                        s,
                        location_id=world.warehouse,
                        lines=[inventory.Change(b, 1), inventory.Change(a, 1)],
                    )
            rounds.append(i)

    errors = _run(16, work)
    assert errors == [], errors[:3]
    assert len(rounds) == 16 * 12
    assert _active_by_level(wide_db) == {}
    assert all(reserved == 0 for _, reserved in _levels(wide_db, world).values())
    with unit_of_work(wide_db, read_only=True) as s:
        assert inventory.check_ledger(s) == []


def test_lazy_expiry_and_the_sweeper_free_each_overdue_hold_once_without_deadlock(
    wide_db: Database,
) -> None:
    world = _world(wide_db, n_variants=1, stock=60)
    v = world.variants[0]
    t0 = utcnow()
    # 60 one-unit holds that fall due one after another over the next ~1.2 s.
    with unit_of_work(wide_db) as s:
        for k in range(60):
            inventory.reserve(
                s,
                lines=[inventory.Line(v, world.warehouse, 1)],
                owner=_owner(f"old-{k}"),
                ttl=timedelta(seconds=1),
                now=t0 + timedelta(milliseconds=20 * k) - timedelta(milliseconds=800),
            )
    results: list[str] = []

    def work(i: int) -> None:
        deadline = time.monotonic() + 2.0
        n = 0
        while time.monotonic() < deadline:
            n += 1
            if i == 0:  # the sweeper, one level per transaction
                with unit_of_work(wide_db) as s:
                    due = inventory.sweep(s)
                for variant_id, location_id in due:
                    with unit_of_work(wide_db) as s:
                        inventory.expire_level(s, variant_id=variant_id, location_id=location_id)
                continue
            try:
                with unit_of_work(wide_db) as s:
                    inventory.reserve(
                        s,
                        lines=[inventory.Line(v, world.warehouse, 1)],
                        owner=_owner(f"new-{i}-{n}"),
                        ttl=TTL,
                    )
                results.append("reserved")
            except InsufficientStock:
                results.append("refused")

    errors = _run(THREADS, work)
    assert errors == [], errors[:3]
    outcome = Counter(results)
    assert outcome["reserved"] > 0  # units freed by expiry were taken again
    with unit_of_work(wide_db) as s:  # a last sweep for holds that fell due at the very end
        for variant_id, location_id in inventory.sweep(s):
            inventory.expire_level(s, variant_id=variant_id, location_id=location_id)
    with unit_of_work(wide_db, read_only=True) as s:
        statuses = Counter(
            s.execute(select(Reservation.owner_id.like("old-%"), Reservation.status)).all()
        )
        level = s.get(StockLevel, (v, world.warehouse))
        assert level is not None
        assert inventory.check_ledger(s) == []
    # Each old hold was expired exactly once, and only the new holds are left.
    assert statuses == {(True, "expired"): 60, (False, "active"): outcome["reserved"]}
    assert (level.on_hand, level.reserved) == (60, outcome["reserved"])


def test_an_erp_sync_over_several_locations_never_deadlocks_with_orders(
    wide_db: Database,
) -> None:
    world = _world(wide_db, n_variants=2, stock=0)
    a, b = sorted(world.variants)
    wh, st = world.warehouse, world.store
    with unit_of_work(wide_db) as s:
        inventory.sync_levels(s, levels=[(a, wh, 500), (b, wh, 500), (a, st, 500), (b, st, 500)])
    # One order takes (a, store) and (b, warehouse): in (variant, location) order that is
    # a's level at one location before b's at another.
    lines = [inventory.Line(a, st, 1), inventory.Line(b, wh, 1)]

    def work(i: int) -> None:
        for k in range(15):
            with unit_of_work(wide_db) as s:
                if i % 2:
                    inventory.reserve(s, lines=lines, owner=_owner(f"t{i}-{k}"), ttl=TTL)
                else:
                    inventory.sync_levels(
                        s,
                        levels=[(b, wh, 500 - k), (a, wh, 500), (b, st, 500), (a, st, 500 - k)],
                        reference=f"erp-{i}-{k}",
                    )

    errors = _run(16, work)
    assert errors == [], errors[:3]
    with unit_of_work(wide_db, read_only=True) as s:
        assert inventory.check_ledger(s) == []
    assert _active_by_level(wide_db) == {(a, st): 8 * 15, (b, wh): 8 * 15}


def test_a_policy_change_never_deadlocks_with_orders_at_several_locations(
    wide_db: Database,
) -> None:
    world = _world(wide_db, n_variants=1, stock=0)
    [v] = world.variants
    # The store's level is written first, so a table scan finds it before the warehouse's.
    for loc in (world.store, world.warehouse):
        with unit_of_work(wide_db) as s:
            inventory.receive(s, location_id=loc, lines=[inventory.Change(v, 500)])
    lines = [inventory.Line(v, world.store, 1), inventory.Line(v, world.warehouse, 1)]

    def work(i: int) -> None:
        for k in range(15):
            with unit_of_work(wide_db) as s:
                if i % 2:
                    inventory.reserve(s, lines=lines, owner=_owner(f"t{i}-{k}"), ttl=TTL)
                else:
                    inventory.set_policy(
                        s,
                        variant_id=v,
                        backorder=bool(k % 2),
                        backorder_limit=5,
                        preorder_until=None,
                    )

    errors = _run(16, work)
    assert errors == [], errors[:3]
    assert _active_by_level(wide_db) == {(v, world.store): 8 * 15, (v, world.warehouse): 8 * 15}
