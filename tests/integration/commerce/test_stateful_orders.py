"""Stock under the whole order life, as a state machine against a plain model: random
sequences of checkouts (delivered or collected in Kraków, routed across the
channel's locations, a line split when no one location has it all), fulfilment
orders, pickups' units carried to Kraków by transfers that keep them the order's,
lines a location cannot find (counted and re-routed), parcels shipped, cancels and
receipts, with the inventory's promises checked after every step: levels equal
the model, 0 <= reserved <= on_hand, the ledger explains on_hand, and the channel
never shows less than nothing.

The model says whether an order can be served (each line's units are somewhere
among the locations that may serve it); where they come from is the router's
choice, which the model takes from the order's allocations after checking them:
every unit of every line allocated once, and no location giving more than it had
free. Units on a transfer are in no level: they cannot be sold on the way.

The shop is built once; every example runs in a SAVEPOINT rolled back at its end, and
every step in its own SAVEPOINT, so a refusal undoes only itself.
"""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from omnichannel.carts import service as carts
from omnichannel.db.session import within
from omnichannel.fulfillment import service as fulfilment
from omnichannel.fulfillment.models import FulfilmentOrder
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.models import StockLevel
from omnichannel.kernel import DomainError
from omnichannel.locations.models import Location
from omnichannel.orders import service as orders
from omnichannel.orders.errors import OrderStateConflict
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments.service import PaymentMethod
from tests import ordering
from tests.integration.commerce.conftest import Store, build_store

Key = tuple[uuid.UUID, uuid.UUID]
SKUS = ["TS-S", "KS-1"]
ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk"}


class Refused(Exception):
    def __init__(self, error: type[DomainError]) -> None:
        super().__init__(error.__name__)
        self.error = error


@dataclass
class Placed:
    pickup: bool
    held: Counter[Key] = field(default_factory=Counter)  # units reserved for it, where
    transit: Counter[uuid.UUID] = field(default_factory=Counter)  # variant -> units on the way
    status: str = "open"  # open | allocated | cancelled | shipped


@dataclass
class Model:
    levels: dict[Key, list[int]]  # [on_hand, reserved]
    orders: dict[uuid.UUID, Placed] = field(default_factory=dict)

    def free(self, key: Key) -> int:
        on_hand, reserved = self.levels[key]
        return on_hand - reserved


