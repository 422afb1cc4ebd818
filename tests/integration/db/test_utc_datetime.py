from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from omnichannel.db import OutboxEvent
from omnichannel.kernel import new_id


def test_times_come_back_as_the_same_instant_in_utc(session) -> None:  # type: ignore[no-untyped-def]
    warsaw_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    ev = OutboxEvent(
        event_id=new_id(),
        aggregate_type="t",
        aggregate_id="1",
        sequence=1,
        type="t",
        payload={},
        occurred_at=warsaw_noon,
    )
    session.add(ev)
    session.flush()
    session.expire_all()
    got = session.scalar(select(OutboxEvent.occurred_at).where(OutboxEvent.event_id == ev.event_id))
    assert got == warsaw_noon
    assert got.tzinfo == UTC


def test_a_naive_time_is_refused_rather_than_guessed(session) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import StatementError

    session.add(
        OutboxEvent(
            event_id=new_id(),
            aggregate_type="t",
            aggregate_id="1",
            sequence=1,
            type="t",
            payload={},
            occurred_at=datetime(2026, 7, 1, 12, 0),  # noqa: DTZ001
        )
    )
    with pytest.raises(StatementError, match="naive"):
        session.flush()
