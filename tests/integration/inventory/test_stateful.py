"""Stock as a state machine: random sequences of reservations, releases, expiries,
sales, adjustments, counts, transfers, policies and safety stock, each applied both to
the service and to a plain-Python model, with the promises checked after every step.
Some reservations are a buffered channel's: they never take more than it is shown.

Every example builds its small world inside a SAVEPOINT of the test's transaction and
rolls it back at the end, so it runs the same on SQLite and PostgreSQL. Every service
call runs in its own SAVEPOINT, so a refusal undoes only itself (as the entrypoint's
rollback would).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import (
    InsufficientStock,
    ReservationNotActive,
    StockReserved,
    TransferNotInTransit,
)
from omnichannel.inventory.models import Reservation, StockLevel
from omnichannel.inventory.rules import UNLIMITED, MovementKind, OwnerType, allowance_of
from omnichannel.kernel import DomainError, utcnow
from omnichannel.kernel.errors import InvalidInput
from tests.integration.inventory.conftest import add_channel, build_world

T = TypeVar("T")
Key = tuple[uuid.UUID, uuid.UUID]  # (variant, location)
TTL = timedelta(seconds=60)
PREORDER = date(2027, 1, 15)


class Refused(Exception):
    """What the model expects the service to raise."""

    def __init__(self, error: type[DomainError]) -> None:
        super().__init__(error.__name__)
        self.error = error


# --- the model ----------------------------------------------------------------------


@dataclass
class Level:
    on_hand: int = 0
    reserved: int = 0
    allowance: int = 0
    safety_stock: int | None = None
    # A count or sync found fewer goods than are reserved, and nothing has covered the
    # holds since: the only way `reserved > on_hand + allowance` may happen.
    shortage: bool = False


@dataclass
class Hold:
    key: Key
    quantity: int
    owner: str
    expires_at: datetime | None
    status: str = "active"

    def overdue(self, now: datetime) -> bool:
        return self.status == "active" and self.expires_at is not None and self.expires_at <= now


@dataclass
class Transfer:
    source: Key
    target: Key
    quantity: int
    status: str = "in_transit"


@dataclass
class Stock:
    levels: dict[Key, Level] = field(default_factory=dict)
    allowances: dict[uuid.UUID, int] = field(default_factory=dict)  # by variant (policy)
    policies: dict[uuid.UUID, tuple[bool, date | None]] = field(default_factory=dict)
    location_safety: dict[uuid.UUID, int] = field(default_factory=dict)
    holds: dict[uuid.UUID, Hold] = field(default_factory=dict)
    transfers: dict[uuid.UUID, Transfer] = field(default_factory=dict)

    def level(self, key: Key) -> Level:
        """The level, created empty with the variant's allowance if missing (ensure_levels)."""
        if key not in self.levels:
            self.levels[key] = Level(allowance=self.allowances.get(key[0], 0))
        return self.levels[key]

    def covered(self, level: Level) -> bool:
        return level.reserved <= level.on_hand + level.allowance

    def settle(self, key: Key, *, by_count: bool = False) -> None:
        level = self.levels[key]
        level.shortage = not self.covered(level) and (by_count or level.shortage)

    def move(self, key: Key, delta: int, *, reality: bool = False) -> None:
        """Change on_hand: counts always apply; removals must keep every hold covered."""
        level = self.level(key)
        after = level.on_hand + delta
        if after < 0:
            raise Refused(StockReserved)
        if delta < 0 and not reality and after + level.allowance < level.reserved:
            raise Refused(StockReserved)
        level.on_hand = after
        self.settle(key, by_count=reality)

    def expire(self, key: Key, now: datetime) -> int:
        freed = 0
        for hold in self.holds.values():
            if hold.key == key and hold.overdue(now):
                hold.status = "expired"
                freed += hold.quantity
        self.levels[key].reserved -= freed
        self.settle(key)
        return freed

    def reserve(self, lines: list[tuple[Key, int]], now: datetime) -> list[tuple[Key, int]]:
        """Take every line or none, in lock order, expiring overdue holds of a short level."""
        merged: dict[Key, int] = {}
        for key, q in lines:
            merged[key] = merged.get(key, 0) + q
        ordered = sorted(merged.items())
        for key, q in ordered:
            level = self.levels.get(key)
            if level is None:
                raise Refused(InsufficientStock)
            if level.on_hand - level.reserved + level.allowance < q:
                self.expire(key, now)
            if level.on_hand - level.reserved + level.allowance < q:
                raise Refused(InsufficientStock)
            level.reserved += q
            self.settle(key)
        return ordered

    def end(self, hold: Hold, status: str) -> None:
        hold.status = status
        level = self.levels[hold.key]
        level.reserved -= hold.quantity
        if status == "committed":
            if level.on_hand < hold.quantity:
                raise Refused(InsufficientStock)  # a backorder: the goods are not here yet
            level.on_hand -= hold.quantity
        self.settle(hold.key)

    def set_policy(self, variant: uuid.UUID, backorder: bool, limit: int | None) -> None:
        allowance = allowance_of(backorder, limit)
        for (v, _), level in self.levels.items():
            if v != variant:
                continue
            # Raising the headroom is always safe; lowering it must keep holds covered.
            if allowance >= level.allowance or level.reserved <= level.on_hand + allowance:
                level.allowance = allowance
            if level.allowance != allowance:
                raise Refused(StockReserved)
        self.allowances[variant] = allowance
        for key in self.levels:
            if key[0] == variant:
                self.settle(key)

    def availability(
        self, variant: uuid.UUID, sell_from: tuple[uuid.UUID, ...], now: datetime
    ) -> tuple[int, int | None, str]:
        atp = orderable = 0
        unlimited = False
        for loc in sell_from:
            level = self.levels.get((variant, loc))
            if level is None:
                continue
            overdue = sum(
                h.quantity
                for h in self.holds.values()
                if h.key == (variant, loc) and h.overdue(now)
            )
            reserved = level.reserved - overdue
            safety = (
                level.safety_stock
                if level.safety_stock is not None
                else self.location_safety.get(loc, 0)
            )
            atp += max(0, level.on_hand - reserved - safety)
            orderable += max(0, level.on_hand + min(level.allowance, UNLIMITED) - reserved - safety)
            unlimited = unlimited or level.allowance >= UNLIMITED
        policy = self.policies.get(variant)
        if atp > 0:
            status = "in_stock"
        elif policy and policy[0] and (unlimited or orderable > 0):
            status = "preorder" if policy[1] else "backorder"
        else:
            status = "out_of_stock"
        return atp, None if unlimited else orderable, status

    def shown(
        self, variant: uuid.UUID, channel: inventory.ChannelStock, now: datetime
    ) -> tuple[int, int | None]:
        """What a channel with a buffer is shown: available, and orderable (None: no limit)."""
        atp, orderable, _ = self.availability(variant, channel.sell_from, now)
        return buffered(atp, channel), None if orderable is None else buffered(orderable, channel)

    def within_buffer(
        self, lines: list[tuple[Key, int]], channel: inventory.ChannelStock, now: datetime
    ) -> None:
        """A channel takes no more of a variant at its sell-from locations than it is shown."""
        wanted: dict[uuid.UUID, int] = {}
        for (v, loc), q in lines:
            if loc in channel.sell_from:
                wanted[v] = wanted.get(v, 0) + q
        for v, q in wanted.items():
            _, orderable = self.shown(v, channel, now)
            if orderable is not None and q > orderable:
                raise Refused(InsufficientStock)


