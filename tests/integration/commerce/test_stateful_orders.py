"""Stock under checkout, cancel and shipping, as a state machine against a plain model:
random sequences of checkouts (routed across the channel's locations, a line split
when no one location has it all), cancels, shipments and deliveries of goods, with
the inventory's promises checked after every step: levels equal the model,
0 <= reserved <= on_hand, the ledger explains on_hand, and the channel never shows
less than nothing.

The model says whether an order can be served (each line's units are somewhere
among the locations); where they come from is the router's choice, which the model
takes from the order's allocations after checking them: every unit of every line
allocated once, and no location giving more than it had free.

The shop is built once; every example runs in a SAVEPOINT rolled back at its end, and
every step in its own SAVEPOINT, so a refusal undoes only itself.
"""

from __future__ import annotations

import copy
import uuid
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
from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.inventory import service as inventory
from omnichannel.inventory.errors import InsufficientStock
from omnichannel.inventory.models import StockLevel
from omnichannel.kernel import DomainError
from omnichannel.locations.models import Location
from omnichannel.orders import service as orders
from omnichannel.orders.errors import OrderStateConflict
from omnichannel.orders.rules import Fulfilment, OrderStatus
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
    lines: list[tuple[Key, int]]
    status: str = "open"  # open | cancelled | shipped


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

    @rule(
        target=placed,
        lines=st.lists(
            st.tuples(st.integers(0, 1), st.integers(1, 9)),
            min_size=1,
            max_size=2,
            unique_by=lambda t: t[0],
        ),
    )
    def checkout(self, lines: list[tuple[int, int]]) -> uuid.UUID | None:
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
            order = ordering.checkout(
                self.session,
                cart=cart,
                seller=self.web,
                actor="t",
                request=orders.CheckoutRequest(
                    currency="PLN",
                    fulfilment=Fulfilment.DELIVERY,
                    payment_method=PaymentMethod.CARD,
                    payment_token="sandbox_ok",
                    shipping_address=ADDRESS,
                ),
            )
            return order.id

        order_id = self.apply(model, service)
        if order_id is not None:
            self.model.orders[order_id] = Placed(self._allocated(order_id, lines))
        return order_id

    def _allocated(
        self, order_id: uuid.UUID, lines: list[tuple[int, int]]
    ) -> list[tuple[Key, int]]:
        """The order's allocations, checked against the model and taken into it."""
        taken = [
            ((a.variant_id, a.location_id), a.quantity) for a in self._order(order_id).allocations
        ]
        for v, qty in lines:
            assert sum(q for (variant, _), q in taken if variant == self.variants[v]) == qty
        for key, qty in taken:
            assert self.model.free(key) >= qty, f"{key} gave {qty} of {self.model.free(key)}"
            self.model.levels[key][1] += qty
        return taken

    def _order(self, order_id: uuid.UUID) -> orders.Order:
        return orders.load(self.session, order_id=order_id, access=orders.Access(staff=True))

    @rule(order_id=placed)
    def cancel(self, order_id: uuid.UUID | None) -> None:
        if order_id is None:
            return

        def model(m: Model) -> None:
            placed = m.orders[order_id]
            if placed.status != "open":
                raise Refused(OrderStateConflict)
            for key, qty in placed.lines:
                m.levels[key][1] -= qty
            placed.status = "cancelled"

        self.apply(
            model, lambda: ordering.cancel(self.session, order=self._order(order_id), actor="t")
        )

    @rule(order_id=placed)
    def ship(self, order_id: uuid.UUID | None) -> None:
        if order_id is None:
            return

        def model(m: Model) -> None:
            placed = m.orders[order_id]
            if placed.status != "open":
                raise Refused(OrderStateConflict)
            for key, qty in placed.lines:
                m.levels[key][0] -= qty
                m.levels[key][1] -= qty
            placed.status = "shipped"

        def service() -> None:
            order = self._order(order_id)
            if order.status != OrderStatus.CONFIRMED:
                raise OrderStateConflict("not confirmed")
            for to in (OrderStatus.ALLOCATED, OrderStatus.IN_FULFILMENT, OrderStatus.SHIPPED):
                ordering.move(self.session, order=order, to=to, actor="t")

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


def test_stock_keeps_its_promises_with_checkout_and_cancel_in_the_mix(session: Session) -> None:
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
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
