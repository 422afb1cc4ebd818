"""The timeline (append-only, filtered, paged, fed by channels and other domains) and
service cases whose every change lands on it."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from omnichannel.customers import cases, records, timeline
from omnichannel.customers.errors import CaseMoveRefused, CustomerErased
from omnichannel.customers.rules import CaseStatus, IdentityType, TimelineType
from omnichannel.customers.schemas import IdentityIn
from omnichannel.customers.schemas_activity import (
    CaseCreate,
    CaseMessageIn,
    CaseUpdate,
    ChannelEvent,
    TimelineNote,
)
from omnichannel.kernel import Money, utcnow
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed
from tests.integration.customers.conftest import MakeCustomer, row_counts


def test_the_timeline_pages_newest_first_and_filters_by_kind_and_channel(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(given_name="Anna")
    now = utcnow()
    for i in range(7):
        timeline.append(
            session,
            customer_id=cid,
            type=TimelineType.PRODUCT_VIEWED if i % 2 else TimelineType.STORE_VISIT,
            channel="app" if i % 2 else "pos-krk",
            occurred_at=now - timedelta(hours=i + 1),
            reference=f"SKU-{i}",
        )
    seen, cursor = [], None
    while True:
        page = timeline.entries(session, customer_id=cid, cursor=cursor, limit=3)
        seen += [e.reference for e in page[:3]]
        if len(page) <= 3:
            break
        cursor = timeline.encode_cursor(page[2])
    assert seen == [None] + [f"SKU-{i}" for i in range(7)]  # profile_created is the newest
    views = timeline.entries(session, customer_id=cid, types=[TimelineType.PRODUCT_VIEWED])
    assert [e.reference for e in views] == ["SKU-1", "SKU-3", "SKU-5"]
    till = timeline.entries(session, customer_id=cid, channels=["pos-krk"])
    assert {e.type for e in till} == {"store_visit"}
    with pytest.raises(InvalidInput):
        timeline.entries(session, customer_id=cid, cursor="not-a-cursor")


def test_other_domains_append_orders_and_a_merged_id_reaches_the_survivor(
    session: Session, make_customer: MakeCustomer
) -> None:
    from omnichannel.customers import merge, service

    a = make_customer(given_name="A")
    b = make_customer(given_name="B")
    merge.merge_customers(session, survivor_id=a, source_id=b)
    entry = service.append_to_timeline(
        session,
        customer_id=b,
        type=TimelineType.ORDER_PLACED,
        amount=Money(19_999, "PLN"),
        reference="order-1",
        channel="web",
    )
    assert (entry.customer_id, entry.amount_minor, entry.currency) == (a, 19_999, "PLN")
    assert service.resolve_customer_id(session, customer_id=b) == a


def test_staff_notes_record_who_and_where(session: Session, make_customer: MakeCustomer) -> None:
    cid = make_customer(given_name="Anna")
    with pytest.raises(InvalidInput):
        timeline.record_note(
            session,
            customer_id=cid,
            data=TimelineNote(type="call", summary="x", channel="nope"),
            staff_id=None,
        )
    entry = timeline.record_note(
        session,
        customer_id=cid,
        data=TimelineNote(type="call", summary="Pyta o zwrot butów", channel="call-center"),
        staff_id=None,
    )
    assert (entry.type, entry.channel, entry.summary) == (
        "call",
        "call-center",
        "Pyta o zwrot butów",
    )


def test_channel_events_land_all_or_none(session: Session, make_customer: MakeCustomer) -> None:
    cid = make_customer(given_name="Anna", emails=["anna@example.com"])
    ids = timeline.ingest(
        session,
        channel="web",
        events=[
            ChannelEvent(customer_id=cid, type="product_viewed", reference="TS-1"),
            ChannelEvent(
                identity=IdentityIn(type=IdentityType.EMAIL, value="ANNA@example.com"),
                type="cart_abandoned",
                data={"items": 2, "value_pln": 199.9},
            ),
        ],
    )
    assert len(ids) == 2
    session.commit()
    before = row_counts(session)
    with pytest.raises(InvalidInput) as e:
        timeline.ingest(
            session,
            channel="web",
            events=[
                ChannelEvent(customer_id=cid, type="product_viewed"),
                ChannelEvent(customer_id=uuid.uuid4(), type="product_viewed"),
            ],
        )
    assert e.value.errors[0]["field"] == "events.1.customer_id"
    session.rollback()
    assert row_counts(session) == before


def test_a_case_lands_on_the_timeline_is_due_by_its_sla_and_moves_only_as_allowed(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(given_name="Anna")
    case = cases.open_case(
        session,
        customer_id=cid,
        data=CaseCreate.model_validate(
            {
                "subject": "Pęknięty kubek",
                "category": "complaint",
                "message": "Zdjęcie w załączniku",
            }
        ),
        channel="pos-krk",
    )
    assert case.sla_due_at - case.created_at == timedelta(days=14)
    cases.update_case(
        session,
        case_id=case.id,
        data=CaseUpdate(status=CaseStatus.IN_PROGRESS, department="returns"),
        if_version=1,
    )
    cases.add_message(
        session,
        case_id=case.id,
        data=CaseMessageIn(body="Wymienimy kubek.", direction="to_customer"),
        author="staff:x",
    )
    with pytest.raises(PreconditionFailed):
        cases.update_case(
            session, case_id=case.id, data=CaseUpdate(status=CaseStatus.RESOLVED), if_version=1
        )
    with pytest.raises(CaseMoveRefused):
        cases.update_case(
            session, case_id=case.id, data=CaseUpdate(status=CaseStatus.CLOSED), if_version=None
        )
    cases.update_case(
        session, case_id=case.id, data=CaseUpdate(status=CaseStatus.RESOLVED), if_version=None
    )
    closed = cases.update_case(
        session, case_id=case.id, data=CaseUpdate(status=CaseStatus.CLOSED), if_version=None
    )
    assert closed.resolved_at is not None
    assert closed.closed_at is not None
    with pytest.raises(CaseMoveRefused):
        cases.add_message(session, case_id=case.id, data=CaseMessageIn(body="x"), author=None)
    kinds = [e.type for e in timeline.entries(session, customer_id=cid)]
    assert kinds == [
        "case_updated",
        "case_updated",
        "case_message",
        "case_updated",
        "case_opened",
        "profile_created",
    ]
    _, messages = cases.get_case(session, case_id=case.id, reveal=True)
    assert [m.direction for m in messages] == ["from_customer", "to_customer"]
    assert cases.open_cases_of(session, customer_id=cid) == []


def test_a_case_names_a_real_assignee_and_an_erased_customer_takes_no_case(
    session: Session, make_customer: MakeCustomer
) -> None:
    from omnichannel.customers import privacy

    cid = make_customer(given_name="Anna")
    with pytest.raises(InvalidInput) as e:
        cases.open_case(
            session,
            customer_id=cid,
            data=CaseCreate.model_validate(
                {"subject": "x", "category": "other", "assigned_staff_id": str(uuid.uuid4())}
            ),
            channel=None,
        )
    assert e.value.errors[0]["field"] == "assigned_staff_id"
    privacy.erase(session, customer_id=cid)
    with pytest.raises(CustomerErased):
        cases.open_case(
            session,
            customer_id=cid,
            data=CaseCreate.model_validate({"subject": "x", "category": "other"}),
            channel=None,
        )
    assert records.resolve(session, cid).status == "erased"
