"""Cursor pagination: opaque, stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from omnichannel.kernel.errors import InvalidInput

T = TypeVar("T")

MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last."
    )


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error):
        raise InvalidInput(
            "The cursor is not one this API issued.",
            errors=[{"field": "cursor", "message": "malformed cursor", "type": "invalid_cursor"}],
        ) from None


CursorQuery = Annotated[
    str | None, Query(description="Opaque cursor from the previous page's `next_cursor`.")
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]


def page_of(
    rows: list[T], limit: int, id_of: str = "id", cursor_of: Callable[[T], str] | None = None
) -> tuple[list[T], str | None]:
    """Split a `limit + 1` fetch into the page and the cursor of the next one.

    The cursor is the last row's UUID `id_of`, unless `cursor_of` encodes another key."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    last = page[-1]
    return page, cursor_of(last) if cursor_of else encode_cursor(getattr(last, id_of))
