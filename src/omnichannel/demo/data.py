"""Deterministic demo data. The same seed gives the same retailer, byte for byte."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from stdnum import ean

RETAILER = "Dom i Styl"

# Polish public holidays and Sunday trading days around the demo's season. Since 2025
# 24 December is a public holiday; December has three trading Sundays.
_CLOSED = ["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01", "2027-01-06"]
_TRADING_SUNDAYS = ["2026-12-06", "2026-12-13", "2026-12-20", "2027-01-31"]
_WEEK = {d: [["10:00", "21:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
STORE_HOURS: dict[str, Any] = {
    "weekly": {**_WEEK, "sun": []},
    "exceptions": {
        **{d: [] for d in _CLOSED},
        **{d: [["10:00", "20:00"]] for d in _TRADING_SUNDAYS},
    },
}
WAREHOUSE_HOURS: dict[str, Any] = {
    "weekly": {d: [["06:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
    "exceptions": {d: [] for d in _CLOSED},
}

LOCATIONS: list[dict[str, Any]] = [
    {
        "code": "WH-STRYKOW",
        "name": "Centrum dystrybucyjne Stryków",
        "type": "warehouse",
        "address": {
            "street": "ul. Warszawska 17",
            "city": "Stryków",
            "postcode": "95-010",
            "country": "PL",
        },
        "coordinates": {"latitude": 51.9007, "longitude": 19.6049},
        "phone": "+48 42 719 80 00",
        "opening_hours": WAREHOUSE_HOURS,
        "capabilities": ["ships", "accepts_returns"],
    },
    {
        "code": "ST-WAW-01",
        "name": "Dom i Styl Warszawa Śródmieście",
        "type": "store",
        "address": {
            "street": "ul. Marszałkowska 104/122",
            "city": "Warszawa",
            "postcode": "00-017",
            "country": "PL",
        },
        "coordinates": {"latitude": 52.2319, "longitude": 21.0067},
        "phone": "+48 22 826 40 10",
        "opening_hours": STORE_HOURS,
        "capabilities": ["pickup", "ship_from_store", "accepts_returns"],
    },
    {
        "code": "ST-KRK-01",
        "name": "Dom i Styl Kraków Rynek",
        "type": "store",
        "address": {
            "street": "ul. Floriańska 20",
            "city": "Kraków",
            "postcode": "31-021",
            "country": "PL",
        },
        "coordinates": {"latitude": 50.0632, "longitude": 19.9399},
        "phone": "+48 12 421 33 70",
        "opening_hours": STORE_HOURS,
        "capabilities": ["pickup", "ship_from_store", "accepts_returns"],
    },
    {
        "code": "ST-GDN-01",
        "name": "Dom i Styl Gdańsk Długa",
        "type": "store",
        "address": {
            "street": "ul. Długa 45",
            "city": "Gdańsk",
            "postcode": "80-827",
            "country": "PL",
        },
        "coordinates": {"latitude": 54.3490, "longitude": 18.6522},
        "phone": "+48 58 301 12 90",
        "opening_hours": STORE_HOURS,
        "capabilities": ["pickup", "accepts_returns"],
    },
]

_STORES = ["ST-WAW-01", "ST-KRK-01", "ST-GDN-01"]
# (code, name, type, sell_from location codes, pickup location codes); each channel's
# demo key holds every scope its type may (channels.rules.SCOPES_BY_TYPE).
CHANNELS: list[tuple[str, str, str, list[str], list[str]]] = [
    (
        "web",
        "Sklep internetowy domistyl.pl",
        "web",
        ["WH-STRYKOW", "ST-WAW-01", "ST-KRK-01"],
        _STORES,
    ),
    (
        "app",
        "Aplikacja mobilna Dom i Styl",
        "mobile_app",
        ["WH-STRYKOW", "ST-WAW-01", "ST-KRK-01"],
        _STORES,
    ),
    ("pos-waw", "Kasy — Warszawa Śródmieście", "store_pos", ["ST-WAW-01"], ["ST-WAW-01"]),
    ("pos-krk", "Kasy — Kraków Rynek", "store_pos", ["ST-KRK-01"], ["ST-KRK-01"]),
    ("pos-gdn", "Kasy — Gdańsk Długa", "store_pos", ["ST-GDN-01"], ["ST-GDN-01"]),
    ("call-center", "Biuro obsługi klienta", "call_center", ["WH-STRYKOW"], _STORES),
    ("allegro", "Allegro — oficjalny sklep", "marketplace", ["WH-STRYKOW"], []),
    ("instagram", "Instagram Shopping", "social", ["WH-STRYKOW"], []),
]

# Tills hold what is scanned into a cart for 15 minutes; the web shop, the app and
# the call center hold nothing until checkout.
CART_HOLD_MINUTES = {"pos-waw": 15, "pos-krk": 15, "pos-gdn": 15}
# Delivery: a courier 14.99 zł, a parcel locker 12.99 zł, pickup in a store free,
# cash on delivery 5 zł more (courier and locker free from 199 zł through the DOSTAWA
# promotion). The marketplace charges its buyers itself: it keeps the defaults.
_RATES = {"courier": 1499, "locker": 1299, "pickup": 0, "cash_on_delivery": 500}
DELIVERY_RATES: dict[str, dict[str, int | None]] = {
    code: dict(_RATES)
    for code in ("web", "app", "call-center", "pos-waw", "pos-krk", "pos-gdn", "instagram")
}

# How each location fulfils (`fulfillment.settings`; a setting left out is the
# default). The warehouse's courier collects at 15:00 and it packs up to 400 orders a
# day at 9 zł each; a store ships from its shelf at 15 zł, 20 a day, has a pickup
# ready within 2 opening hours and keeps it 5 open days.
_STORE_FULFILMENT = {
    "shipment_cost": 1500,
    "daily_capacity": 20,
    "ready_within_hours": 2,
    "collect_within_days": 5,
    "reserve_hold_hours": 48,
}
FULFILMENT: dict[str, dict[str, Any]] = {
    "WH-STRYKOW": {"shipment_cost": 900, "daily_capacity": 400, "cutoff": "15:00"},
    **{code: dict(_STORE_FULFILMENT) for code in _STORES},
}
# How each channel's orders are routed: the web shop splits an order into at most two
# parcels, each one past the first costing 10 zł more in the ranking; a marketplace
# promises its buyer one parcel.
ROUTING: dict[str, dict[str, Any]] = {
    "web": {"max_shipments": 2, "split_penalty": 1000},
    **{code: {"max_shipments": 1} for code, _, type_, _, _ in CHANNELS if type_ == "marketplace"},
}

# (role, e-mail, full name, password, location codes)
STAFF: list[tuple[str, str, str, str, list[str]]] = [
    ("admin", "admin@domistyl.pl", "Agnieszka Nowak", "demo-admin-2026", []),
    (
        "store_associate",
        "sprzedawca.waw@domistyl.pl",
        "Piotr Wiśniewski",
        "demo-store-2026",
        ["ST-WAW-01"],
    ),
    ("call_center_agent", "bok@domistyl.pl", "Katarzyna Wójcik", "demo-callcenter-2026", []),
    (
        "warehouse_operator",
        "magazyn@domistyl.pl",
        "Tomasz Kamiński",
        "demo-warehouse-2026",
        ["WH-STRYKOW"],
    ),
    (
        "marketing_analyst",
        "marketing@domistyl.pl",
        "Magdalena Lewandowska",
        "demo-analyst-2026",
        [],
    ),
]

_APPAREL_SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
_COLOUR_CODES = {
    "czarny": "BLK",
    "biały": "WHT",
    "granatowy": "NVY",
    "szary": "GRY",
    "beżowy": "BEI",
    "zielony": "GRN",
    "bordowy": "BRD",
    "niebieski": "BLU",
}
_COLOURS = list(_COLOUR_CODES)


@dataclass(frozen=True)
class Line:
    """A product family: how many products to make and how their variants vary."""

    category: str
    brands: tuple[str, ...]
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    sizes: tuple[str, ...]
    colours: int  # how many colours each product comes in
    weight_g: tuple[int, int]
    vat_class: str
    products: int
    code: str


LINES: list[Line] = [
    Line(
        "Odzież/Koszulki",
        ("Wisła Wear", "Bałtyk"),
        ("Koszulka", "T-shirt"),
        ("bawełniana", "basic", "z nadrukiem", "oversize", "polo", "w paski"),
        tuple(_APPAREL_SIZES),
        3,
        (150, 260),
        "standard",
        30,
        "TS",
    ),
    Line(
        "Odzież/Bluzy",
        ("Wisła Wear", "Tatra Outdoor"),
        ("Bluza",),
        ("z kapturem", "rozpinana", "polarowa", "dresowa"),
        tuple(_APPAREL_SIZES),
        2,
        (450, 750),
        "standard",
        18,
        "BL",
    ),
    Line(
        "Odzież/Spodnie",
        ("Bałtyk", "Tatra Outdoor"),
        ("Spodnie", "Jeansy"),
        ("chino", "slim", "regular", "trekkingowe", "dresowe"),
        ("28/32", "30/32", "32/32", "34/32", "36/32"),
        2,
        (400, 800),
        "standard",
        18,
        "SP",
    ),
    Line(
        "Odzież/Kurtki",
        ("Tatra Outdoor",),
        ("Kurtka", "Parka"),
        ("puchowa", "przeciwdeszczowa", "softshell", "zimowa"),
        tuple(_APPAREL_SIZES[1:]),
        2,
        (700, 1600),
        "standard",
        12,
        "KU",
    ),
    Line(
        "Odzież/Dziecięce",
        ("Mały Bałtyk",),
        ("Body", "Śpioszki", "Czapka"),
        ("niemowlęce", "bawełniane", "w gwiazdki"),
        ("56", "62", "68", "74", "80", "86"),
        2,
        (60, 160),
        "standard",
        12,
        "DZ",
    ),
    Line(
        "Dom/Pościel",
        ("Mazowsze Home",),
        ("Komplet pościeli",),
        ("satynowy", "bawełniany", "lniany", "flanelowy"),
        ("140x200", "160x200", "200x220"),
        3,
        (900, 1900),
        "standard",
        16,
        "PO",
    ),
    Line(
        "Dom/Ręczniki",
        ("Mazowsze Home",),
        ("Ręcznik",),
        ("frotte", "kąpielowy", "plażowy", "bambusowy"),
        ("30x50", "50x90", "70x140"),
        3,
        (120, 700),
        "standard",
        14,
        "RE",
    ),
    Line(
        "Dom/Kuchnia",
        ("Kuźnia Smaku",),
        ("Garnek", "Patelnia", "Kubek", "Czajnik"),
        ("emaliowany", "stalowy", "ceramiczny", "z powłoką granitową"),
        ("S", "M", "L"),
        2,
        (300, 2500),
        "standard",
        20,
        "KC",
    ),
    Line(
        "Dom/Oświetlenie",
        ("Lumen",),
        ("Lampa stołowa", "Lampa podłogowa", "Kinkiet"),
        ("industrialna", "skandynawska", "rattanowa", "LED"),
        ("jeden rozmiar",),
        3,
        (800, 4500),
        "standard",
        14,
        "LA",
    ),
    Line(
        "Elektronika/Słuchawki",
        ("Volt", "Kruk Audio"),
        ("Słuchawki",),
        ("bezprzewodowe", "douszne", "nauszne", "z ANC", "sportowe"),
        ("jeden rozmiar",),
        3,
        (40, 320),
        "standard",
        24,
        "SL",
    ),
    Line(
        "Elektronika/Głośniki",
        ("Kruk Audio",),
        ("Głośnik",),
        ("przenośny", "Bluetooth", "wodoodporny", "smart"),
        ("mini", "standard"),
        3,
        (250, 1800),
        "standard",
        16,
        "GL",
    ),
    Line(
        "Elektronika/Zasilanie",
        ("Volt",),
        ("Powerbank", "Ładowarka", "Kabel USB-C"),
        ("szybka", "GaN", "10000 mAh", "20000 mAh", "pleciony"),
        ("jeden rozmiar",),
        2,
        (30, 450),
        "standard",
        28,
        "ZS",
    ),
    Line(
        "Elektronika/Smartwatche",
        ("Volt",),
        ("Smartwatch", "Opaska sportowa"),
        ("z GPS", "z pulsometrem", "AMOLED"),
        ("40 mm", "44 mm"),
        3,
        (30, 70),
        "standard",
        12,
        "SW",
    ),
    Line(
        "Książki/Poradniki",
        ("Wydawnictwo Wisła",),
        ("Poradnik", "Album", "Książka kucharska"),
        ("domowy", "o ogrodzie", "kuchnia polska", "o minimalizmie"),
        ("oprawa miękka", "oprawa twarda"),
        1,
        (250, 900),
        "super_reduced",
        16,
        "KS",
    ),
]


# Packed sizes in millimetres (length, width, height), by product noun or else by
# line: what a parcel locker compartment is chosen from. Folded clothes go in A, a
# shoe-box-like carton in B, a pot in C; a floor lamp fits no locker at all.
PACKAGE_MM: dict[str, tuple[int, int, int]] = {
    "TS": (300, 250, 25),
    "BL": (350, 300, 60),
    "SP": (350, 300, 50),
    "KU": (450, 350, 110),
    "DZ": (250, 200, 20),
    "PO": (400, 320, 100),
    "RE": (350, 250, 60),
    "Garnek": (320, 320, 220),
    "Patelnia": (450, 300, 70),
    "Kubek": (150, 120, 120),
    "Czajnik": (260, 220, 250),
    "Lampa stołowa": (450, 300, 300),
    "Lampa podłogowa": (1300, 350, 350),
    "Kinkiet": (350, 250, 200),
    "SL": (200, 180, 90),
    "GL": (250, 150, 150),
    "ZS": (160, 100, 40),
    "SW": (120, 100, 80),
    "KS": (240, 170, 30),
}


def _gtin(company: int, item: int) -> str:
    # GS1 Poland prefix 590; a made-up company number; valid check digit.
    body = f"590{company:04d}{item:05d}"
    return body + ean.calc_check_digit(body)


def products(seed: int) -> list[dict[str, Any]]:
    """About 2,000 variants of apparel, home goods, electronics and books."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    item = 0
    for line in LINES:
        for n in range(1, line.products + 1):
            noun = rng.choice(line.nouns)
            adjective = rng.choice(line.adjectives)
            brand = rng.choice(line.brands)
            code = f"{line.code}-{n:04d}"
            colours = rng.sample(_COLOURS, line.colours)
            weight = rng.randint(*line.weight_g)
            length, width, height = PACKAGE_MM.get(noun) or PACKAGE_MM[line.code]
            variants = []
            for colour in colours:
                for size in line.sizes:
                    item += 1
                    variants.append(
                        {
                            "sku": f"{code}-{_COLOUR_CODES[colour]}-{size.replace('/', '').replace(' ', '').upper()}",
                            "gtin": _gtin(4821, item),
                            "options": {"size": size, "colour": colour},
                            "weight_g": weight,
                            "length_mm": length,
                            "width_mm": width,
                            "height_mm": height,
                            "vat_class": line.vat_class,
                        }
                    )
            out.append(
                {
                    "code": code,
                    "name": f"{noun} {adjective} {brand}",
                    "description": f"{noun} {adjective} marki {brand}. Kolekcja jesień–zima 2026.",
                    "brand": brand,
                    "category": line.category,
                    "images": [f"https://cdn.domistyl.pl/p/{code.lower()}/1.jpg"],
                    "attributes": {"kolekcja": "AW26"},
                    "variants": variants,
                }
            )
    return out


