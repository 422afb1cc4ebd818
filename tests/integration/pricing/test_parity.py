"""Channel parity: one price everywhere unless an override is configured, and then the
report lists every difference with its cause."""

from __future__ import annotations

from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.pricing import service
from omnichannel.pricing.schemas import PriceListCreate
from tests.integration.pricing.conftest import Shop


def _channels(session: Session, *codes: str) -> None:
    for code in codes:
        create_channel(session, data=ChannelCreate(code=code, name=code, type="web"))
    session.commit()


def test_without_overrides_the_report_is_empty(session: Session, shop: Shop) -> None:
    _channels(session, "web", "app", "pos-waw")
    shop.promote(session, code="ZIMA", kind="percent_off", percent=10)
    shop.prices(session, shop.vip, {"TS-S": 3999})
    report = service.parity(session, carts=10)
    assert report.channels == ("app", "pos-waw", "web")
    assert report.quotes == report.carts * 2 * 4  # (everybody, vip) x (no channel + 3)
    assert report.overrides == ()
    assert report.differences == ()


def test_a_channel_price_list_shows_up_with_its_cause(session: Session, shop: Shop) -> None:
    _channels(session, "web", "allegro")
    allegro = service.create_price_list(
        session,
        data=PriceListCreate(code="allegro-pln", name="Allegro", kind="channel", channel="allegro"),
    )
    shop.prices(session, allegro.id, {"BL-M": 13999})
    report = service.parity(session, carts=5)
    assert [(o.kind, o.code, o.channels) for o in report.overrides] == [
        ("price_list", "allegro-pln", ("allegro",))
    ]
    diffs = {(d.channel, d.sku, d.field, d.reference, d.value) for d in report.differences}
    assert ("allegro", "BL-M", "unit_price", 12999, 13999) in diffs
    assert all(d.channel == "allegro" for d in report.differences)
    assert "price list allegro-pln (override for channel allegro)" in report.differences[0].cause


def test_a_channel_limited_promotion_shows_up_with_its_cause(session: Session, shop: Shop) -> None:
    _channels(session, "web", "app")
    shop.promote(
        session,
        code="TYLKO-APP",
        kind="percent_off",
        percent=5,
        channels=["app"],
        targets={"variant_ids": [str(shop.v["KS-1"])]},
    )
    report = service.parity(session, carts=3)
    assert [(o.kind, o.code) for o in report.overrides] == [("promotion", "TYLKO-APP")]
    found = [d for d in report.differences if d.sku == "KS-1"]
    assert found
    assert {d.channel for d in found} == {"app"}
    assert found[0].field == "discount"
    assert "TYLKO-APP (only in app)" in found[0].cause
