"""Merging duplicates: everything moves, the merge is recorded, every old id and
identity leads to the survivor, and a bad request changes nothing."""

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.customers import (
    cases,
    consents,
    identities,
    merge,
    privacy,
    profiles,
    records,
    segments,
    timeline,
)
from omnichannel.customers.errors import CustomerErased, MergeRefused
from omnichannel.customers.models import ConsentChange, Customer, SegmentMember
from omnichannel.customers.rules import ConsentPurpose, IdentityType, TimelineType
from omnichannel.customers.schemas import ConsentChangeIn
from omnichannel.customers.schemas_activity import CaseCreate
from omnichannel.customers.schemas_segments import SegmentCreate
from omnichannel.db import OutboxEvent
from omnichannel.kernel import Money, NotFound
from omnichannel.kernel.errors import InvalidInput
from tests.integration.customers.conftest import MakeCustomer, row_counts


def _consent(session: Session, cid: uuid.UUID, purpose: ConsentPurpose, granted: bool) -> None:
    consents.set_consent(
        session,
        customer_id=cid,
        data=ConsentChangeIn(purpose=purpose, granted=granted),
        channel=None,
    )


def test_a_merge_moves_everything_to_the_survivor_and_every_old_identity_follows(
    session: Session, make_customer: MakeCustomer
) -> None:
    survivor = make_customer(
        given_name="Anna",
        emails=["anna.nowak@example.com"],
        addresses=[{"street": "ul. Floriańska 12", "postcode": "31-019", "city": "Kraków"}],
        notes="Stała klientka.",
    )
    source = make_customer(
        family_name="Nowak",
        birthday="1988-04-12",
        emails=["a.nowak@example.com"],
        phones=["+48 601 234 567"],
        identities=[{"type": "loyalty_card", "value": "DIS-0001-2345"}],
        addresses=[{"street": "ul. Długa 1", "postcode": "80-827", "city": "Gdańsk"}],
        notes="Dzwoniła w sprawie zwrotu.",
    )
    _consent(session, survivor, ConsentPurpose.MARKETING_EMAIL, True)
    _consent(session, source, ConsentPurpose.MARKETING_EMAIL, False)
    _consent(session, source, ConsentPurpose.MARKETING_SMS, True)
    _consent(session, survivor, ConsentPurpose.PROFILING, True)
    timeline.append(
        session,
        customer_id=source,
        type=TimelineType.ORDER_PLACED,
        amount=Money(129_900, "PLN"),
        channel="web",
    )
    case = cases.open_case(
        session,
        customer_id=source,
        data=CaseCreate.model_validate({"subject": "Gdzie paczka?", "category": "delivery"}),
        channel="call-center",
    )
    segments.create_segment(
        session, data=SegmentCreate(code="staff-picks", name="Wybrani", kind="manual")
    )
    segments.add_member(session, code="staff-picks", customer_id=source)

    merge.merge_customers(session, survivor_id=survivor, source_id=source)

    for kind, value in [
        (IdentityType.EMAIL, "anna.nowak@example.com"),
        (IdentityType.EMAIL, "a.nowak@example.com"),
        (IdentityType.PHONE, "601234567"),
        (IdentityType.LOYALTY_CARD, "DIS00012345"),
    ]:
        assert identities.find_customer_id(session, type=kind, value=value) == survivor
    p = profiles.get_customer(session, customer_id=source, reveal=True)
    assert p.customer.id == survivor
    assert (p.customer.given_name, p.customer.family_name, p.customer.birthday) == (
        "Anna",
        "Nowak",
        "1988-04-12",
    )
    assert p.customer.notes == "Stała klientka.\n\nDzwoniła w sprawie zwrotu."
    primary_emails = [i.value for i in p.identities if i.type == "email" and i.is_primary]
    assert primary_emails == ["anna.nowak@example.com"]
    assert [a.is_default for a in p.addresses] == [True, False]
    state = {p: c.granted for p, c in consents.current(session, customer_id=survivor).items()}
    assert state == {
        ConsentPurpose.MARKETING_EMAIL: False,  # withdrawn on one profile: withdrawn
        ConsentPurpose.MARKETING_SMS: True,  # given on one, never asked on the other
        ConsentPurpose.PROFILING: True,
    }
    reasons = session.scalars(
        select(ConsentChange.reason).where(ConsentChange.customer_id == survivor)
    ).all()
    assert reasons.count("merge") == 2  # e-mail withdrawn, SMS carried over
    kinds = [e.type for e in timeline.entries(session, customer_id=survivor)]
    assert kinds[0] == TimelineType.PROFILE_MERGED
    assert TimelineType.ORDER_PLACED in kinds
    assert TimelineType.CASE_OPENED in kinds
    assert cases.get_case(session, case_id=case.id, reveal=False)[0].customer_id == survivor
    assert segments.segments_of(session, customer_id=survivor) == ["staff-picks"]
    assert segments.segments_of(session, customer_id=source) == ["staff-picks"]
    assert (
        session.scalars(
            select(SegmentMember.customer_id).where(SegmentMember.customer_id == source)
        ).all()
        == []
    )
    left = session.get(Customer, source)
    assert left is not None
    assert (left.status, left.merged_into_id, left.given_name, left.notes) == (
        "merged",
        survivor,
        None,
        None,
    )
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "customers.merged")).one()
    assert event.payload == {"customer_id": str(survivor), "merged_id": str(source)}


def test_merges_chain_in_one_hop(session: Session, make_customer: MakeCustomer) -> None:
    a, b, c = (make_customer(given_name=n) for n in ("A", "B", "C"))
    merge.merge_customers(session, survivor_id=b, source_id=a)
    merge.merge_customers(session, survivor_id=c, source_id=b)
    assert session.get(Customer, a).merged_into_id == c  # type: ignore[union-attr]
    assert records.resolve(session, a).id == c


def test_a_profile_merged_into_itself_is_refused_and_nothing_changes(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(given_name="Anna", emails=["anna@example.com"])
    before = row_counts(session)
    with pytest.raises(InvalidInput) as e:
        merge.merge_customers(session, survivor_id=cid, source_id=cid)
    assert e.value.errors[0]["field"] == "source_id"
    assert row_counts(session) == before


def test_merging_an_unknown_merged_or_erased_profile_is_refused(
    session: Session, make_customer: MakeCustomer
) -> None:
    a, b, c = (make_customer(given_name=n) for n in ("A", "B", "C"))
    with pytest.raises(NotFound):
        merge.merge_customers(session, survivor_id=a, source_id=uuid.uuid4())
    merge.merge_customers(session, survivor_id=a, source_id=b)
    session.commit()
    before = row_counts(session)
    with pytest.raises(MergeRefused):
        merge.merge_customers(session, survivor_id=c, source_id=b)
    with pytest.raises(MergeRefused):
        merge.merge_customers(session, survivor_id=b, source_id=c)
    session.rollback()
    assert row_counts(session) == before
    privacy.erase(session, customer_id=c)
    with pytest.raises(CustomerErased):
        merge.merge_customers(session, survivor_id=a, source_id=c)
