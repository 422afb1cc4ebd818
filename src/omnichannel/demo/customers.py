"""The demo retailer's customers: Polish shoppers across every channel, with consents,
cards and marketplace accounts, a history of orders, visits and calls, a few service
cases, segments, and one duplicate pair left for staff to merge.

`people(seed)` is pure and deterministic: the same seed gives the same customers.
Times are offsets into the past, so the timeline and the segments read sensibly on
whatever day the demo is loaded. E-mails use example.com and no real person is meant.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from omnichannel.customers import cases, profiles, segments, timeline
from omnichannel.customers.rules import CaseStatus, TimelineType
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.customers.schemas_activity import CaseCreate, CaseMessageIn, CaseUpdate
from omnichannel.customers.schemas_segments import SegmentCreate
from omnichannel.kernel import Money, utcnow

COUNT = 40

_WOMEN = [
    "Anna",
    "Katarzyna",
    "Małgorzata",
    "Agnieszka",
    "Barbara",
    "Ewa",
    "Zofia",
    "Magdalena",
    "Joanna",
    "Aleksandra",
    "Natalia",
    "Julia",
    "Monika",
    "Dorota",
    "Beata",
]
_MEN = [
    "Piotr",
    "Krzysztof",
    "Tomasz",
    "Paweł",
    "Michał",
    "Marcin",
    "Jakub",
    "Adam",
    "Łukasz",
    "Mateusz",
    "Grzegorz",
    "Jan",
    "Wojciech",
    "Kamil",
    "Rafał",
]
# (masculine, feminine): Polish surnames in -ski/-cki agree with the person.
_SURNAMES = [
    ("Nowak", "Nowak"),
    ("Kowalski", "Kowalska"),
    ("Wiśniewski", "Wiśniewska"),
    ("Wójcik", "Wójcik"),
    ("Kowalczyk", "Kowalczyk"),
    ("Kamiński", "Kamińska"),
    ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"),
    ("Woźniak", "Woźniak"),
    ("Dąbrowski", "Dąbrowska"),
    ("Kozłowski", "Kozłowska"),
    ("Mazur", "Mazur"),
    ("Krawczyk", "Krawczyk"),
    ("Piotrowski", "Piotrowska"),
]
_CITIES = [
    (
        "Warszawa",
        "ST-WAW-01",
        ["ul. Marszałkowska", "ul. Puławska", "al. Jana Pawła II", "ul. Grochowska"],
        "0{}-{:03d}",
    ),
    (
        "Kraków",
        "ST-KRK-01",
        ["ul. Długa", "ul. Karmelicka", "ul. Wielicka", "os. Centrum C"],
        "3{}-{:03d}",
    ),
    (
        "Gdańsk",
        "ST-GDN-01",
        ["ul. Grunwaldzka", "ul. Chlebnicka", "ul. Obrońców Wybrzeża"],
        "8{}-{:03d}",
    ),
    ("Łódź", None, ["ul. Piotrkowska", "al. Kościuszki"], "9{}-{:03d}"),
    ("Poznań", None, ["ul. Półwiejska", "ul. Głogowska"], "6{}-{:03d}"),
    ("Wrocław", None, ["ul. Świdnicka", "ul. Legnicka"], "5{}-{:03d}"),
]
_MOBILE = ["50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"]
_CHANNELS = ["web", "web", "app", "app", "pos-waw", "pos-krk", "pos-gdn", "allegro", "instagram"]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded if c.isascii() and c.isalnum()).lower()


class Entry(NamedTuple):
    days_ago: int
    type: str
    channel: str
    amount: int | None = None  # grosze
    reference: str | None = None
    summary: str | None = None


@dataclass
class Person:
    doc: dict[str, Any]
    channel: str
    history: list[Entry] = field(default_factory=list)


def _history(
    rng: random.Random, order_prefix: str, channel: str, till: str, skus: list[str]
) -> list[Entry]:
    """Orders (a few returned), product views, store visits and newsletters."""
    out: list[Entry] = []
    for _ in range(rng.choice([0, 1, 1, 2, 3, 4, 6])):
        days = rng.randint(1, 420)
        where = rng.choice([channel, channel, "web", "app", till])
        total = rng.choice([4_999, 8_999, 12_999, 19_900, 34_900, 59_900, 129_900, 249_900])
        order = f"{order_prefix}-{days}"
        out.append(Entry(days, "order_placed", where, total, order))
        out.append(Entry(days, "order_paid", where, total, order))  # spend is what was paid
        if rng.random() < 0.12:
            out.append(Entry(max(days - 9, 0), "order_returned", where, total, order))
            out.append(Entry(max(days - 9, 0), "order_refunded", where, total, order))
    for _ in range(rng.randint(0, 5)):
        sku = rng.choice(skus) if skus else None
        out.append(
            Entry(rng.randint(0, 60), "product_viewed", rng.choice(["web", "app"]), None, sku)
        )
    if till != "web" and rng.random() < 0.4:
        out.append(Entry(rng.randint(1, 90), "store_visit", till))
    if rng.random() < 0.3:
        out.append(Entry(rng.randint(1, 30), "email_sent", "web", None, "newsletter-2026-11"))
    return out


def people(seed: int, skus: list[str]) -> list[Person]:
    """The demo's customers, deterministic for a seed."""
    rng = random.Random(seed * 7919 + 5)
    out: list[Person] = []
    for n in range(COUNT):
        woman = rng.random() < 0.55
        first = rng.choice(_WOMEN if woman else _MEN)
        surname = rng.choice(_SURNAMES)[1 if woman else 0]
        city, store, streets, postcode = rng.choice(_CITIES)
        channel = rng.choice(_CHANNELS)
        doc: dict[str, Any] = {
            "given_name": first,
            "family_name": surname,
            "emails": [f"{_ascii(first)}.{_ascii(surname)}.{n + 1}@example.com"],
            "phones": [
                f"+48 {rng.choice(_MOBILE)}{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
            ],
            "addresses": [
                {
                    "recipient": f"{first} {surname}",
                    "street": f"{rng.choice(streets)} {rng.randint(1, 180)}/{rng.randint(1, 40)}",
                    "postcode": postcode.format(rng.randint(0, 9), rng.randint(1, 999)),
                    "city": city,
                }
            ],
            "language": "pl" if rng.random() < 0.93 else rng.choice(["en", "uk"]),
            "birthday": f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "identities": [],
            "consents": [
                {
                    "purpose": p,
                    "granted": rng.random() < share,
                    "policy_version": "2026-01",
                    "evidence": f"formularz zgód, kanał {channel}",
                }
                for p, share in (
                    ("marketing_email", 0.55),
                    ("marketing_sms", 0.3),
                    ("profiling", 0.4),
                )
                if rng.random() < 0.8
            ],
        }
        if rng.random() < 0.5:
            doc["identities"].append(
                {"type": "loyalty_card", "value": f"DIS-{4000_0000 + n * 37:08d}"}
            )
        if channel == "allegro" or rng.random() < 0.15:
            doc["identities"].append(
                {
                    "type": "marketplace_buyer",
                    "namespace": "allegro",
                    "value": f"{rng.randint(10**7, 10**8)}",
                }
            )
        if channel == "instagram":
            doc["identities"].append(
                {
                    "type": "social_handle",
                    "namespace": "instagram",
                    "value": f"{_ascii(first)}_{_ascii(surname)}{n}",
                }
            )
        if store is not None and rng.random() < 0.7:
            doc["preferred_store"] = store
        till = f"pos-{store[3:6].lower()}" if store else "web"
        out.append(Person(doc, channel, _history(rng, f"ZAM-{seed}-{n}", channel, till, skus)))
    # One person known twice: at a till by phone, and on the web by e-mail. Staff merge them.
    twin = out[3].doc
    out.append(
        Person(
            {
                "given_name": twin["given_name"],
                "family_name": twin["family_name"],
                "emails": [twin["emails"][0].replace("@", ".sklep@")],
                "phones": [],
                "identities": [{"type": "pos_customer", "value": f"KRK-{seed}-0004"}],
                "addresses": [],
                "consents": [],
            },
            "pos-krk",
            [Entry(14, "store_visit", "pos-krk", summary="Pytała o zwrot butów kupionych online")],
        )
    )
    return out


