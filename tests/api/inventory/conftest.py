"""A small shop for the inventory API: variants, a warehouse, two stores, and a web
channel that sells from the warehouse and the first store and offers pickup at both."""

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from omnichannel.catalog.importing import import_products
from omnichannel.catalog.schemas import ProductImport
from omnichannel.catalog.service import variant_ids_by_sku
from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate
from omnichannel.channels.service import create_channel, issue_api_key
from omnichannel.inventory import service as inventory
from omnichannel.locations.schemas import LocationCreate
from omnichannel.locations.service import create_location
from tests.conftest import location_doc

WARSAW = {"latitude": 52.2297, "longitude": 21.0122}
KRAKOW = {"latitude": 50.0647, "longitude": 19.945}


@dataclass
class Shop:
    skus: list[str]
    variants: list[uuid.UUID]
    warehouse: uuid.UUID
    store: uuid.UUID  # Warsaw
    other_store: uuid.UUID  # Kraków
    channel_id: uuid.UUID
    web: dict[str, str]  # the web channel's API key: inventory:read and inventory:reserve

    def stock(
        self, session: Session, location_id: uuid.UUID, units: int, *variants: uuid.UUID
    ) -> None:
        """Receive `units` of each variant (all of them by default) at a location."""
        inventory.receive(
            session,
            location_id=location_id,
            lines=[inventory.Change(v, units) for v in (variants or self.variants)],
        )
        session.commit()


def _location(session: Session, code: str, type_: str = "store", **overrides: object) -> uuid.UUID:
    doc = location_doc(code, type_, **overrides)
    return create_location(session, data=LocationCreate.model_validate(doc)).id


@pytest.fixture
def shop(session: Session) -> Shop:
    skus = [f"TS-{i:02d}" for i in range(3)]
    import_products(
        session,
        products=[
            ProductImport.model_validate(
                {"code": "TS", "name": "Koszulka", "variants": [{"sku": s} for s in skus]}
            )
        ],
    )
    ids = variant_ids_by_sku(session, skus=skus)
    wh = _location(session, "WH-1", "warehouse")
    st = _location(session, "ST-WAW", coordinates=WARSAW)
    st2 = _location(session, "ST-KRK", coordinates=KRAKOW)
    ch = create_channel(
        session,
        data=ChannelCreate(
            code="web", name="Web", type="web", sell_from=[wh, st], pickup_at=[st, st2]
        ),
    )
    _, secret = issue_api_key(
        session,
        channel_id=ch.id,
        data=ApiKeyCreate(name="web", scopes=[Scope.INVENTORY_READ, Scope.INVENTORY_RESERVE]),
    )
    session.commit()
    return Shop(skus, [ids[s] for s in skus], wh, st, st2, ch.id, {"X-Api-Key": secret})


@pytest.fixture
def stocked(shop: Shop, session: Session) -> Shop:
    """The shop with 10 of every variant in the warehouse."""
    shop.stock(session, shop.warehouse, 10)
    return shop
