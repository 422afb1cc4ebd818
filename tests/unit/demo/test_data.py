"""The demo retailer is Polish, realistic and the same on every machine."""

from stdnum import ean

from omnichannel.demo import data
from omnichannel.fulfillment.carriers.errors import TooBigForLocker
from omnichannel.fulfillment.carriers.sizing import LockerSize, ParcelItem, locker_size
from omnichannel.locations.rules import normalise_postcode


def test_the_same_seed_gives_the_same_catalog() -> None:
    assert data.products(2026) == data.products(2026)
    assert data.products(2026) != data.products(7)


def test_there_are_about_two_thousand_variants_with_unique_skus_and_valid_ean13s() -> None:
    variants = [v for p in data.products(2026) for v in p["variants"]]
    assert 1800 <= len(variants) <= 2200
    assert len({v["sku"] for v in variants}) == len(variants)
    assert len({v["gtin"] for v in variants}) == len(variants)
    assert all(len(v["gtin"]) == 13 and ean.is_valid(v["gtin"]) for v in variants)


def test_the_chain_has_a_warehouse_in_strykow_and_stores_in_three_cities() -> None:
    cities = {(loc["type"], loc["address"]["city"]) for loc in data.LOCATIONS}
    assert cities == {
        ("warehouse", "Stryków"),
        ("store", "Warszawa"),
        ("store", "Kraków"),
        ("store", "Gdańsk"),
    }
    for loc in data.LOCATIONS:
        assert normalise_postcode("PL", loc["address"]["postcode"]) == loc["address"]["postcode"]


def test_there_is_one_staff_user_per_role() -> None:
    assert sorted(s[0] for s in data.STAFF) == sorted(
        ["admin", "store_associate", "call_center_agent", "warehouse_operator", "marketing_analyst"]
    )


def test_every_demo_variant_has_a_packed_size_and_a_floor_lamp_fits_no_locker() -> None:
    def size(name: str) -> LockerSize | None:
        p = next(p for p in data.products(2026) if p["name"].startswith(name))
        v = p["variants"][0]
        item = ParcelItem(v["sku"], 1, v["weight_g"], v["length_mm"], v["width_mm"], v["height_mm"])
        try:
            return locker_size([item])
        except TooBigForLocker:
            return None

    assert all(
        v["length_mm"] and v["width_mm"] and v["height_mm"]
        for p in data.products(2026)
        for v in p["variants"]
    )
    assert size("Koszulka") is LockerSize.A
    assert size("Kurtka") is LockerSize.B
    assert size("Garnek") is LockerSize.C
    assert size("Lampa podłogowa") is None


def test_the_demo_shops_deliver_by_courier_locker_and_pickup_in_zloty() -> None:
    assert data.DELIVERY_RATES["web"] == {
        "courier": 1499,
        "locker": 1299,
        "pickup": 0,
        "cash_on_delivery": 500,
    }
    assert "allegro" not in data.DELIVERY_RATES  # the marketplace charges its buyers itself
