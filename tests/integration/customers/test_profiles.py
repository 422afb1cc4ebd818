"""Profiles, identities, addresses and consents through the services, on both databases."""

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnichannel.customers import audit, consents, identities, profiles, records
from omnichannel.customers.errors import CustomerErased, IdentityTaken
from omnichannel.customers.models import AuditEntry, ConsentChange, TimelineEntry
from omnichannel.customers.rules import ConsentPurpose, IdentityType
from omnichannel.customers.schemas import (
    AddressIn,
    ConsentChangeIn,
    CustomerUpdate,
    IdentityAdd,
)
from omnichannel.db import OutboxEvent
from omnichannel.kernel import NotFound
from omnichannel.kernel.errors import InvalidInput, PreconditionFailed
from tests.integration.customers.conftest import MakeCustomer, raw_dump, row_counts

ANNA = {
    "given_name": "Anna",
    "family_name": "Nowak",
    "emails": ["Anna.Nowak@Example.com"],
    "phones": ["601 234 567"],
    "identities": [
        {"type": "loyalty_card", "value": "DIS-0001-2345"},
        {"type": "marketplace_buyer", "value": "48151623", "namespace": "allegro"},
    ],
    "addresses": [{"street": "ul. Floriańska 12/4", "postcode": "31019", "city": "Kraków"}],
    "birthday": "1988-04-12",
    "notes": "Woli odbiór w sklepie.",
}


