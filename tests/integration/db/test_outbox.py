"""Promise 5: an event and the change it reports are written together or not at all."""

import pytest
from sqlalchemy import func, select

from omnichannel.db import Database, OutboxEvent, record_event, shard_of, unit_of_work
from omnichannel.locations.models import Location
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location

STORE = {
    "code": "ST-TEST-01",
    "name": "Test store",
    "type": "store",
    "address": {"street": "ul. Piotrkowska 1", "city": "Łódź", "postcode": "90-001"},
    "coordinates": {"latitude": 51.77, "longitude": 19.46},
}


def _counts(db: Database) -> tuple[int, int]:
    with unit_of_work(db, read_only=True) as s:
        return s.scalar(select(func.count()).select_from(Location)) or 0, s.scalar(
            select(func.count()).select_from(OutboxEvent)
        ) or 0


def test_an_error_after_the_change_and_its_event_leaves_neither(committing_db: Database) -> None:
    def change_then_fail() -> None:
        with unit_of_work(committing_db) as s:
            create_location(s, data=LocationCreate.model_validate(STORE))
            s.flush()
            assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 1
            raise RuntimeError("boom after both writes")

    with pytest.raises(RuntimeError, match="after both writes"):
        change_then_fail()
    assert _counts(committing_db) == (0, 0)


def test_a_committed_change_has_exactly_its_event(committing_db: Database) -> None:
    with unit_of_work(committing_db, actor="staff:test") as s:
        loc = create_location(s, data=LocationCreate.model_validate(STORE))
    assert _counts(committing_db) == (1, 1)
    with unit_of_work(committing_db, read_only=True) as s:
        event = s.scalars(select(OutboxEvent)).one()
    assert event.type == "location.created"
    assert event.aggregate_id == str(loc.id)
    assert event.sequence == 1
    assert event.actor == "staff:test"
    assert event.shard == shard_of("location", str(loc.id))
    assert event.occurred_at.tzinfo is not None


def test_two_events_cannot_claim_the_same_place_in_one_aggregates_sequence(session) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import IntegrityError

    record_event(
        session, aggregate_type="thing", aggregate_id="1", sequence=1, type="thing.made", payload={}
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        record_event(
            session,
            aggregate_type="thing",
            aggregate_id="1",
            sequence=1,
            type="thing.made",
            payload={},
        )


def test_event_payloads_keep_polish_text_and_ids(session) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.kernel import new_id

    some_id = new_id()
    record_event(
        session,
        aggregate_type="thing",
        aggregate_id=some_id,
        sequence=1,
        type="thing.made",
        payload={"name": "Żółta koszulka", "id": some_id},
    )
    event = session.scalars(
        select(OutboxEvent).where(OutboxEvent.aggregate_id == str(some_id))
    ).one()
    assert event.payload == {"name": "Żółta koszulka", "id": str(some_id)}
