"""Pricing administration over HTTP: price lists, prices, the bulk import, promotions
and coupons."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from omnichannel.http.deps import IfMatch, SessionDep, etag, parse_if_match, require, require_staff
from omnichannel.http.errors import problem_responses
from omnichannel.http.pagination import (
    CursorQuery,
    LimitQuery,
    decode_cursor,
    encode_cursor,
    page_of,
)
from omnichannel.http.routing import Route
from omnichannel.kernel import Principal
from omnichannel.pricing import service
from omnichannel.pricing.models import Promotion
from omnichannel.pricing.rules import PromotionKind, PromotionStatus
from omnichannel.pricing.schemas import (
    CouponIssue,
    CouponPage,
    CouponRead,
    CouponsIssued,
    CouponUpdate,
    PriceImport,
    PriceImportResult,
    PriceListCreate,
    PriceListRead,
    PriceListUpdate,
    PricePage,
    PriceRead,
    PricesResult,
    PricesSet,
    PromotionCreate,
    PromotionPage,
    PromotionRead,
    PromotionUpdate,
    TargetsRead,
)
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, prefix="/pricing", tags=["pricing"])

# Back-office reads: a channel's key sees what it sells through its own endpoints.
Reader = Annotated[Principal, Depends(require_staff(Permission.PRICING_READ))]
Writer = Annotated[Principal, Depends(require(Permission.PRICING_WRITE))]

_READ = problem_responses(401, 403, 404, 422)
_WRITE = problem_responses(401, 403, 404, 409, 422)
_EDIT = problem_responses(401, 403, 404, 409, 412, 422)


# --- price lists ----------------------------------------------------------------------


@router.post(
    "/price-lists",
    response_model=PriceListRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a price list (base, segment or channel override)",
    responses=problem_responses(401, 403, 409, 422),
)
def create_price_list(
    data: PriceListCreate, _: Writer, session: SessionDep, response: Response
) -> PriceListRead:
    pl = service.create_price_list(session, data=data)
    response.headers["ETag"] = etag(pl.version)
    response.headers["Location"] = f"/api/v1/pricing/price-lists/{pl.id}"
    return PriceListRead.model_validate(pl)


@router.get(
    "/price-lists",
    response_model=list[PriceListRead],
    summary="Every price list",
    responses=problem_responses(401, 403),
)
def list_price_lists(_: Reader, session: SessionDep) -> list[PriceListRead]:
    return [PriceListRead.model_validate(x) for x in service.list_price_lists(session)]


@router.get(
    "/price-lists/{price_list_id}",
    response_model=PriceListRead,
    summary="One price list",
    responses=_READ,
)
def get_price_list(
    price_list_id: uuid.UUID, _: Reader, session: SessionDep, response: Response
) -> PriceListRead:
    pl = service.get_price_list(session, price_list_id=price_list_id)
    response.headers["ETag"] = etag(pl.version)
    return PriceListRead.model_validate(pl)


@router.patch(
    "/price-lists/{price_list_id}",
    response_model=PriceListRead,
    summary="Rename, re-prioritise or (de)activate a price list",
    responses=_EDIT,
)
def update_price_list(
    price_list_id: uuid.UUID,
    data: PriceListUpdate,
    _: Writer,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> PriceListRead:
    pl = service.update_price_list(
        session, price_list_id=price_list_id, data=data, if_version=parse_if_match(if_match)
    )
    response.headers["ETag"] = etag(pl.version)
    return PriceListRead.model_validate(pl)


@router.put(
    "/price-lists/{price_list_id}/prices",
    response_model=PricesResult,
    summary="Set or schedule prices in a list, all or nothing",
    responses=_WRITE,
)
def set_prices(
    price_list_id: uuid.UUID, data: PricesSet, _: Writer, session: SessionDep
) -> PricesResult:
    changed = service.set_prices(
        session,
        price_list_id=price_list_id,
        changes=[service.PriceChange(p.variant_id, p.amount, p.valid_from) for p in data.prices],
    )
    pl = service.get_price_list(session, price_list_id=price_list_id)
    return PricesResult(price_list=pl.code, changed=changed)


@router.get(
    "/price-lists/{price_list_id}/prices",
    response_model=PricePage,
    summary="Current and scheduled prices of a list, by variant",
    responses=_READ,
)
def list_prices(
    price_list_id: uuid.UUID,
    _: Reader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    variant_id: Annotated[uuid.UUID | None, Query(description="Only this variant.")] = None,
) -> PricePage:
    rows, last = service.list_prices(
        session,
        price_list_id=price_list_id,
        after=decode_cursor(cursor),
        limit=limit,
        variant_id=variant_id,
    )
    return PricePage(
        items=[PriceRead.model_validate(r) for r in rows],
        next_cursor=encode_cursor(last) if last else None,
    )


@router.post(
    "/prices/import",
    response_model=PriceImportResult,
    summary="Import up to 10,000 prices by SKU and list code, all or nothing",
    responses=problem_responses(401, 403, 409, 422),
)
def import_prices(data: PriceImport, _: Writer, session: SessionDep) -> PriceImportResult:
    return service.import_prices(session, rows=data.rows)


# --- promotions -----------------------------------------------------------------------


def _read(p: Promotion, used: tuple[int, int]) -> PromotionRead:
    targets = p.targets or {}
    return PromotionRead(
        id=p.id,
        code=p.code,
        name=p.name,
        description=p.description,
        kind=PromotionKind(p.kind),
        status=PromotionStatus(p.status),
        percent=p.percent_bp / 100 if p.percent_bp is not None else None,
        amount=p.amount,
        threshold=p.threshold,
        buy_quantity=p.buy_quantity,
        get_quantity=p.get_quantity,
        bundle_size=p.bundle_size,
        bundle_price=p.bundle_price,
        currency=p.currency,
        targets=TargetsRead.model_validate(targets),
        segments=list(p.segments or []),
        channels=list(p.channels or []),
        stacking=p.stacking,
        priority=p.priority,
        starts_at=p.starts_at,
        ends_at=p.ends_at,
        requires_coupon=p.requires_coupon,
        max_uses=p.max_uses,
        max_uses_per_customer=p.max_uses_per_customer,
        budget=p.budget,
        uses=used[0],
        spent=used[1],
        version=p.version,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _one(session: SessionDep, p: Promotion, response: Response) -> PromotionRead:
    response.headers["ETag"] = etag(p.version)
    used = service.usage(session, promotion_ids=[p.id]).get(p.id, (0, 0))
    return _read(p, used)


@router.post(
    "/promotions",
    response_model=PromotionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a promotion",
    responses=problem_responses(401, 403, 409, 422),
)
def create_promotion(
    data: PromotionCreate, _: Writer, session: SessionDep, response: Response
) -> PromotionRead:
    p = service.create_promotion(session, data=data)
    response.headers["Location"] = f"/api/v1/pricing/promotions/{p.id}"
    return _one(session, p, response)


@router.get(
    "/promotions",
    response_model=PromotionPage,
    summary="Promotions, newest last",
    responses=problem_responses(401, 403, 422),
)
def list_promotions(
    _: Reader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    status_: Annotated[PromotionStatus | None, Query(alias="status")] = None,
    kind: Annotated[PromotionKind | None, Query()] = None,
) -> PromotionPage:
    rows = service.list_promotions(
        session, after=decode_cursor(cursor), limit=limit, status=status_, kind=kind
    )
    items, next_cursor = page_of(rows, limit)
    used = service.usage(session, promotion_ids=[p.id for p in items])
    return PromotionPage(
        items=[_read(p, used.get(p.id, (0, 0))) for p in items], next_cursor=next_cursor
    )


@router.get(
    "/promotions/{promotion_id}",
    response_model=PromotionRead,
    summary="One promotion with its usage",
    responses=_READ,
)
def get_promotion(
    promotion_id: uuid.UUID, _: Reader, session: SessionDep, response: Response
) -> PromotionRead:
    return _one(session, service.get_promotion(session, promotion_id=promotion_id), response)


@router.patch(
    "/promotions/{promotion_id}",
    response_model=PromotionRead,
    summary="Change, pause, resume or archive a promotion",
    responses=_EDIT,
)
def update_promotion(
    promotion_id: uuid.UUID,
    data: PromotionUpdate,
    _: Writer,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> PromotionRead:
    p = service.update_promotion(
        session, promotion_id=promotion_id, data=data, if_version=parse_if_match(if_match)
    )
    return _one(session, p, response)


# --- coupons --------------------------------------------------------------------------


@router.post(
    "/promotions/{promotion_id}/coupons",
    response_model=CouponsIssued,
    status_code=status.HTTP_201_CREATED,
    summary="Issue coupon codes for a promotion, or generate a batch",
    responses=_WRITE,
)
def issue_coupons(
    promotion_id: uuid.UUID, data: CouponIssue, _: Writer, session: SessionDep
) -> CouponsIssued:
    p, codes = service.issue_coupons(session, promotion_id=promotion_id, data=data)
    return CouponsIssued(promotion_id=p.id, batch=data.batch, codes=codes)


@router.get(
    "/promotions/{promotion_id}/coupons",
    response_model=CouponPage,
    summary="A promotion's coupons (codes are secrets: writers only)",
    responses=_READ,
)
def list_coupons(
    promotion_id: uuid.UUID,
    _: Writer,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    batch: Annotated[str | None, Query(max_length=64)] = None,
) -> CouponPage:
    rows = service.list_coupons(
        session, promotion_id=promotion_id, after=decode_cursor(cursor), limit=limit, batch=batch
    )
    items, next_cursor = page_of(rows, limit)
    return CouponPage(items=[CouponRead.model_validate(c) for c in items], next_cursor=next_cursor)


@router.get(
    "/coupons/{code}",
    response_model=CouponRead,
    summary="One coupon by its code",
    responses=_READ,
)
def get_coupon(code: str, _: Writer, session: SessionDep) -> CouponRead:
    return CouponRead.model_validate(service.get_coupon(session, code=code))


@router.patch(
    "/coupons/{code}",
    response_model=CouponRead,
    summary="Revoke, re-activate or re-date a coupon",
    responses=_WRITE,
)
def update_coupon(code: str, data: CouponUpdate, _: Writer, session: SessionDep) -> CouponRead:
    return CouponRead.model_validate(service.update_coupon(session, code=code, data=data))
