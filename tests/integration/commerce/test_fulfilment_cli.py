"""`omni fulfilment ...` with real commits: an order's parcel taken from the work list
to the carrier by command, a line not on the shelf sent elsewhere, orders the
consumer missed allocated, and the settings shown, changed and refused."""

from __future__ import annotations

from datetime import time

import pytest
from typer.testing import CliRunner

from omnichannel.channels import service as channels
from omnichannel.cli.main import app
from omnichannel.db import Database, unit_of_work
from omnichannel.fulfillment import settings
from omnichannel.fulfillment.models import Shipment
from omnichannel.locations import service as locations
from omnichannel.orders import service as orders
from omnichannel.orders.rules import Fulfilment
from omnichannel.payments.service import PaymentMethod
from tests import ordering
from tests.integration.commerce.conftest import Store, build_store

ADDRESS = {"street": "ul. Długa 45", "postcode": "80-827", "city": "Gdańsk", "country": "PL"}


@pytest.fixture
def cli_db(committing_db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr("omnichannel.cli.common.get_database", lambda: committing_db)
    return committing_db


@pytest.fixture
def store(cli_db: Database) -> Store:
    with unit_of_work(cli_db, actor="test") as s:
        return build_store(s)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fulfilment", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def _confirmed_delivery(db: Database, store: Store, **lines: int) -> orders.Order:
    """A web order to an address, confirmed, that nobody has allocated yet."""
    with unit_of_work(db, actor="test") as s:
        return ordering.checkout(
            s,
            cart=store.cart(s, **(lines or {"TS_S": 1})),
            seller=store.seller("web"),
            actor="channel:web",
            request=orders.CheckoutRequest(
                currency="PLN",
                fulfilment=Fulfilment.DELIVERY,
                payment_method=PaymentMethod.CARD,
                payment_token="sandbox_ok",
                shipping_address=ADDRESS,
                contact=orders.Contact(email="anna.nowak@example.pl"),
            ),
        )


def test_a_parcel_goes_from_the_work_list_to_the_carrier_by_command(
    cli_db: Database, store: Store
) -> None:
    order = _confirmed_delivery(cli_db, store)
    code, out = _run("allocate")
    assert code == 0, out
    assert "Allocated 1 order(s) into 1 fulfilment order(s)" in out
    number = f"{order.number}-1"
    code, out = _run("work", "WH-POZ")
    assert code == 0, out
    assert number in out
    code, out = _run("book", number)
    assert code == 0, out
    assert "Booked" in out
    with unit_of_work(cli_db, read_only=True) as s:
        (parcel,) = s.query(Shipment).filter(Shipment.order_id == order.id).all()
    assert parcel.tracking_number is not None
    code, out = _run("hand-over", parcel.tracking_number)
    assert code == 0, out
    assert "shipped" in out
    code, out = _run("track", str(parcel.id))
    assert code == 0, out
    code, out = _run("show", order.number)
    assert code == 0, out
    assert number in out
    assert parcel.tracking_number in out
    code, out = _run("allocate")
    assert "Allocated 0 order(s)" in out


def test_a_line_not_on_the_shelf_is_routed_again(cli_db: Database, store: Store) -> None:
    order = _confirmed_delivery(cli_db, store)
    _run("allocate")
    code, out = _run("reject", f"{order.number}-1", "1", "--missing", "0")
    assert code == 2, out  # not a count of missing units
    code, out = _run("reject", f"{order.number}-1", "1")  # none of it on the shelf
    assert code == 0, out
    assert "routed again" in out
    with unit_of_work(cli_db, read_only=True) as s:
        allocations = orders.load(s, order_id=order.id, access=orders.Access(staff=True))
        assert [a.status for a in allocations.allocations].count("held") == 1
    code, out = _run("show", order.number)
    assert code == 0, out
    assert "│ 1 " in out  # the released unit is not counted twice


def test_unknown_numbers_and_places_exit_1_naming_what_is_missing(
    cli_db: Database, store: Store
) -> None:
    for args, said in [
        (("book", "NOPE-1"), "no fulfilment order NOPE-1"),
        (("hand-over", "XX000000000PL"), "no parcel XX000000000PL"),
        (("show", "NOPE"), "NOPE does not exist"),
        (("work", "ST-NOWHERE"), "no location ST-NOWHERE"),
        (("settings", "location", "ST-NOWHERE"), "no location ST-NOWHERE"),
        (("settings", "channel", "nowhere"), "'nowhere' does not exist"),
    ]:
        code, out = _run(*args)
        assert code == 1, (args, out)
        assert said in out, (args, out)


def test_a_book_of_an_order_that_is_not_waiting_to_ship_is_refused(
    cli_db: Database, store: Store
) -> None:
    order = _confirmed_delivery(cli_db, store)
    _run("allocate")
    _run("book", f"{order.number}-1")
    with unit_of_work(cli_db, read_only=True) as s:
        (parcel,) = s.query(Shipment).filter(Shipment.order_id == order.id).all()
    _run("hand-over", str(parcel.id))
    code, out = _run("hand-over", str(parcel.id))
    assert code == 1, out


def _location(db: Database, code: str) -> settings.Settings:
    with unit_of_work(db, read_only=True) as s:
        loc = locations.find_location(s, code=code)
        assert loc is not None
        return settings.location_settings(s, location_id=loc.id)


def test_location_settings_are_shown_changed_one_by_one_and_given_back(
    cli_db: Database, store: Store
) -> None:
    code, out = _run("settings", "location", "WH-POZ")
    assert code == 0, out
    assert "daily_capacity" in out
    assert "default" in out
    code, out = _run("settings", "location", "wh-poz", "--capacity", "400", "--cutoff", "15:00")
    assert code == 0, out
    code, out = _run("settings", "location", "WH-POZ", "--cost", "900")
    assert code == 0, out
    values = _location(cli_db, "WH-POZ").values
    assert (values["daily_capacity"], values["cutoff"], values["shipment_cost"]) == (
        400,
        time(15, 0),
        900,
    )
    code, out = _run("settings", "location", "WH-POZ", "--default", "daily_capacity")
    assert code == 0, out
    assert _location(cli_db, "WH-POZ").values["daily_capacity"] is None
    assert _location(cli_db, "WH-POZ").values["cutoff"] == time(15, 0)


def test_bad_settings_exit_2_naming_the_setting_and_change_nothing(
    cli_db: Database, store: Store
) -> None:
    before = _location(cli_db, "WH-POZ")
    for args, said in [
        (("--cutoff", "25:00"), "cutoff"),
        (("--capacity", "-1"), "daily_capacity"),
        (("--ready-within", "0"), "ready_within_hours"),
        (("--collect-within", "61"), "collect_within_days"),
        (("--default", "colour"), "No setting colour"),
    ]:
        code, out = _run("settings", "location", "WH-POZ", *args)
        assert code == 2, (args, out)
        assert said in out, (args, out)
    assert _location(cli_db, "WH-POZ") == before


def test_channel_routing_is_shown_and_changed_and_refuses_eleven_parcels(
    cli_db: Database, store: Store
) -> None:
    code, out = _run("settings", "channel", "web", "--max-shipments", "2", "--no-stores-ship")
    assert code == 0, out
    code, out = _run("settings", "channel", "web", "--max-shipments", "11")
    assert code == 2, out
    assert "max_shipments" in out
    with unit_of_work(cli_db, read_only=True) as s:
        web = channels.get_channel_by_code(s, code="web")
        values = settings.channel_routing(s, channel_id=web.id).values
    assert (values["max_shipments"], values["stores_ship"]) == (2, False)
