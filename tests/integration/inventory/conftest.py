"""A small stocked world for inventory tests: variants, a warehouse, two stores, a channel."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from omnichannel.catalog.importing import import_products
from omnichannel.catalog.schemas import ProductImport
from omnichannel.catalog.service import variant_ids_by_sku
from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.inventory import service as inventory
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location
from tests.conftest import location_doc


@dataclass
class World:
    variants: list[uuid.UUID]
    warehouse: uuid.UUID
    store: uuid.UUID
    other_store: uuid.UUID
    channel: inventory.ChannelStock


def build_world(session: Session, n_variants: int = 5, stock: int = 0) -> World:
    skus = [f"SKU-{i:03d}" for i in range(n_variants)]
    import_products(
        session,
        products=[
            ProductImport.model_validate(
                {"code": "P-1", "name": "Koszulka", "variants": [{"sku": s} for s in skus]}
            )
        ],
    )
    ids = variant_ids_by_sku(session, skus=skus)
    wh = create_location(
        session, data=LocationCreate.model_validate(location_doc("WH-1", "warehouse"))
    ).id
    st = create_location(session, data=LocationCreate.model_validate(location_doc("ST-1"))).id
    st2 = create_location(
        session,
        data=LocationCreate.model_validate(
            location_doc("ST-2", coordinates={"latitude": 50.0647, "longitude": 19.945})
        ),
    ).id
    ch = create_channel(
        session,
        data=ChannelCreate(
            code="web", name="Web", type="web", sell_from=[wh, st], pickup_at=[st, st2]
        ),
    )
    world = World(
        [ids[s] for s in skus], wh, st, st2, inventory.channel_for(session, channel_id=ch.id)
    )
    if stock:
        inventory.receive(
            session, location_id=wh, lines=[inventory.Change(v, stock) for v in world.variants]
        )
    session.flush()
    return world


def add_channel(
    session: Session,
    code: str,
    type_: str,
    sell_from: list[uuid.UUID],
    pickup_at: list[uuid.UUID] | None = None,
    **buffer: int,
) -> inventory.ChannelStock:
    """Another channel of the world: a marketplace or a social shop with its buffer."""
    ch = create_channel(
        session,
        data=ChannelCreate(
            code=code,
            name=code,
            type=type_,
            sell_from=sell_from,
            pickup_at=pickup_at or [],
            **buffer,
        ),
    )
    return inventory.channel_for(session, channel_id=ch.id)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, stock=10)


@pytest.fixture
def owner() -> Callable[[str], inventory.Owner]:
    from omnichannel.inventory.rules import OwnerType

    return lambda oid="cart-1": inventory.Owner(OwnerType.CART, oid)


def project_changes(session: Session) -> int:
    """What the availability consumer does with the level changes recorded in the
    session since the last call (a test's session never commits, so no worker can
    read them): availability events written."""
    from sqlalchemy import select

    from omnichannel.events.cursors import EVENT_COLUMNS, event_of, outbox
    from omnichannel.inventory.jobs import project_levels
    from omnichannel.schedule import availability

    after = session.info.get("test_projected_up_to", 0)
    rows = session.execute(
        select(*EVENT_COLUMNS).where(outbox.c.position > after).order_by(outbox.c.position)
    ).all()
    if not rows:
        return 0
    session.info["test_projected_up_to"] = rows[-1].position
    events = [e for e in map(event_of, rows) if availability().wants(e)]
    return project_levels(session, events)["published"] if events else 0