def buffered(units: int, channel: inventory.ChannelStock) -> int:
    """A channel's buffer, as the model applies it."""
    if channel.buffer_percent is not None:
        units = units * channel.buffer_percent // 100
    return max(0, units - (channel.buffer_units or 0))


# --- the machine --------------------------------------------------------------------

variant_index = st.integers(0, 1)
location_index = st.integers(0, 1)  # the levels the channel sells from
sold_from = st.sampled_from([0, 0, 1, 1, 2])  # mostly where the channel sells from


class StockMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    transfers = Bundle("transfers")

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.example = session.begin_nested()
        self.world = build_world(session, n_variants=2, stock=0)
        # The channel sells from the warehouse and the first store; the second store
        # only hands over pickups, so its stock must not count.
        self.locations = [self.world.warehouse, self.world.store, self.world.other_store]
        self.variants = self.world.variants
        self.now = utcnow()
        self.model = Stock()
        # A marketplace shown 30 % of what the warehouse and the store hold, and a social
        # shop shown the warehouse's stock less 4: tight enough that a line of 3 units
        # is often more than they are shown, and neither may take more than that.
        wh, store = self.world.warehouse, self.world.store
        self.channels = {
            "share": add_channel(session, "share", "marketplace", [wh, store], buffer_percent=30),
            "less": add_channel(session, "less", "social", [wh], buffer_units=4),
        }
        self.opening_stock(self.world.warehouse, 6)
        self.opening_stock(self.world.store, 3)

    def teardown(self) -> None:
        self.example.rollback()

    def opening_stock(self, location: uuid.UUID, units: int) -> None:
        self.apply(
            lambda m: [m.move((v, location), units) for v in self.variants],
            lambda: inventory.receive(
                self.session,
                location_id=location,
                lines=[inventory.Change(v, units) for v in self.variants],
                now=self.now,
            ),
        )

    def key(self, v: int, loc: int) -> Key:
        return (self.variants[v], self.locations[loc])

    def apply(self, model: Callable[[Stock], Any], service: Callable[[], T]) -> T | None:
        """Run the model on a copy and the service in a SAVEPOINT: both must agree on
        whether the step is refused (and why); only an accepted step is kept."""
        trial = copy.deepcopy(self.model)
        try:
            model(trial)
            expected: type[DomainError] | None = None
        except Refused as refused:
            expected = refused.error
        refusal: DomainError | None = None
        try:
            with self.session.begin_nested():
                result = service()
        except DomainError as e:
            refusal = e
        if refusal is not None:
            assert expected is not None, f"the service refused what the model allows: {refusal!r}"
            assert isinstance(refusal, expected), f"expected {expected.__name__}, got {refusal!r}"
            return None
        assert expected is None, f"the service allowed what the model refuses ({expected.__name__})"
        self.model = trial
        return result

    # --- rules ------------------------------------------------------------------

    @rule(
        target=holds,
        lines=st.lists(
            st.tuples(variant_index, sold_from, st.integers(1, 3)), min_size=1, max_size=2
        ),
        ttl=st.sampled_from([None, TTL]),
        owner=st.sampled_from(["a", "b", "c"]),
        channel=st.sampled_from([None, None, "share", "less"]),
    )
    def reserve(
        self,
        lines: list[tuple[int, int, int]],
        ttl: timedelta | None,
        owner: str,
        channel: str | None,
    ) -> Any:
        asked = [(self.key(v, loc), q) for v, loc, q in lines]
        by = self.channels[channel] if channel else None
        shown = self.shown_by_service(by)
        taken: list[tuple[Key, int]] = []

        def model(m: Stock) -> None:
            if by is not None:
                m.within_buffer(asked, by, self.now)
            taken.extend(m.reserve(asked, self.now))

        held = self.apply(
            model,
            lambda: inventory.reserve(
                self.session,
                lines=[inventory.Line(k[0], k[1], q) for k, q in asked],
                owner=inventory.Owner(OwnerType.CART, owner, by.id if by else None),
                ttl=ttl,
                now=self.now,
            ),
        )
        if held is None:
            return multiple()
        assert [((h.variant_id, h.location_id), h.quantity) for h in held] == taken
        for v, limit in shown.items():  # what the service showed, not the model
            assert by is not None
            sold = sum(
                h.quantity for h in held if h.variant_id == v and h.location_id in by.sell_from
            )
            assert sold <= limit, (v, sold, limit)
        for h in held:
            self.model.holds[h.id] = Hold(
                (h.variant_id, h.location_id),
                h.quantity,
                owner,
                self.now + ttl if ttl else None,
            )
        return multiple(*[h.id for h in held])

    @rule(hold=holds, as_owner=st.booleans())
    def release(self, hold: uuid.UUID, as_owner: bool) -> None:
        def model(m: Stock) -> None:
            h = m.holds[hold]
            if h.status == "committed":
                raise Refused(ReservationNotActive)
            if h.status == "active":
                m.end(h, "released")

        owner = inventory.Owner(OwnerType.CART, self.model.holds[hold].owner) if as_owner else None
        self.apply(
            model,
            lambda: inventory.release(self.session, reservation_id=hold, owner=owner, now=self.now),
        )

    @rule(hold=holds)
    def commit(self, hold: uuid.UUID) -> None:
        def model(m: Stock) -> None:
            h = m.holds[hold]
            if h.status != "active" or h.overdue(self.now):
                raise Refused(ReservationNotActive)
            m.end(h, "committed")

        self.apply(
            model,
            lambda: inventory.commit(
                self.session, reservation_id=hold, owner=None, reference="order", now=self.now
            ),
        )

    @rule(seconds=st.sampled_from([20, 45, 90]))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(v=variant_index, loc=location_index)
    def sweep_one_level(self, v: int, loc: int) -> None:
        key = self.key(v, loc)
        if key not in self.model.levels:
            return
        expected: list[int] = []
        freed = self.apply(
            lambda m: expected.append(m.expire(key, self.now)),
            lambda: inventory.expire_level(
                self.session, variant_id=key[0], location_id=key[1], now=self.now
            ),
        )
        assert [freed] == expected

    @rule(
        v=variant_index,
        loc=location_index,
        kind=st.sampled_from(
            [
                MovementKind.ADJUSTMENT,
                MovementKind.DAMAGE,
                MovementKind.RECEIPT,
                MovementKind.RETURN,
            ]
        ),
        quantity=st.integers(-6, 6).filter(bool),
    )
    def adjust(self, v: int, loc: int, kind: MovementKind, quantity: int) -> None:
        key = self.key(v, loc)
        if kind in (MovementKind.RECEIPT, MovementKind.RETURN):
            quantity = abs(quantity)
        delta = -abs(quantity) if kind == MovementKind.DAMAGE else quantity
        self.apply(
            lambda m: m.move(key, delta),
            lambda: inventory.adjust(
                self.session,
                location_id=key[1],
                variant_id=key[0],
                quantity=quantity,
                kind=kind,
                reason="stateful",
                now=self.now,
            ),
        )

    @rule(
        v=variant_index,
        loc=location_index,
        counted=st.integers(0, 8),
        near_reserved=st.booleans(),
        as_sync=st.booleans(),
    )
    def count(self, v: int, loc: int, counted: int, near_reserved: bool, as_sync: bool) -> None:
        key = self.key(v, loc)
        if near_reserved and key in self.model.levels:
            # Aim at the interesting edge: a count finding (about) what is held, or fewer.
            counted = max(0, self.model.levels[key].reserved + counted - 6)

        def model(m: Stock) -> None:
            m.move(key, counted - m.level(key).on_hand, reality=True)

        def service() -> object:
            if as_sync:
                return inventory.sync_levels(self.session, levels=[(*key, counted)], now=self.now)
            return inventory.count(
                self.session,
                location_id=key[1],
                lines=[inventory.Change(key[0], counted)],
                now=self.now,
            )

        self.apply(model, service)

    @rule(
        target=transfers,
        v=variant_index,
        route=st.sampled_from([(0, 1), (1, 0), (0, 2), (2, 1)]),
        quantity=st.integers(1, 4),
    )
    def start_transfer(self, v: int, route: tuple[int, int], quantity: int) -> Any:
        source, target = self.key(v, route[0]), self.key(v, route[1])
        transfer = self.apply(
            lambda m: m.move(source, -quantity),
            lambda: inventory.start_transfer(
                self.session,
                from_location_id=source[1],
                to_location_id=target[1],
                lines=[inventory.Change(source[0], quantity)],
                now=self.now,
            ),
        )
        if transfer is None:
            return multiple()
        self.model.transfers[transfer.id] = Transfer(source, target, quantity)
        return transfer.id

    @rule(transfer=transfers)
    def receive_transfer(self, transfer: uuid.UUID) -> None:
        def model(m: Stock) -> None:
            t = m.transfers[transfer]
            if t.status != "in_transit":
                raise Refused(TransferNotInTransit)
            t.status = "received"
            m.move(t.target, t.quantity)

        self.apply(
            model,
            lambda: inventory.receive_transfer(self.session, transfer_id=transfer, now=self.now),
        )

    @rule(
        v=variant_index,
        backorder=st.booleans(),
        limit=st.sampled_from([None, 0, 2, 5]),
        preorder=st.booleans(),
    )
    def set_policy(self, v: int, backorder: bool, limit: int | None, preorder: bool) -> None:
        variant = self.variants[v]

        def model(m: Stock) -> None:
            if preorder and not backorder:
                raise Refused(InvalidInput)
            m.set_policy(variant, backorder, limit)
            m.policies[variant] = (backorder, PREORDER if preorder else None)

        self.apply(
            model,
            lambda: inventory.set_policy(
                self.session,
                variant_id=variant,
                backorder=backorder,
                backorder_limit=limit,
                preorder_until=PREORDER if preorder else None,
            ),
        )

    @rule(loc=st.integers(0, 2), units=st.integers(0, 3), v=st.none() | variant_index)
    def set_safety_stock(self, loc: int, units: int, v: int | None) -> None:
        location = self.locations[loc]

        def model(m: Stock) -> None:
            if v is None:
                m.location_safety[location] = units
            else:
                m.level((self.variants[v], location)).safety_stock = units

        self.apply(
            model,
            lambda: inventory.set_safety_stock(
                self.session,
                location_id=location,
                units=units,
                variant_id=None if v is None else self.variants[v],
            ),
        )

    def shown_by_service(self, channel: inventory.ChannelStock | None) -> dict[uuid.UUID, int]:
        """What the service shows the channel as orderable, by variant (where limited)."""
        if channel is None:
            return {}
        return {
            a.variant_id: a.orderable
            for a in inventory.availability(
                self.session, channel=channel, variant_ids=self.variants, now=self.now
            )
            if a.orderable is not None
        }

    # --- the promises -----------------------------------------------------------

    @invariant()
    def levels_match_the_model_and_keep_the_promises(self) -> None:
        rows = self.session.execute(
            select(
                StockLevel.variant_id,
                StockLevel.location_id,
                StockLevel.on_hand,
                StockLevel.reserved,
                StockLevel.allowance,
                StockLevel.safety_stock,
            ).where(StockLevel.variant_id.in_(self.variants))
        ).all()
        db = {(r[0], r[1]): (r[2], r[3], r[4], r[5]) for r in rows}
        model = {
            k: (lv.on_hand, lv.reserved, lv.allowance, lv.safety_stock)
            for k, lv in self.model.levels.items()
        }
        assert db == model
        for key, (on_hand, reserved, allowance, _) in db.items():
            assert on_hand >= 0
            assert reserved >= 0
            assert reserved <= on_hand + allowance or self.model.levels[key].shortage, key

    @invariant()
    def reserved_is_the_sum_of_active_holds(self) -> None:
        rows = self.session.execute(
            select(Reservation.variant_id, Reservation.location_id, func.sum(Reservation.quantity))
            .where(Reservation.variant_id.in_(self.variants), Reservation.status == "active")
            .group_by(Reservation.variant_id, Reservation.location_id)
        ).all()
        held = {(r[0], r[1]): int(r[2]) for r in rows}
        assert held == {k: lv.reserved for k, lv in self.model.levels.items() if lv.reserved}
        statuses = dict(
            self.session.execute(
                select(Reservation.id, Reservation.status).where(
                    Reservation.variant_id.in_(self.variants)
                )
            ).all()
        )
        assert statuses == {i: h.status for i, h in self.model.holds.items()}

    @invariant()
    def the_ledger_explains_on_hand(self) -> None:
        assert inventory.check_ledger(self.session) == []

    @invariant()
    def the_channel_never_promises_less_than_nothing(self) -> None:
        channel = self.world.channel
        for a in inventory.availability(
            self.session, channel=channel, variant_ids=self.variants, now=self.now
        ):
            assert a.available >= 0
            assert a.orderable is None or a.orderable >= 0
            expected = self.model.availability(a.variant_id, channel.sell_from, self.now)
            assert (a.available, a.orderable, a.status) == expected

    @invariant()
    def a_buffered_channel_is_shown_its_buffer_of_that(self) -> None:
        for channel in self.channels.values():
            for a in inventory.availability(
                self.session,
                channel=channel,
                variant_ids=self.variants,
                now=self.now,
            ):
                assert (a.available, a.orderable) == self.model.shown(
                    a.variant_id, channel, self.now
                )


def test_stock_behaves_like_its_model(session: Session) -> None:
    run_state_machine_as_test(
        lambda: StockMachine(session),
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
