"""insert_new: a new aggregate written with one INSERT per table, then used as loaded."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from omnichannel.channels.models import Channel, ChannelLocation
from omnichannel.db.bulk import insert_new
from tests.statements import counting


def test_parents_go_first_and_children_get_their_keys(
    session: Session, make_location: Callable[..., uuid.UUID]
) -> None:
    wh, shop = make_location("WH-BULK", "warehouse"), make_location("ST-BULK")
    ch = Channel(
        code="bulk",
        name="Bulk",
        type="web",
        currency="PLN",
        locations=[
            ChannelLocation(role="sell_from", location_id=wh, position=0),
            ChannelLocation(role="sell_from", location_id=shop, position=1),
        ],
    )
    session.add(ch)
    with counting(session.get_bind()) as sent:  # type: ignore[arg-type]
        insert_new(session, Channel, ChannelLocation)
    assert len(sent) == 2  # one INSERT per table
    assert ch.id is not None  # the defaults, as a flush would apply them
    assert ch.version == 1
    assert ch.created_at is not None
    assert {cl.channel_id for cl in ch.locations} == {ch.id}
    assert inspect(ch).persistent
    assert inspect(ch.locations[0]).persistent
    linked = select(func.count()).where(ChannelLocation.channel_id == ch.id)
    assert session.scalar(linked) == 2


def test_the_written_objects_go_on_as_rows_an_update_not_a_second_insert(
    session: Session,
) -> None:
    ch = Channel(code="bulk2", name="Bulk", type="web", currency="PLN", locations=[])
    session.add(ch)
    insert_new(session, Channel)
    ch.name = "Renamed"
    session.flush()
    assert session.scalar(select(Channel.name).where(Channel.id == ch.id)) == "Renamed"
    assert session.scalar(select(func.count()).where(Channel.code == "bulk2")) == 1
    assert ch.version == 2  # the ORM's optimistic lock saw version 1 in the row


def test_nothing_pending_sends_nothing(session: Session) -> None:
    with counting(session.get_bind()) as sent:  # type: ignore[arg-type]
        insert_new(session, Channel)
    assert sent == []