def test_a_profile_reads_back_whole_while_the_database_holds_it_sealed(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(channel="pos-krk", **ANNA)
    p = profiles.get_customer(session, customer_id=cid, reveal=True)
    assert (p.customer.given_name, p.customer.family_name) == ("Anna", "Nowak")
    assert p.customer.birthday == "1988-04-12"
    assert {(i.type, i.value, i.is_primary) for i in p.identities} == {
        ("email", "anna.nowak@example.com", True),
        ("phone", "+48601234567", True),
        ("loyalty_card", "DIS00012345", True),
        ("marketplace_buyer", "allegro:48151623", True),
    }
    [address] = p.addresses
    assert address.details["postcode"] == "31-019"
    assert address.is_default
    assert p.customer.source_channel == "pos-krk"
    raw = raw_dump(session)
    for plain in ("anna.nowak@example.com", "+48601234567", "Nowak", "Floriańska", "1988-04-12"):
        assert plain not in raw


@pytest.mark.parametrize(
    ("type_", "value", "namespace"),
    [
        ("email", "ANNA.NOWAK@example.com", None),
        ("phone", "+48 601-234-567", None),
        ("phone", "601234567", None),
        ("loyalty_card", "dis 0001 2345", None),
        ("marketplace_buyer", "48151623", "allegro"),
    ],
)
def test_any_identity_in_any_notation_finds_the_one_profile(
    session: Session, make_customer: MakeCustomer, type_: str, value: str, namespace: str | None
) -> None:
    cid = make_customer(**ANNA)
    make_customer(given_name="Jan", emails=["jan@example.com"])
    found = identities.find_customer_id(
        session, type=IdentityType(type_), value=value, namespace=namespace
    )
    assert found == cid


def test_an_unknown_identity_finds_nobody_and_a_malformed_one_is_a_field_error(
    session: Session, make_customer: MakeCustomer
) -> None:
    make_customer(**ANNA)
    assert (
        identities.find_customer_id(session, type=IdentityType.EMAIL, value="x@example.com") is None
    )
    with pytest.raises(InvalidInput) as e:
        identities.find_customer_id(session, type=IdentityType.PHONE, value="12")
    assert e.value.errors[0]["field"] == "value"


def test_an_identity_owned_by_another_profile_is_refused_and_nothing_is_written(
    session: Session, make_customer: MakeCustomer
) -> None:
    anna = make_customer(**ANNA)
    before = row_counts(session)
    with pytest.raises(IdentityTaken) as e:
        make_customer(given_name="Druga", phones=["+48601234567"], emails=["inna@example.com"])
    assert e.value.errors[0]["field"] == "phones.0.value"
    assert e.value.extra["customer_id"] == str(anna)
    session.rollback()
    assert row_counts(session) == before


def test_the_same_identity_twice_in_one_request_is_a_field_error(
    make_customer: MakeCustomer,
) -> None:
    with pytest.raises(InvalidInput) as e:
        make_customer(
            emails=["a@example.com"], identities=[{"type": "email", "value": "A@example.com"}]
        )
    assert e.value.errors[0]["field"] == "identities.0.value"


def test_unknown_channel_or_store_is_refused(make_customer: MakeCustomer) -> None:
    with pytest.raises(InvalidInput) as e:
        make_customer(channel="nope", given_name="X")
    assert e.value.errors[0]["field"] == "channel"
    with pytest.raises(InvalidInput) as e:
        make_customer(given_name="X", preferred_location_id=str(uuid.uuid4()))
    assert e.value.errors[0]["field"] == "preferred_location_id"


def test_an_update_changes_and_clears_fields_and_refuses_a_stale_version(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(**ANNA)
    p = profiles.update_customer(
        session,
        customer_id=cid,
        data=CustomerUpdate.model_validate({"family_name": "Nowak-Kowalska", "notes": None}),
        if_version=1,
    )
    assert (p.customer.family_name, p.customer.notes, p.customer.version) == (
        "Nowak-Kowalska",
        None,
        2,
    )
    with pytest.raises(PreconditionFailed):
        profiles.update_customer(
            session, customer_id=cid, data=CustomerUpdate(given_name="Ania"), if_version=1
        )
    events = session.scalars(
        select(OutboxEvent.payload).where(OutboxEvent.type == "customers.updated")
    ).all()
    assert events == [{"customer_id": str(cid), "fields": ["family_name", "notes"]}]


def test_a_new_default_address_takes_over_and_removing_it_hands_the_role_back(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(**ANNA)
    first = profiles.addresses_of(session, cid)[0]
    new = profiles.add_address(
        session,
        customer_id=cid,
        data=AddressIn(street="ul. Długa 1", postcode="80-827", city="Gdańsk", default=True),
    )
    assert [a.id for a in profiles.addresses_of(session, cid) if a.is_default] == [new.id]
    profiles.remove_address(session, customer_id=cid, address_id=new.id)
    assert [a.id for a in profiles.addresses_of(session, cid) if a.is_default] == [first.id]
    with pytest.raises(NotFound):
        profiles.remove_address(session, customer_id=cid, address_id=new.id)


def test_an_identity_is_added_moved_to_primary_and_removed(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(**ANNA)
    added = identities.add_identity(
        session,
        customer_id=cid,
        data=IdentityAdd(type=IdentityType.EMAIL, value="anna@firma.example.com", primary=True),
    )
    primaries = [i.value for i in identities.of(session, cid) if i.type == "email" and i.is_primary]
    assert primaries == ["anna@firma.example.com"]
    identities.remove_identity(session, customer_id=cid, identity_id=added.id)
    primaries = [i.value for i in identities.of(session, cid) if i.type == "email" and i.is_primary]
    assert primaries == ["anna.nowak@example.com"]
    other = make_customer(given_name="Jan")
    with pytest.raises(IdentityTaken):
        identities.add_identity(
            session,
            customer_id=other,
            data=IdentityAdd(type=IdentityType.EMAIL, value="anna.nowak@example.com"),
        )


def test_marketing_is_off_until_given_and_every_answer_is_kept(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(**ANNA)
    assert consents.current(session, customer_id=cid) == {}
    for granted in (True, False):
        consents.set_consent(
            session,
            customer_id=cid,
            data=ConsentChangeIn(
                purpose=ConsentPurpose.MARKETING_SMS,
                granted=granted,
                policy_version="2026-10",
                evidence="checkbox at the till",
            ),
            channel="pos-krk",
        )
    state = consents.current(session, customer_id=cid)
    assert not state[ConsentPurpose.MARKETING_SMS].granted
    history = consents.history(session, customer_id=cid)
    assert [(h.granted, h.channel, h.evidence) for h in history] == [
        (True, "pos-krk", "checkbox at the till"),
        (False, "pos-krk", "checkbox at the till"),
    ]
    kinds = session.scalars(
        select(TimelineEntry.type).where(TimelineEntry.customer_id == cid)
    ).all()
    assert kinds.count("consent_changed") == 2
    assert "checkbox" not in raw_dump(session)
    assert session.scalar(select(ConsentChange.actor).limit(1)) == "test"


def test_every_write_and_every_revealing_read_is_in_the_audit_log(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(**ANNA)
    profiles.get_customer(session, customer_id=cid, reveal=False)
    profiles.get_customer(session, customer_id=cid, reveal=True, purpose="test")
    log = session.scalars(
        select(AuditEntry).where(AuditEntry.customer_id == cid).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor, e.purpose) for e in log] == [
        (audit.Action.CREATE, "test", None),
        (audit.Action.READ, "test", "test"),
    ]
    assert "given_name" in log[1].fields


def test_an_erased_profile_takes_no_more_writes(
    session: Session, make_customer: MakeCustomer
) -> None:
    from omnichannel.customers import privacy

    cid = make_customer(**ANNA)
    privacy.erase(session, customer_id=cid)
    with pytest.raises(CustomerErased):
        records.writable(session, cid)