def load_customers(
    session: Session, *, seed: int, skus: list[str], location_ids: dict[str, uuid.UUID]
) -> list[uuid.UUID]:
    """Create the demo's customers, their history, cases and segments through the services."""
    now = utcnow()
    ids: list[uuid.UUID] = []
    for person in people(seed, skus):
        doc = dict(person.doc)
        store = doc.pop("preferred_store", None)
        if store:
            doc["preferred_location_id"] = location_ids[store]
        cid = profiles.create_customer(
            session, data=CustomerCreate.model_validate(doc), channel=person.channel
        ).customer.id
        ids.append(cid)
        for e in sorted(person.history, key=lambda e: -e.days_ago):  # oldest first
            timeline.append(
                session,
                customer_id=cid,
                type=TimelineType(e.type),
                occurred_at=now - timedelta(days=e.days_ago, hours=(e.days_ago * 7) % 11),
                channel=e.channel,
                amount=Money(e.amount, "PLN") if e.amount is not None else None,
                reference=e.reference,
                summary=e.summary,
            )
    _cases(session, ids)
    _segments(session, ids)
    return ids


def _cases(session: Session, ids: list[uuid.UUID]) -> None:
    timeline.append(
        session,
        customer_id=ids[0],
        type=TimelineType.CALL,
        channel="call-center",
        summary="Pyta, kiedy dotrze paczka z zamówienia z 12 listopada. Obiecano sprawdzić u kuriera.",
    )
    late = cases.open_case(
        session,
        customer_id=ids[0],
        data=CaseCreate.model_validate(
            {
                "subject": "Paczka nie dotarła",
                "category": "delivery",
                "department": "logistics",
                "message": "Zamówiłam 10 dni temu, status się nie zmienia.",
            }
        ),
        channel="call-center",
    )
    cases.update_case(
        session, case_id=late.id, data=CaseUpdate(status=CaseStatus.IN_PROGRESS), if_version=None
    )
    complaint = cases.open_case(
        session,
        customer_id=ids[5],
        data=CaseCreate.model_validate(
            {
                "subject": "Reklamacja: pęknięty kubek z zestawu",
                "category": "complaint",
                "department": "returns",
                "message": "Kubek pękł przy pierwszym myciu.",
            }
        ),
        channel="pos-krk",
    )
    cases.add_message(
        session,
        case_id=complaint.id,
        data=CaseMessageIn(body="Prosimy o zdjęcie i numer paragonu.", direction="to_customer"),
        author="cli:demo",
    )
    returned = cases.open_case(
        session,
        customer_id=ids[9],
        data=CaseCreate.model_validate({"subject": "Zwrot kurtki", "category": "return"}),
        channel="web",
    )
    for status in (CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED):
        cases.update_case(
            session, case_id=returned.id, data=CaseUpdate(status=status), if_version=None
        )


