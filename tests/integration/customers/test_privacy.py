"""Privacy by design: nothing personal in the clear on disk, erasure that leaves no
trace in any table (the outbox included), and an export of everything held."""

import uuid
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.customers import cases, identities, privacy, profiles, resolution, timeline
from omnichannel.customers.models import Customer, TimelineEntry
from omnichannel.customers.rules import IdentityType, TimelineType
from omnichannel.customers.schemas import CustomerCreate, IdentityIn
from omnichannel.customers.schemas_activity import CaseCreate, CaseMessageIn
from omnichannel.db import Database, unit_of_work
from omnichannel.kernel import Money
from omnichannel.migrations.models import metadata
from tests.integration.customers.conftest import MakeCustomer, opened_dump, raw_dump

EMAIL = "zofia.wisniewska.7391@example.com"
PHONE = "+48 512 873 904"
PHONE_E164 = "+48512873904"


def _seed(db: Database) -> uuid.UUID:
    with unit_of_work(db, actor="test") as s:
        create_channel(s, data=ChannelCreate(code="web", name="Web", type="web"))
        cid = profiles.create_customer(
            s,
            data=CustomerCreate.model_validate(
                {
                    "given_name": "Zofia",
                    "family_name": "Wiśniewska",
                    "emails": [EMAIL],
                    "phones": [PHONE],
                    "addresses": [
                        {
                            "street": "ul. Piotrkowska 101",
                            "postcode": "90-425",
                            "city": "Łódź",
                            "phone": PHONE,
                        }
                    ],
                }
            ),
            channel="web",
        ).customer.id
        resolution.find_or_attach(
            s, identities=[IdentityIn(type=IdentityType.EMAIL, value=EMAIL.upper())]
        )
    return cid


def _database_bytes(db: Database) -> bytes:
    """What an attacker with the disk (SQLite) or a dump (PostgreSQL) would read."""
    if db.backend == "sqlite":
        path = Path(str(db.engine.url.database))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    with db.engine.connect() as conn:
        rows = [
            row[0]
            for t in metadata.sorted_tables
            for row in conn.execute(text(f"SELECT row_to_json(t)::text FROM {t.name} t"))  # noqa: S608
        ]
    return "\n".join(rows).encode()


def test_the_stored_database_holds_no_email_or_phone_of_a_customer_in_the_clear(
    committing_db: Database,
) -> None:
    cid = _seed(committing_db)
    stored = _database_bytes(committing_db)
    assert b"customers.created" in stored  # it did read the rows
    for plain in (EMAIL, EMAIL.split("@")[0], PHONE, PHONE_E164, "512873904", "Wiśniewska"):
        assert plain.encode() not in stored, plain
    with unit_of_work(committing_db, read_only=True) as s:
        assert identities.find_customer_id(s, type=IdentityType.PHONE, value=PHONE) == cid


MARKER = "Qx7marker9Zt"


def _plant(session: Session, make_customer: MakeCustomer) -> uuid.UUID:
    cid = make_customer(
        channel="web",
        given_name=f"Ewa{MARKER}",
        family_name=f"Nowak{MARKER}",
        emails=[f"{MARKER.lower()}@example.com"],
        addresses=[{"street": f"ul. {MARKER} 5", "postcode": "00-950", "city": "Warszawa"}],
        notes=f"notes {MARKER}",
        consents=[{"purpose": "marketing_email", "granted": True, "evidence": f"ip {MARKER}"}],
    )
    timeline.append(
        session,
        customer_id=cid,
        type=TimelineType.CALL,
        summary=f"Rozmowa: {MARKER}",
        data={"said": MARKER},
    )
    timeline.append(
        session, customer_id=cid, type=TimelineType.ORDER_PLACED, amount=Money(5_000, "PLN")
    )
    case = cases.open_case(
        session,
        customer_id=cid,
        data=CaseCreate.model_validate(
            {"subject": f"Reklamacja {MARKER}", "category": "complaint", "message": MARKER}
        ),
        channel="web",
    )
    cases.add_message(
        session, case_id=case.id, data=CaseMessageIn(body=f"Odpowiedź {MARKER}"), author="test"
    )
    session.commit()
    return cid


def test_after_erasure_the_marker_is_in_no_table_even_decrypted(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = _plant(session, make_customer)
    assert MARKER in opened_dump(session)  # the scan would see it
    assert MARKER not in raw_dump(session)  # sealed at rest all along

    privacy.erase(session, customer_id=cid)
    session.commit()

    assert MARKER not in opened_dump(session)
    assert MARKER.lower() not in opened_dump(session)
    erased = session.get(Customer, cid)
    assert erased is not None
    assert erased.status == "erased"
    kept = session.execute(
        select(TimelineEntry.type, TimelineEntry.amount_minor, TimelineEntry.summary)
        .where(TimelineEntry.customer_id == cid)
        .order_by(TimelineEntry.id)
    ).all()
    assert ("order_placed", 5_000, None) in kept  # the pseudonymous skeleton stays
    assert (
        identities.find_customer_id(
            session, type=IdentityType.EMAIL, value=f"{MARKER.lower()}@example.com"
        )
        is None
    )


def test_erasing_twice_changes_nothing_and_the_email_may_start_a_new_profile(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = make_customer(given_name="Ewa", emails=["ewa@example.com"])
    privacy.erase(session, customer_id=cid)
    again = privacy.erase(session, customer_id=cid)
    assert again.version == 2
    fresh = resolution.find_or_attach(
        session, identities=[IdentityIn(type=IdentityType.EMAIL, value="ewa@example.com")]
    )
    assert fresh.created
    assert fresh.customer_id != cid


def test_an_export_holds_everything_and_is_audited(
    session: Session, make_customer: MakeCustomer
) -> None:
    cid = _plant(session, make_customer)
    other = make_customer(given_name="Ewa", phones=["+48 600 100 200"])
    from omnichannel.customers import merge

    merge.merge_customers(session, survivor_id=cid, source_id=other)
    out = privacy.export(session, customer_id=other)
    assert out.profile.customer.id == cid
    assert out.merged_ids == [other]
    assert {i.type for i in out.profile.identities} == {"email", "phone"}
    kinds = [t.type for t in out.timeline]  # oldest first
    assert (kinds.count("profile_created"), kinds[-1]) == (2, "profile_merged")
    assert len(out.cases) == 1
    assert len(out.cases[0][1]) == 2
    assert [c.purpose for c in out.consent_history] == ["marketing_email"]
    assert out.consent_history[0].evidence == f"ip {MARKER}"
    assert out.access_log[-1].action != "export"  # the export's own row comes after it
