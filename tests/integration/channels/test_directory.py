"""The worker's channel directory: read without a query once warm, never stale."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from omnichannel.carts import service as carts
from omnichannel.channels import directory
from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate, ChannelUpdate
from omnichannel.channels.service import (
    authenticate_api_key,
    create_channel,
    issue_api_key,
    update_channel,
)
from omnichannel.db import Database
from omnichannel.kernel.errors import InvalidInput
from tests.statements import counting


@pytest.fixture
def web(session: Session, make_location: Callable[..., uuid.UUID]) -> uuid.UUID:
    wh = make_location("WH-DIR", "warehouse")
    ch = create_channel(
        session, data=ChannelCreate(code="web", name="Sklep", type="web", sell_from=[wh])
    )
    session.commit()
    return ch.id


def test_a_deactivated_channel_is_refused_from_the_next_transaction(
    session: Session, web: uuid.UUID
) -> None:
    assert carts.seller(session, code="web").id == web  # warms the directory
    session.commit()
    update_channel(session, channel_id=web, data=ChannelUpdate(status="inactive"))
    session.commit()
    with pytest.raises(InvalidInput):
        carts.seller(session, code="web")


def test_new_sell_from_locations_are_used_at_once(
    session: Session, web: uuid.UUID, make_location: Callable[..., uuid.UUID]
) -> None:
    carts.seller(session, channel_id=web)
    session.commit()
    shop = make_location("ST-DIR")
    update_channel(session, channel_id=web, data=ChannelUpdate(sell_from=[shop]))
    assert carts.seller(session, channel_id=web).sell_from == (shop,)  # in the same transaction
    session.commit()
    assert carts.seller(session, channel_id=web).sell_from == (shop,)


def test_a_rolled_back_change_leaves_the_directory_as_it_was(
    db: Database, session: Session, web: uuid.UUID
) -> None:
    other = db.session()
    update_channel(other, channel_id=web, data=ChannelUpdate(name="Renamed"))
    assert carts.seller(other, channel_id=web).code == "web"
    other.rollback()
    other.close()
    assert directory.current(session).by_id[web].name == "Sklep"


def test_once_warm_a_seller_costs_one_token_read_and_after_key_sign_in_none(
    db: Database, session: Session, web: uuid.UUID
) -> None:
    _, key = issue_api_key(
        session, channel_id=web, data=ApiKeyCreate(name="k", scopes=[Scope.CARTS_WRITE])
    )
    session.commit()
    carts.seller(session, code="web")
    session.commit()
    with counting(db.engine) as sent:
        carts.seller(session, code="web")
    assert len(sent) == 1  # the token
    session.commit()
    authenticate_api_key(session, key=key)
    with counting(db.engine) as sent:
        carts.seller(session, channel_id=web)
    assert sent == []
