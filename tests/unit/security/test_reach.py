"""Where a staff member scoped to locations may act: the rules, without a database."""

from __future__ import annotations

import uuid

import pytest

from omnichannel.kernel import Principal
from omnichannel.kernel.auth import OutsideYourLocations
from omnichannel.security import reach

WARSAW, KRAKOW, WAREHOUSE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _staff(*locations: uuid.UUID, role: str = "store_associate") -> Principal:
    return Principal(
        kind="staff",
        id=uuid.uuid4(),
        name="t",
        permissions=frozenset(),
        role=role,
        location_ids=frozenset(locations),
    )


WARSAW_ASSOCIATE = _staff(WARSAW)
ADMIN = Principal(
    kind="staff", id=uuid.uuid4(), name="a", permissions=frozenset({"*"}), role="admin"
)
CUSTOMER = Principal(
    kind="customer", id=uuid.uuid4(), name="c", permissions=frozenset(), location_ids=frozenset()
)


def test_a_scoped_associate_reaches_only_their_own_locations() -> None:
    assert reach.reaches(WARSAW_ASSOCIATE, [WARSAW])
    assert not reach.reaches(WARSAW_ASSOCIATE, [KRAKOW])
    assert not reach.reaches(WARSAW_ASSOCIATE, [WARSAW, KRAKOW])  # every one of them


def test_an_admin_and_unscoped_roles_keep_their_reach() -> None:
    assert reach.reaches(ADMIN, [WARSAW, KRAKOW, WAREHOUSE])
    assert reach.sells_through(ADMIN, [KRAKOW])


def test_only_staff_are_scoped() -> None:
    assert reach.reaches(CUSTOMER, [KRAKOW])  # a customer is bounded by ownership instead
    assert reach.sells_through(CUSTOMER, [KRAKOW])


def test_an_associate_sells_through_a_channel_with_one_of_their_locations() -> None:
    assert reach.sells_through(WARSAW_ASSOCIATE, [WAREHOUSE, WARSAW])
    assert not reach.sells_through(WARSAW_ASSOCIATE, [KRAKOW])


def test_an_associate_sells_through_a_channel_with_no_location() -> None:
    assert reach.sells_through(WARSAW_ASSOCIATE, [])


def test_a_pickup_order_is_handled_at_its_pickup_store_wherever_its_goods_are() -> None:
    places = reach.order_places(pickup_location_id=KRAKOW, line_location_ids=[WARSAW])
    assert places == {KRAKOW}


def test_any_other_order_is_handled_where_every_one_of_its_goods_is() -> None:
    places = reach.order_places(pickup_location_id=None, line_location_ids=[WARSAW, KRAKOW])
    assert places == {WARSAW, KRAKOW}
    assert not reach.reaches(WARSAW_ASSOCIATE, places)


def test_a_warsaw_associate_cannot_hand_over_a_krakow_pickup() -> None:
    with pytest.raises(OutsideYourLocations) as refused:
        reach.check_order(
            WARSAW_ASSOCIATE, number="AB12", pickup_location_id=KRAKOW, line_location_ids=[WARSAW]
        )
    assert refused.value.status == 403
    assert refused.value.code == "outside_your_locations"
    assert "AB12" in refused.value.detail
    assert str(KRAKOW) in refused.value.detail
    reach.check_order(
        _staff(KRAKOW), number="AB12", pickup_location_id=KRAKOW, line_location_ids=[WARSAW]
    )


def test_a_refused_channel_is_named() -> None:
    with pytest.raises(OutsideYourLocations) as refused:
        reach.check_channel(WARSAW_ASSOCIATE, code="pos-krk", channel_location_ids=[KRAKOW])
    assert refused.value.extra == {"channel": "pos-krk"}
    reach.check_channel(WARSAW_ASSOCIATE, code="hotline", channel_location_ids=[])


def test_check_locations_names_only_those_out_of_reach() -> None:
    with pytest.raises(OutsideYourLocations) as refused:
        reach.check_locations(_staff(WARSAW), [WARSAW, KRAKOW], what="holds")
    assert refused.value.extra == {"location_ids": [str(KRAKOW)]}
