"""The quote, prices to display (with the EU Omnibus reference), price history and the
channel parity report over HTTP. Every channel asks the same questions here and gets
the same answers; a channel's API key is recorded as the quote's channel.

Prices cannot be claimed: a customer's segment prices follow from `customer_id` (their
profile's segments). Naming segments is a preview, for staff with `pricing:preview`;
anyone else naming one gets a 403 rather than a field silently ignored.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from omnichannel.http import throttle
from omnichannel.http.deps import READS_ONLY, SessionDep, require, require_staff
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.kernel.errors import InvalidInput
from omnichannel.pricing import service
from omnichannel.pricing.display import MAX_VARIANTS
from omnichannel.pricing.errors import SegmentsNotClaimable, field_error
from omnichannel.pricing.rules import SEGMENT_PATTERN
from omnichannel.pricing.schemas import check_currency
from omnichannel.pricing.schemas_quote import (
    DifferenceRead,
    DisplayPriceRead,
    HistoryRead,
    OverrideRead,
    ParityRead,
    QuoteRead,
    QuoteRequest,
    quote_read,
)
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, prefix="/pricing", tags=["pricing"])

Reader = Annotated[Principal, Depends(require(Permission.PRICING_READ))]
# Every list's history (scheduled prices included) and the parity report are the
# back office's: a channel shows prices through the quote and `GET /pricing/prices`.
BackOffice = Annotated[Principal, Depends(require_staff(Permission.PRICING_READ))]

CurrencyQuery = Annotated[
    str, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.", examples=["PLN"])
]
SegmentsQuery = Annotated[
    list[str] | None,
    Query(
        alias="segment",
        max_length=20,
        description="Preview (needs pricing:preview): price as members of these segments "
        "(repeat the parameter).",
    ),
]
ChannelQuery = Annotated[
    str | None,
    Query(
        max_length=32,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Staff only: price as this channel would (a channel key is its channel).",
    ),
]


def _channel(principal: Principal, asked: str | None) -> str | None:
    """A channel quotes as itself; staff may name one (attribution and overrides)."""
    if principal.kind == "channel":
        if asked is not None and asked != principal.channel_code:
            raise InvalidInput(
                "A channel's API key quotes as its own channel.",
                errors=[field_error("channel", "not this key's channel", "wrong_channel")],
            )
        return principal.channel_code
    return asked


def _currency(value: str) -> str:
    try:
        return check_currency(value)
    except ValueError as e:
        raise InvalidInput(
            str(e), errors=[field_error("currency", str(e), "unsupported_currency")]
        ) from None


def _claimed(principal: Principal, segments: list[str], field: str) -> list[str]:
    """Segments the caller names: only a preview by staff allowed one may."""
    if segments and not principal.can(Permission.PRICING_PREVIEW):
        raise SegmentsNotClaimable(
            "Segment prices follow from the customer's profile (`customer_id`); naming "
            "segments is a preview that needs pricing:preview.",
            errors=[field_error(field, "needs pricing:preview", "segments_not_claimable")],
            required=Permission.PRICING_PREVIEW.value,
        )
    return segments


def _segments(values: list[str] | None) -> list[str]:
    out = values or []
    for i, s in enumerate(out):
        if not re.match(SEGMENT_PATTERN, s):
            raise InvalidInput(
                f"{s!r} is not a segment code.",
                errors=[
                    field_error(f"segment.{i}", "not a segment code", "string_pattern_mismatch")
                ],
            )
    return out


@router.post(
    "/quote",
    response_model=QuoteRead,
    summary="Price a cart: lines, promotions, coupons, VAT, totals",
    responses=problem_responses(401, 403, 404, 422, 429),
    openapi_extra=READS_ONLY,
    # A quote naming coupon codes guesses them: rate limited (http.throttle).
    dependencies=[throttle.COUPON],
)
def quote(data: QuoteRequest, principal: Reader, session: SessionDep) -> QuoteRead:
    q = service.quote(
        session,
        items=[service.Item(x.variant_id, x.quantity) for x in data.lines],
        currency=data.currency,
        segments=_claimed(principal, data.segments, "segments"),
        customer_id=data.customer_id,
        coupons=data.coupons,
        channel=_channel(principal, data.channel),
        at=data.at,
        delivery_price=data.delivery_price,
        delivery_method=data.delivery_method,
        cash_on_delivery=data.cash_on_delivery,
    )
    return quote_read(q)


@router.get(
    "/prices",
    response_model=list[DisplayPriceRead],
    summary="Prices to show, with the lowest price of the 30 days before a reduction",
    responses=problem_responses(401, 403, 422),
)
def display_prices(
    principal: Reader,
    session: SessionDep,
    variant_id: Annotated[
        list[uuid.UUID], Query(min_length=1, max_length=MAX_VARIANTS, description="Repeat it.")
    ],
    currency: CurrencyQuery = "PLN",
    segments: SegmentsQuery = None,
    channel: ChannelQuery = None,
    at: Annotated[datetime | None, Query(description="Default now; with a time zone.")] = None,
) -> list[DisplayPriceRead]:
    if at is not None and at.tzinfo is None:
        raise InvalidInput(
            "`at` needs a time zone.",
            errors=[field_error("at", "needs a time zone", "timezone_aware")],
        )
    found = service.display_prices(
        session,
        variant_ids=variant_id,
        currency=_currency(currency),
        segments=_claimed(principal, _segments(segments), "segment"),
        channel=_channel(principal, channel),
        at=at,
    )
    return [
        DisplayPriceRead(
            variant_id=d.variant_id,
            sku=d.sku,
            currency=d.currency,
            price_list=d.price_list,
            list_price=d.list_price,
            price=d.price,
            base_price=d.base_price,
            promotions=list(d.promotions),
            on_promotion=d.on_promotion,
            lowest_price_30d=d.lowest_price_30d,
            reduction_started_at=d.reduction_started_at,
        )
        for d in found
    ]


@router.get(
    "/variants/{variant_id}/history",
    response_model=list[HistoryRead],
    summary="A variant's recorded prices per list, scheduled ones included",
    responses=problem_responses(401, 403, 404, 422),
)
def price_history(
    variant_id: uuid.UUID,
    _: BackOffice,
    session: SessionDep,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> list[HistoryRead]:
    rows = service.price_history(session, variant_id=variant_id, currency=currency)
    return [
        HistoryRead(
            price_list=r.price_list,
            currency=r.currency,
            starts_at=r.starts_at,
            list_price=r.list_price,
            price=r.price,
        )
        for r in rows
    ]


@router.get(
    "/parity",
    response_model=ParityRead,
    summary="Quote sample carts in every channel; list every difference and its cause",
    responses=problem_responses(401, 403, 422),
)
def parity(
    _: BackOffice,
    session: SessionDep,
    currency: CurrencyQuery = "PLN",
    carts: Annotated[int, Query(ge=1, le=200, description="Random carts to try.")] = 20,
) -> ParityRead:
    r = service.parity(session, currency=_currency(currency), carts=carts)
    return ParityRead(
        at=r.at,
        currency=r.currency,
        channels=list(r.channels),
        carts=r.carts,
        quotes=r.quotes,
        overrides=[
            OverrideRead(kind=o.kind, code=o.code, channels=list(o.channels)) for o in r.overrides
        ],
        differences=[
            DifferenceRead(
                channel=d.channel,
                segments=list(d.segments),
                cart=list(d.cart),
                sku=d.sku,
                field=d.field,
                reference=d.reference,
                value=d.value,
                cause=d.cause,
            )
            for d in r.differences
        ],
    )
