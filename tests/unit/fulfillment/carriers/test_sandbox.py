"""The sandbox carrier books parcels deterministically from the idempotency key,
answers a repeat as it did the first time, remembers its parcels across calls,
moves them along when told to, and refuses what no carrier would take."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from omnichannel.fulfillment.carriers import sandbox
from omnichannel.fulfillment.carriers.base import (
    SANDBOX,
    Address,
    ShipmentRequest,
    carrier_for,
    register,
)
from omnichannel.fulfillment.carriers.errors import (
    CarrierError,
    InvalidPointId,
    ShipmentNotFound,
    TooBigForLocker,
    UnknownCarrier,
)
from omnichannel.fulfillment.carriers.rules import (
    CarrierService,
    LabelFormat,
    TrackingStatus,
    can_follow,
    normalise_point_id,
)
from omnichannel.fulfillment.carriers.sizing import LockerSize, ParcelItem
from omnichannel.kernel.errors import InvalidInput

S = TrackingStatus
ANNA = Address("Anna Nowak", "ul. Długa 5/2", "31-147", "Kraków", phone="+48600100200")
SHIRT = ParcelItem("TS-01-M", 2, 180, 300, 250, 20)
T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def carrier() -> sandbox.SandboxCarrier:
    return sandbox.SandboxCarrier(clock=Clock())


def courier(key: str = "shp-1", **kw: object) -> ShipmentRequest:
    return ShipmentRequest(
        key=key,
        service=CarrierService.COURIER,
        items=(SHIRT,),
        recipient=ANNA,
        **kw,  # type: ignore[arg-type]
    )


def locker(point: str = "KRA01M", items: tuple[ParcelItem, ...] = (SHIRT,)) -> ShipmentRequest:
    return ShipmentRequest(
        key="shp-2", service=CarrierService.LOCKER, items=items, recipient=ANNA, point_id=point
    )


def test_a_courier_parcel_gets_ids_that_follow_from_its_key_and_a_pdf_label() -> None:
    created = carrier().create_shipment(courier(reference="WEB-1042"))
    assert created.carrier_shipment_id == sandbox.shipment_id_for("shp-1")
    assert created.tracking_number == sandbox.tracking_number_for("shp-1")
    assert len(created.tracking_number) == 24
    assert created.tracking_number.isdigit()
    assert created.label.content_type == "application/pdf"
    assert created.label.content.startswith(b"%PDF-1.4")
    assert b"WEB-1042" in created.label.content
    assert b"Dluga" in created.label.content  # Polish letters folded for the base font
    assert created.locker_size is None


def test_two_carriers_give_the_same_key_the_same_tracking_number() -> None:
    assert (
        carrier().create_shipment(courier()).tracking_number
        == carrier().create_shipment(courier()).tracking_number
    )


def test_asking_again_with_the_same_key_books_nothing_new() -> None:
    c = carrier()
    first = c.create_shipment(courier())
    again = c.create_shipment(courier())
    assert again is first
    assert len(c.tracking(first.carrier_shipment_id, key="t")) == 1


def test_a_locker_parcel_carries_its_point_and_compartment() -> None:
    created = carrier().create_shipment(locker(" waw123a "))
    assert created.locker_size is LockerSize.A
    assert b"WAW123A" in created.label.content
    assert b"Size A" in created.label.content


def test_a_locker_point_id_must_look_like_one() -> None:
    for bad in ("", "KR01", "KRAKOW", "KRA-01M", "12345"):
        with pytest.raises(InvalidPointId) as e:
            locker(bad)
        assert e.value.code == "invalid_point_id"
        assert e.value.errors[0]["field"] == "point_id"


def test_a_parcel_too_big_for_a_locker_is_refused_before_any_carrier_sees_it() -> None:
    bike = ParcelItem("BIKE", 1, 12_000, 1700, 250, 900)
    with pytest.raises(TooBigForLocker):
        locker(items=(bike,))


def test_a_courier_parcel_needs_an_address_and_no_locker() -> None:
    with pytest.raises(InvalidInput):
        courier(point_id="KRA01M")
    with pytest.raises(InvalidInput):
        ShipmentRequest(
            key="k",
            service=CarrierService.COURIER,
            items=(SHIRT,),
            recipient=Address("Anna", "", "", ""),
        )


def test_cash_on_delivery_is_printed_on_the_label() -> None:
    created = carrier().create_shipment(courier(cash_on_delivery=12_999))
    assert b"COD 129,99 PLN" in created.label.content


def test_a_label_can_be_fetched_again_in_zpl_for_a_thermal_printer() -> None:
    c = carrier()
    shipment = c.create_shipment(courier()).carrier_shipment_id
    label = c.get_label(shipment, key="l1", format=LabelFormat.ZPL)
    assert label.content_type == "application/zpl"
    assert label.content.startswith(b"^XA")
    assert label.content.rstrip().endswith(b"^XZ")
    assert sandbox.tracking_number_for("shp-1").encode() in label.content
    assert c.get_label(shipment, key="l2").content.startswith(b"%PDF")


def test_tracking_follows_what_is_pushed_and_ignores_what_cannot_follow() -> None:
    c = carrier()
    created = c.create_shipment(courier())
    assert c.push(created.tracking_number, S.IN_TRANSIT, description="Sorted in Kraków")
    assert c.push(created.carrier_shipment_id, S.DELIVERED)
    assert not c.push(created.carrier_shipment_id, S.RETURNED)  # delivered is final
    events = c.tracking(created.carrier_shipment_id, key="t")
    assert [e.status for e in events] == [S.CREATED, S.IN_TRANSIT, S.DELIVERED]
    assert events[0].at < events[1].at < events[2].at
    assert events[1].description == "Sorted in Kraków"


def test_a_parcel_can_come_back_to_the_sender() -> None:
    c = carrier()
    shipment = c.create_shipment(locker()).carrier_shipment_id
    for status in (S.IN_TRANSIT, S.READY_FOR_PICKUP, S.RETURNED):
        assert c.push(shipment, status)
    assert c.tracking(shipment, key="t")[-1].status is S.RETURNED


def test_a_parcel_is_cancelled_only_before_the_carrier_has_it() -> None:
    c = carrier()
    first = c.create_shipment(courier("a")).carrier_shipment_id
    assert c.cancel(first, key="c1").ok
    assert c.cancel(first, key="c2").ok  # cancelling twice is harmless
    assert c.tracking(first, key="t")[-1].status is S.CANCELLED
    second = c.create_shipment(courier("b")).carrier_shipment_id
    c.push(second, S.IN_TRANSIT)
    refused = c.cancel(second, key="c3")
    assert not refused.ok
    assert "in_transit" in (refused.message or "")


def test_a_repeated_cancel_answers_as_the_first_did() -> None:
    c = carrier()
    shipment = c.create_shipment(courier()).carrier_shipment_id
    first = c.cancel(shipment, key="c1")
    assert c.cancel(shipment, key="c1") is first


def test_a_shipment_the_carrier_never_made_is_not_found() -> None:
    c = carrier()
    with pytest.raises(ShipmentNotFound):
        c.tracking("sbx_shp_nope", key="t")
    with pytest.raises(ShipmentNotFound):
        c.push("000", S.DELIVERED)


def test_the_sandbox_can_be_down() -> None:
    with pytest.raises(CarrierError):
        carrier().create_shipment(courier(reference=sandbox.ERROR))


def test_the_sandbox_can_be_as_slow_as_a_real_carrier() -> None:
    slow = sandbox.SandboxCarrier(delay_ms=30)
    started = time.perf_counter()
    slow.create_shipment(courier())
    assert time.perf_counter() - started >= 0.03


def test_the_registry_keeps_one_sandbox_per_process_and_knows_no_other_by_default() -> None:
    first = carrier_for(SANDBOX)
    created = first.create_shipment(courier("registry-1"))
    assert carrier_for(SANDBOX) is first
    assert carrier_for(SANDBOX).tracking(created.carrier_shipment_id, key="t")
    with pytest.raises(UnknownCarrier):
        carrier_for("pigeon")


def test_a_registered_carrier_replaces_its_namesake() -> None:
    mine = carrier()
    register(mine)
    try:
        assert carrier_for(SANDBOX) is mine
    finally:
        register(sandbox.SandboxCarrier())


def test_point_ids_are_normalised_and_tracking_moves_only_forward() -> None:
    assert normalise_point_id(" gda05 ") == "GDA05"
    assert normalise_point_id("KRA01MM") == "KRA01MM"
    assert normalise_point_id("KRA1") is None
    assert can_follow(S.CREATED, S.IN_TRANSIT)
    assert not can_follow(S.IN_TRANSIT, S.CREATED)
    assert not can_follow(S.IN_TRANSIT, S.IN_TRANSIT)
    assert not can_follow(S.CANCELLED, S.IN_TRANSIT)
