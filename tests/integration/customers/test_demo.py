"""The demo's customers load through the services: history, cases, segments."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.customers import segments
from omnichannel.customers.models import Customer, ServiceCase, TimelineEntry
from omnichannel.demo import data
from omnichannel.demo.customers import COUNT, SEGMENTS, load_customers
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location
from tests.integration.customers.conftest import raw_dump


def test_the_demo_customers_load_with_their_story(session: Session) -> None:
    ids: dict[str, uuid.UUID] = {}
    for doc in data.LOCATIONS:
        ids[doc["code"]] = create_location(session, data=LocationCreate.model_validate(doc)).id
    for code, name, type_, _sell, _pickup in data.CHANNELS:
        create_channel(session, data=ChannelCreate(code=code, name=name, type=type_))
    assert len(load_customers(session, seed=2026, skus=["TS-1-M"], location_ids=ids)) == COUNT + 1
    assert session.scalar(select(func.count()).select_from(Customer)) == COUNT + 1
    assert (session.scalar(select(func.count()).select_from(TimelineEntry)) or 0) > 3 * COUNT
    assert session.scalar(select(func.count()).select_from(ServiceCase)) == 3
    sizes = segments.sizes(session, [s.id for s in segments.list_segments(session)])
    assert len(sizes) == len(SEGMENTS)
    assert all(n > 0 for n in sizes.values())
    assert "@example.com" not in raw_dump(session)