SEGMENTS: list[dict[str, Any]] = [
    {
        "code": "vip",
        "name": "VIP: ponad 1 500 zł w roku",
        "kind": "rule",
        "rules": {"spend": {"currency": "PLN", "min_minor": 150_000, "days": 365}},
    },
    {
        "code": "krakow",
        "name": "Klienci z Krakowa",
        "kind": "rule",
        "rules": {"cities": ["Kraków"]},
    },
    {
        "code": "lapsed",
        "name": "Bez zakupu od pół roku",
        "kind": "rule",
        "rules": {"last_purchase": {"not_within_days": 180}},
    },
    {
        "code": "newsletter",
        "name": "Zgoda na newsletter",
        "kind": "rule",
        "rules": {"consents": ["marketing_email"]},
    },
    {
        "code": "app-users",
        "name": "Używają aplikacji",
        "kind": "rule",
        "rules": {"channels": {"any_of": ["app"], "days": 90}},
    },
    {"code": "staff-picks", "name": "Wyróżnieni przez sprzedawców", "kind": "manual"},
]


def _segments(session: Session, ids: list[uuid.UUID]) -> None:
    for doc in SEGMENTS:
        segments.create_segment(session, data=SegmentCreate.model_validate(doc))
    for cid in ids[:2]:
        segments.add_member(session, code="staff-picks", customer_id=cid)
    for code in segments.rule_codes(session):
        segments.recompute(session, code=code)
