"""Stock levels, the movement ledger and its consistency check over HTTP."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from omnichannel.http.deps import SessionDep, require_staff
from omnichannel.http.errors import problem_responses
from omnichannel.http.pagination import CursorQuery, LimitQuery, page_of
from omnichannel.http.routing import Route
from omnichannel.inventory import service
from omnichannel.inventory.schemas import (
    DriftRead,
    MovementPage,
    MovementRead,
    StockLevelPage,
    StockLevelRead,
)
from omnichannel.kernel import Principal
from omnichannel.kernel.errors import InvalidInput
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, prefix="/inventory", tags=["inventory"])

# Back-office reads: a channel's key sees what it sells through its own endpoints.
Reader = Annotated[Principal, Depends(require_staff(Permission.INVENTORY_READ))]

VariantQuery = Annotated[uuid.UUID | None, Query(description="Only this variant.")]
LocationQuery = Annotated[uuid.UUID | None, Query(description="Only this location.")]


# A level is keyed by (variant, location) and the ledger by a growing integer, so
# their cursors carry those keys rather than the one id of `http.pagination`.


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None, size: int) -> bytes | None:
    """The cursor's bytes; a 64-bit id must fit a signed BIGINT."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != size or (size == 8 and raw[0] & 0x80):
        raise InvalidInput(
            "The cursor is not one this API issued.",
            errors=[{"field": "cursor", "message": "malformed cursor", "type": "invalid_cursor"}],
        )
    return raw


def level_cursor(variant_id: uuid.UUID, location_id: uuid.UUID) -> str:
    return _encode(variant_id.bytes + location_id.bytes)


def after_level(cursor: str | None) -> tuple[uuid.UUID, uuid.UUID] | None:
    raw = _decode(cursor, 32)
    return None if raw is None else (uuid.UUID(bytes=raw[:16]), uuid.UUID(bytes=raw[16:]))


def movement_cursor(movement_id: int) -> str:
    return _encode(movement_id.to_bytes(8, "big"))


def after_movement(cursor: str | None) -> int | None:
    raw = _decode(cursor, 8)
    return None if raw is None else int.from_bytes(raw, "big")


@router.get(
    "/levels",
    response_model=StockLevelPage,
    summary="Stock levels by variant and/or location",
    responses=problem_responses(401, 403, 422),
)
def list_levels(
    _: Reader,
    session: SessionDep,
    variant_id: VariantQuery = None,
    location_id: LocationQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> StockLevelPage:
    rows = service.list_levels(
        session,
        variant_id=variant_id,
        location_id=location_id,
        after=after_level(cursor),
        limit=limit,
    )
    page, next_cursor = page_of(
        rows, limit, cursor_of=lambda x: level_cursor(x.variant_id, x.location_id)
    )
    return StockLevelPage(
        items=[StockLevelRead.model_validate(x) for x in page], next_cursor=next_cursor
    )


@router.get(
    "/movements",
    response_model=MovementPage,
    summary="The movement ledger, oldest first",
    responses=problem_responses(401, 403, 422),
)
def list_movements(
    _: Reader,
    session: SessionDep,
    variant_id: VariantQuery = None,
    location_id: LocationQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> MovementPage:
    rows = service.list_movements(
        session,
        variant_id=variant_id,
        location_id=location_id,
        after=after_movement(cursor),
        limit=limit,
    )
    page, next_cursor = page_of(rows, limit, cursor_of=lambda x: movement_cursor(x.id))
    return MovementPage(
        items=[MovementRead.model_validate(x) for x in page], next_cursor=next_cursor
    )


@router.get(
    "/check",
    response_model=list[DriftRead],
    summary="Levels whose on-hand differs from their ledger (empty when healthy)",
    responses=problem_responses(401, 403),
)
def check_ledger(_: Reader, session: SessionDep) -> list[DriftRead]:
    return [
        DriftRead(
            variant_id=d.variant_id, location_id=d.location_id, on_hand=d.on_hand, ledger=d.ledger
        )
        for d in service.check_ledger(session)
    ]