def variant_count(seed: int) -> int:
    return sum(len(p["variants"]) for p in products(seed))


# Channel buffers: the marketplace sees at most 60 % of stock, Instagram keeps 2 back.
BUFFERS: dict[str, tuple[int | None, int | None]] = {"allegro": (60, None), "instagram": (None, 2)}
# Safety stock kept back at every store (display pieces, damaged-on-shelf reserve).
STORE_SAFETY_STOCK = 1


def stock(seed: int, skus: list[str]) -> dict[str, dict[str, int]]:
    """Opening stock: location code -> SKU -> units. The warehouse holds most; stores
    carry a few of each; some items are sold out in places, as in any real chain."""
    rng = random.Random(seed * 7919)
    out: dict[str, dict[str, int]] = {loc["code"]: {} for loc in LOCATIONS}
    for sku in skus:
        out["WH-STRYKOW"][sku] = rng.choice([0, 5, 12, 24, 40, 60, 120])
        for store in _STORES:
            units = rng.choice([0, 0, 1, 2, 3, 4, 6, 8])
            if units:
                out[store][sku] = units
    return out


def policies(seed: int, skus: list[str]) -> dict[str, tuple[int | None, str | None]]:
    """A few items on backorder (limit per location) or preorder (expected date)."""
    rng = random.Random(seed * 104729)
    chosen = rng.sample(skus, 24)
    return {sku: (10, None) if i % 2 else (20, "2027-01-15") for i, sku in enumerate(chosen)}