class Checkouts(RuleBasedStateMachine):
    placed = Bundle("orders")

    def __init__(self, session: Session, store: Store) -> None:
        super().__init__()
        self.session, self.store = session, store
        self.example = session.begin_nested()
        self.web = store.seller("web")
        self.variants = [store.v(s) for s in SKUS]
        self.locations = list(self.web.sell_from)  # warehouse, then Kraków
        keys = [(v, loc) for v in self.variants for loc in self.locations]
        self.model = Model({k: list(self._level(k)) for k in keys})

    def teardown(self) -> None:
        self.example.rollback()

    def _level(self, key: Key) -> tuple[int, int]:
        row = self.session.execute(
            select(StockLevel.on_hand, StockLevel.reserved).where(
                StockLevel.variant_id == key[0], StockLevel.location_id == key[1]
            )
        ).one()
        return row.on_hand, row.reserved

    def apply(self, model: Callable[[Model], Any], service: Callable[[], Any]) -> Any:
        trial = copy.deepcopy(self.model)
        try:
            result_of_model = model(trial)
            expected: type[DomainError] | None = None
        except Refused as refused:
            expected, result_of_model = refused.error, None
        refusal: DomainError | None = None
        result = None
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
        return result if result is not None else result_of_model

    def _order(self, order_id: uuid.UUID) -> orders.Order:
        return orders.load(
            self.session, order_id=order_id, access=orders.Access(staff=True), fresh=True
        )

    def _held_now(self, order_id: uuid.UUID) -> tuple[Counter[Key], Counter[uuid.UUID]]:
        """The order's live allocations as the service has them."""
        held: Counter[Key] = Counter()
        transit: Counter[uuid.UUID] = Counter()
        for a in self._order(order_id).allocations:
            if a.status == "held":
                held[(a.variant_id, a.location_id)] += a.quantity
            elif a.status == "in_transit":
                transit[a.variant_id] += a.quantity
        return held, transit

    def _learn(self, order_id: uuid.UUID, placed: Placed) -> None:
        """Take the router's choices into the model: what the order holds beyond what
        the model knew must have been free; what it no longer holds was given back."""
        held, transit = self._held_now(order_id)
        assert transit == placed.transit
        for key in set(held) | set(placed.held):
            change = held[key] - placed.held[key]
            if change > 0:
                assert self.model.free(key) >= change, (
                    f"{key} took {change} of {self.model.free(key)}"
                )
            self.model.levels[key][1] += change
        placed.held = held

    def _fulfilments(self, order_id: uuid.UUID) -> list[FulfilmentOrder]:
        return list(
            self.session.scalars(
                select(FulfilmentOrder)
                .where(FulfilmentOrder.order_id == order_id)
                .options(selectinload(FulfilmentOrder.lines))
                .order_by(FulfilmentOrder.number)
                .execution_options(populate_existing=True)
            )
        )

    def _pick(self, pick: int, eligible: Callable[[Placed], bool]) -> uuid.UUID | None:
        """One of the orders in a state a rule needs (the rule's draw chooses which)."""
        found = [i for i, p in self.model.orders.items() if eligible(p)]
        return found[pick % len(found)] if found else None

    # --- the rules ---------------------------------------------------------------------

    @rule(
        target=placed,
        lines=st.lists(
            st.tuples(st.integers(0, 1), st.integers(1, 9)),
            min_size=1,
            max_size=2,
            unique_by=lambda t: t[0],
        ),
        pickup=st.booleans(),
    )
    def checkout(self, lines: list[tuple[int, int]], pickup: bool) -> uuid.UUID | None:
        def model(m: Model) -> None:
            for v, qty in lines:
                if sum(m.free((self.variants[v], loc)) for loc in self.locations) < qty:
                    raise Refused(InsufficientStock)

        def service() -> uuid.UUID:
            cart = carts.create_cart(self.session, seller=self.web, actor="t")
            for v, qty in lines:
                carts.set_line(
                    self.session,
                    cart=cart,
                    variant_id=self.variants[v],
                    quantity=qty,
                    seller=self.web,
                    actor="t",
                    add=True,
                )
            kind: dict[str, Any] = (
                {"fulfilment": Fulfilment.PICKUP, "pickup_location_id": self.store.krakow}
                if pickup
                else {"fulfilment": Fulfilment.DELIVERY, "shipping_address": ADDRESS}
            )
            order = ordering.checkout(
                self.session,
                cart=cart,
                seller=self.web,
                actor="t",
                request=orders.CheckoutRequest(
                    currency="PLN",
                    payment_method=PaymentMethod.CARD,
                    payment_token="sandbox_ok",
                    contact=orders.Contact(email="anna.nowak@example.pl"),
                    **kind,
                ),
            )
            return order.id

        order_id = self.apply(model, service)
        if order_id is not None:
            placed = self.model.orders[order_id] = Placed(pickup)
            self._learn(order_id, placed)
            wanted: Counter[uuid.UUID] = Counter()
            for v, qty in lines:
                wanted[self.variants[v]] += qty
            got: Counter[uuid.UUID] = Counter()
            for (variant, _), qty in placed.held.items():
                got[variant] += qty
            assert got == wanted, "every unit of every line allocated once"
        return order_id

    @rule(pick=st.integers(0, 50))
    def allocate(self, pick: int) -> None:
        order_id = self._pick(pick, lambda p: p.status == "open")
        if order_id is None:
            return
        with self.session.begin_nested():
            fulfilment.allocate(self.session, order_id=order_id, actor="t")
        self.model.orders[order_id].status = "allocated"

    @rule(pick=st.integers(0, 50))
    def send_to_the_pickup_store(self, pick: int) -> None:
        """A pickup's units held away from Kraków leave on a transfer that keeps them."""
        krakow = self.store.krakow
        order_id = self._pick(
            pick,
            lambda p: (
                p.pickup
                and p.status == "allocated"
                and any(loc != krakow and q for (_, loc), q in p.held.items())
            ),
        )
        if order_id is None:
            return
        away = [
            fo
            for fo in self._fulfilments(order_id)
            if fo.kind == "pickup"
            and fo.status == "allocated"
            and fo.location_id != self.store.krakow
        ]
        if not away:
            return
        fo = away[0]

        def model(m: Model) -> None:
            placed = m.orders[order_id]
            for key, qty in list(placed.held.items()):
                if key[1] == fo.location_id and qty:
                    m.levels[key][0] -= qty
                    m.levels[key][1] -= qty
                    placed.transit[key[0]] += qty
                    del placed.held[key]

        self.apply(
            model,
            lambda: fulfilment.send(self.session, fulfilment_id=fo.id, by=None),
        )

    @rule(pick=st.integers(0, 50))
    def receive_at_the_pickup_store(self, pick: int) -> None:
        """The transfer arrives: held for the order again, or free stock if cancelled."""
        order_id = self._pick(pick, lambda p: bool(p.transit))
        if order_id is None:
            return
        moving = [fo for fo in self._fulfilments(order_id) if fo.status == "in_transit"]
        if not moving:
            return

        def model(m: Model) -> None:
            placed = m.orders[order_id]
            for variant, qty in placed.transit.items():
                key = (variant, self.store.krakow)
                m.levels[key][0] += qty
                if placed.status != "cancelled":
                    m.levels[key][1] += qty
                    placed.held[key] += qty
            placed.transit = Counter()

        self.apply(
            model,
            lambda: fulfilment.receive(self.session, fulfilment_id=moving[0].id, by=None),
        )

    @rule(pick=st.integers(0, 50))
    def a_line_is_not_on_the_shelf(self, pick: int) -> None:
        """A waiting fulfilment order cannot find a line it holds: counted, re-routed."""
        order_id = self._pick(
            pick, lambda p: p.status == "allocated" and not p.transit and bool(+p.held)
        )
        if order_id is None:
            return
        placed = self.model.orders[order_id]
        held_at = {a.id: a for a in self._order(order_id).allocations if a.status == "held"}
        target = next(
            (
                (fo, held_at[ln.allocation_id])
                for fo in self._fulfilments(order_id)
                if fo.status == "allocated"
                for ln in fo.lines
                if ln.allocation_id in held_at
            ),
            None,
        )
        if target is None:
            return
        fo, allocation = target
        key = (allocation.variant_id, allocation.location_id)
        missing = allocation.quantity
        before = copy.deepcopy(self.model)
        # The hold is given back and the count corrected, before the units route again.
        self.model.levels[key][1] -= missing
        self.model.levels[key][0] -= missing
        placed.held[key] -= missing
        try:
            with self.session.begin_nested():
                fulfilment.reject(
                    within(self.session),
                    fulfilment_order_id=fo.id,
                    line_no=allocation.line_no,
                    missing=missing,
                )
        except DomainError as e:
            self.model = before
            raise AssertionError(f"a line not on the shelf was refused: {e!r}") from e
        if self._order(order_id).status == "cancelled":
            placed.status = "cancelled"
        self._learn(order_id, placed)

    @rule(order_id=placed)
    def cancel(self, order_id: uuid.UUID | None) -> None:
        if order_id is None:
            return

        def model(m: Model) -> None:
            placed = m.orders[order_id]
            if placed.status not in ("open", "allocated"):
                raise Refused(OrderStateConflict)
            for key, qty in placed.held.items():
                m.levels[key][1] -= qty
            placed.held = Counter()
            placed.status = "cancelled"

        self.apply(
            model,
            lambda: ordering.cancel(self.session, order=self._order(order_id), actor="t"),
        )

    @rule(pick=st.integers(0, 50))
    def ship(self, pick: int) -> None:
        """A delivery's parcels are booked and handed to the carrier: the goods leave."""
        order_id = self._pick(pick, lambda p: not p.pickup and p.status == "allocated")
        if order_id is None:
            return

        def model(m: Model) -> None:
            p = m.orders[order_id]
            for key, qty in p.held.items():
                m.levels[key][0] -= qty
                m.levels[key][1] -= qty
            p.held = Counter()
            p.status = "shipped"

        def service() -> None:
            units = within(self.session)
            for fo in self._fulfilments(order_id):
                if fo.status == "allocated":
                    parcel = fulfilment.book(units, fulfilment_order_id=fo.id).shipment
                    fulfilment.hand_over(units, shipment_id=parcel.id)

        self.apply(model, service)

    @rule(v=st.integers(0, 1), loc=st.integers(0, 1), units=st.integers(1, 5))
    def receive(self, v: int, loc: int, units: int) -> None:
        key = (self.variants[v], self.locations[loc])

        def model(m: Model) -> None:
            m.levels[key][0] += units

        self.apply(
            model,
            lambda: inventory.receive(
                self.session, location_id=key[1], lines=[inventory.Change(key[0], units)]
            ),
        )

    # --- the promises -------------------------------------------------------------------

    @invariant()
    def levels_match_the_model_and_keep_the_promises(self) -> None:
        for key, (on_hand, reserved) in self.model.levels.items():
            assert self._level(key) == (on_hand, reserved), key
            assert 0 <= reserved <= on_hand

    @invariant()
    def the_ledger_explains_on_hand(self) -> None:
        assert inventory.check_ledger(self.session) == []

    @invariant()
    def the_channel_never_promises_less_than_nothing(self) -> None:
        channel = inventory.channel_for(self.session, channel_id=self.web.id)
        for a in inventory.availability(self.session, channel=channel, variant_ids=self.variants):
            assert a.available >= 0
            assert a.available == sum(
                self.model.free((a.variant_id, loc)) for loc in self.locations
            )


def test_stock_keeps_its_promises_through_the_whole_order_life(session: Session) -> None:
    store = build_store(session)
    # Kraków ships web orders too, so the router has two places to split a line across.
    session.execute(
        update(Location)
        .where(Location.id == store.krakow)
        .values(capabilities=["pickup", "ship_from_store", "accepts_returns"])
    )
    run_state_machine_as_test(
        lambda: Checkouts(session, store),
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
