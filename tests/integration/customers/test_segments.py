"""Segments: every kind of rule over the timeline, consents and addresses; manual
segments; what pricing reads."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from omnichannel.customers import consents, privacy, profiles, segments, timeline
from omnichannel.customers.errors import SegmentCodeTaken, SegmentKindMismatch
from omnichannel.customers.rules import ConsentPurpose, TimelineType
from omnichannel.customers.schemas import ConsentChangeIn
from omnichannel.customers.schemas_segments import SegmentCreate, SegmentUpdate
from omnichannel.kernel import Money, NotFound, utcnow
from tests.integration.customers.conftest import MakeCustomer


def _order(
    session: Session, cid: uuid.UUID, zl: int, days_ago: int, *, returned: bool = False
) -> None:
    timeline.append(
        session,
        customer_id=cid,
        type=TimelineType.ORDER_REFUNDED if returned else TimelineType.ORDER_PAID,
        amount=Money(zl * 100, "PLN"),
        occurred_at=utcnow() - timedelta(days=days_ago),
        channel="web",
    )


def _rule(session: Session, code: str, rules: dict[str, object]) -> set[uuid.UUID]:
    segments.create_segment(
        session,
        data=SegmentCreate.model_validate(
            {"code": code, "name": code, "kind": "rule", "rules": rules}
        ),
    )
    segments.recompute(session, code=code)
    return set(segments.members(session, code=code, limit=1000))


@pytest.fixture
def people(session: Session, make_customer: MakeCustomer) -> dict[str, uuid.UUID]:
    krakow = {"street": "ul. Floriańska 1", "postcode": "31-019", "city": "Kraków"}
    gdansk = {"street": "ul. Długa 1", "postcode": "80-827", "city": "Gdańsk"}
    out = {
        "big_spender": make_customer(given_name="A", addresses=[krakow]),
        "returner": make_customer(given_name="B", addresses=[gdansk]),
        "lapsed": make_customer(given_name="C", addresses=[gdansk, krakow]),
        "newcomer": make_customer(given_name="D"),
    }
    _order(session, out["big_spender"], 1500, 10)
    _order(session, out["big_spender"], 900, 40)
    _order(session, out["returner"], 3000, 5)
    _order(session, out["returner"], 2000, 3, returned=True)
    _order(session, out["lapsed"], 5000, 400)
    timeline.append(
        session, customer_id=out["newcomer"], type=TimelineType.PRODUCT_VIEWED, channel="app"
    )
    consents.set_consent(
        session,
        customer_id=out["newcomer"],
        data=ConsentChangeIn(purpose=ConsentPurpose.MARKETING_EMAIL, granted=True),
        channel=None,
    )
    return out


def test_each_rule_picks_the_right_people(session: Session, people: dict[str, uuid.UUID]) -> None:
    p = people
    assert _rule(session, "krakow", {"cities": ["KRAKOW"]}) == {p["big_spender"], p["lapsed"]}
    assert _rule(session, "vip", {"spend": {"min_minor": 200_000, "days": 365}}) == {
        p["big_spender"]  # 2400 zł; the returner nets 1000 zł
    }
    assert _rule(session, "small", {"spend": {"min_minor": 0, "max_minor": 150_000}}) == {
        p["returner"]
    }
    assert _rule(session, "recent", {"last_purchase": {"within_days": 30}}) == {
        p["big_spender"],
        p["returner"],
    }
    assert _rule(session, "lapsed", {"last_purchase": {"not_within_days": 180}}) == {p["lapsed"]}
    assert _rule(session, "app-users", {"channels": {"any_of": ["app"], "days": 30}}) == {
        p["newcomer"]
    }
    assert _rule(session, "newsletter", {"consents": ["marketing_email"]}) == {p["newcomer"]}
    assert _rule(
        session,
        "krakow-vip",
        {"cities": ["Kraków"], "spend": {"min_minor": 200_000}},
    ) == {p["big_spender"]}


def test_a_recompute_adds_and_removes_and_pricing_reads_the_codes(
    session: Session, people: dict[str, uuid.UUID]
) -> None:
    p = people
    _rule(session, "recent", {"last_purchase": {"within_days": 30}})
    assert segments.segments_of(session, customer_id=p["lapsed"]) == []
    _order(session, p["lapsed"], 100, 1)
    privacy.erase(session, customer_id=p["returner"])  # leaves every segment at once
    assert segments.segments_of(session, customer_id=p["returner"]) == []
    counts = segments.recompute(session, code="recent")
    assert (counts.members, counts.added, counts.removed) == (2, 1, 0)
    _rule(session, "krakow", {"cities": ["Kraków"]})
    [krakow] = [
        a for a in profiles.addresses_of(session, p["lapsed"]) if a.details["city"] == "Kraków"
    ]
    profiles.remove_address(session, customer_id=p["lapsed"], address_id=krakow.id)
    assert segments.recompute(session, code="krakow").removed == 1
    assert segments.segments_of(session, customer_id=p["lapsed"]) == ["recent"]
    assert segments.segments_of(session, customer_id=uuid.uuid4()) == []


def test_manual_segments_are_filled_by_hand_and_rule_segments_are_not(
    session: Session, people: dict[str, uuid.UUID]
) -> None:
    segments.create_segment(
        session, data=SegmentCreate(code="friends", name="Przyjaciele", kind="manual")
    )
    assert segments.add_member(session, code="friends", customer_id=people["newcomer"])
    assert not segments.add_member(session, code="friends", customer_id=people["newcomer"])
    assert segments.segments_of(session, customer_id=people["newcomer"]) == ["friends"]
    with pytest.raises(SegmentKindMismatch):
        segments.recompute(session, code="friends")
    _rule(session, "vip", {"spend": {"min_minor": 1}})
    with pytest.raises(SegmentKindMismatch):
        segments.add_member(session, code="vip", customer_id=people["newcomer"])
    with pytest.raises(SegmentKindMismatch):
        segments.update_segment(
            session,
            code="friends",
            data=SegmentUpdate.model_validate({"rules": {"cities": ["Gdańsk"]}}),
            if_version=None,
        )
    segments.remove_member(session, code="friends", customer_id=people["newcomer"])
    with pytest.raises(NotFound):
        segments.remove_member(session, code="friends", customer_id=people["newcomer"])
    with pytest.raises(SegmentCodeTaken):
        segments.create_segment(
            session, data=SegmentCreate(code="friends", name="x", kind="manual")
        )
    segments.delete_segment(session, code="friends")
    with pytest.raises(NotFound):
        segments.get_segment(session, code="friends")


def test_rule_segments_fall_due_after_the_nightly_hour(
    session: Session, people: dict[str, uuid.UUID]
) -> None:
    _rule(session, "recent", {"last_purchase": {"within_days": 30}})
    at = segments.get_segment(session, code="recent").recomputed_at
    assert at is not None
    assert segments.due(session, now=at, hour=at.hour) == []
    assert segments.due(session, now=at + timedelta(days=1), hour=at.hour) == ["recent"]
