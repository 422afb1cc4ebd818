"""Held goods on a transfer, as a state machine: orders hold units at the warehouse and
send them to a store with their holds; other buyers take whatever they can at both
ends at any moment; goods arrive at either end; a transfer is received for its order
(held again at once) or for an order cancelled on the way (free stock).

After every step the levels equal a plain-Python model in which units on a transfer
are on no shelf, and the promises hold: nothing is reserved beyond what is on hand,
every unit is on a shelf, on its way, or sold, and an order's units that arrive are
always there for it to hold again: nobody sold them on the way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.models import StockLevel
from omnichannel.inventory.rules import OwnerType
from omnichannel.kernel import utcnow
from tests.integration.inventory.conftest import build_world


@dataclass
class Level:
    on_hand: int = 0
    reserved: int = 0

    @property
    def free(self) -> int:
        return self.on_hand - self.reserved


@dataclass
class Model:
    levels: dict[uuid.UUID, Level] = field(default_factory=dict)
    in_transit: int = 0
    arrived: int = 0  # every unit received from outside
    sold: int = 0


@dataclass(frozen=True)
class Held:
    owner: str
    reservation_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class Sent:
    owner: str
    transfer_id: uuid.UUID
    quantity: int


ends = st.sampled_from(["warehouse", "store"])


class HeldTransfers(RuleBasedStateMachine):
    holds = Bundle("holds")
    sent = Bundle("sent")

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.example = session.begin_nested()
        world = build_world(session, n_variants=1)
        self.variant = world.variants[0]
        self.at = {"warehouse": world.warehouse, "store": world.store}
        self.model = Model({world.warehouse: Level(), world.store: Level()})
        self.orders = 0
        self.now = utcnow()
        self.goods_arrive("warehouse", 5)

    def teardown(self) -> None:
        self.example.rollback()

    def level(self, end: str) -> Level:
        return self.model.levels[self.at[end]]

    @rule(end=ends, units=st.integers(1, 4))
    def goods_arrive(self, end: str, units: int) -> None:
        inventory.receive(
            self.session,
            location_id=self.at[end],
            lines=[inventory.Change(self.variant, units)],
            now=self.now,
        )
        self.level(end).on_hand += units
        self.model.arrived += units

    @rule(target=holds, units=st.integers(1, 3))
    def an_order_holds_at_the_warehouse(self, units: int) -> object:
        self.orders += 1
        owner = f"order-{self.orders}"
        taken = self._reserve("warehouse", units, owner)
        return multiple() if taken is None else Held(owner, taken, units)

    @rule(target=sent, held=consumes(holds))
    def its_holds_go_on_a_transfer(self, held: Held) -> Sent:
        transfer = inventory.transfer_held(
            self.session,
            reservation_ids=[held.reservation_id],
            to_location_id=self.at["store"],
            reference=held.owner,
            now=self.now,
        )
        warehouse = self.level("warehouse")
        warehouse.on_hand -= held.quantity
        warehouse.reserved -= held.quantity
        self.model.in_transit += held.quantity
        return Sent(held.owner, transfer.id, held.quantity)

    @rule(end=ends, units=st.integers(1, 6))
    def someone_else_buys(self, end: str, units: int) -> None:
        hold = self._reserve(end, units, f"buyer-{uuid.uuid4().hex[:6]}")
        if hold is None:
            return
        inventory.commit(self.session, reservation_id=hold, owner=None, now=self.now)
        level = self.level(end)
        level.on_hand -= units
        level.reserved -= units
        self.model.sold += units

    @rule(on_the_way=consumes(sent), cancelled=st.booleans())
    def the_store_receives(self, on_the_way: Sent, cancelled: bool) -> None:
        inventory.receive_transfer(self.session, transfer_id=on_the_way.transfer_id, now=self.now)
        store = self.level("store")
        store.on_hand += on_the_way.quantity
        self.model.in_transit -= on_the_way.quantity
        if cancelled:
            return  # the order was cancelled on the way: free stock at the store
        # Held again in the receipt's transaction: it can never be short.
        inventory.reserve(
            self.session,
            lines=[inventory.Line(self.variant, self.at["store"], on_the_way.quantity)],
            owner=inventory.Owner(OwnerType.ORDER, on_the_way.owner),
            ttl=None,
            now=self.now,
        )
        store.reserved += on_the_way.quantity

    def _reserve(self, end: str, units: int, owner: str) -> uuid.UUID | None:
        """Take `units` at `end` if the model says they are free; refused otherwise."""
        free = self.level(end).free
        try:
            with self.session.begin_nested():
                [held] = inventory.reserve(
                    self.session,
                    lines=[inventory.Line(self.variant, self.at[end], units)],
                    owner=inventory.Owner(OwnerType.HOLD, owner),
                    ttl=None,
                    now=self.now,
                )
        except InsufficientStock:
            assert free < units, f"refused {units} at the {end} with {free} free"
            return None
        assert free >= units, f"took {units} at the {end} with only {free} free"
        self.level(end).reserved += units
        return held.id

    @invariant()
    def the_levels_are_the_models_and_every_unit_is_accounted_for(self) -> None:
        rows = self.session.execute(
            select(StockLevel.location_id, StockLevel.on_hand, StockLevel.reserved).where(
                StockLevel.variant_id == self.variant
            )
        ).all()
        found = {loc: Level(on_hand, reserved) for loc, on_hand, reserved in rows}
        for location, level in self.model.levels.items():
            assert found.get(location, Level()) == level
            assert level.reserved <= level.on_hand
        on_shelves = sum(level.on_hand for level in self.model.levels.values())
        assert on_shelves + self.model.in_transit + self.model.sold == self.model.arrived


def test_units_on_a_transfer_are_never_sold_and_always_there_for_their_order(
    session: Session,
) -> None:
    run_state_machine_as_test(
        lambda: HeldTransfers(session),
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
