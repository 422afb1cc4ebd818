"""Stock operations over HTTP: receipts, adjustments, counts, transfers (staff, at
their own locations), and the manager's policies, safety stock and ERP sync."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy.orm import Session

from omnichannel.catalog import service as catalog
from omnichannel.http.deps import SessionDep, require, require_location_access, require_staff
from omnichannel.http.errors import problem_responses
from omnichannel.http.routing import Route
from omnichannel.inventory import service
from omnichannel.inventory.importing import resolve_levels
from omnichannel.inventory.rules import MovementKind
from omnichannel.inventory.schemas import (
    AdjustmentCreate,
    CountCreate,
    CountDifference,
    CountResult,
    PolicyRead,
    PolicyUpdate,
    ReceiptCreate,
    SafetyStockRead,
    SafetyStockUpdate,
    StockLevelRead,
    StockSync,
    SyncResult,
    TransferCreate,
    TransferLineRead,
    TransferRead,
)
from omnichannel.kernel import NotFound, Principal
from omnichannel.security.service import Permission

router = APIRouter(route_class=Route, prefix="/inventory", tags=["inventory"])

# Back-office reads: a channel's key sees what it sells through its own endpoints.
Reader = Annotated[Principal, Depends(require_staff(Permission.INVENTORY_READ))]
Writer = Annotated[Principal, Depends(require(Permission.INVENTORY_WRITE))]
Manager = Annotated[Principal, Depends(require(Permission.INVENTORY_MANAGE))]

_OPERATION = problem_responses(401, 403, 409, 422)


def _levels(
    session: Session, location_id: uuid.UUID, variant_ids: Iterable[uuid.UUID]
) -> list[StockLevelRead]:
    """The levels an operation just changed, in the order asked."""
    out = []
    for v in dict.fromkeys(variant_ids):
        out += service.list_levels(session, variant_id=v, location_id=location_id, limit=1)[:1]
    return [StockLevelRead.model_validate(x) for x in out]


def _transfer(session: Session, transfer: Any) -> TransferRead:
    return TransferRead(
        id=transfer.id,
        from_location_id=transfer.from_location_id,
        to_location_id=transfer.to_location_id,
        status=transfer.status,
        reference=transfer.reference,
        created_at=transfer.created_at,
        received_at=transfer.received_at,
        lines=[
            TransferLineRead.model_validate(x)
            for x in service.transfer_lines(session, transfer_id=transfer.id)
        ],
    )


# --- staff stock operations -------------------------------------------------------------


@router.post(
    "/receipts",
    response_model=list[StockLevelRead],
    summary="Goods arrived at a location",
    responses=_OPERATION,
)
def receive(data: ReceiptCreate, principal: Writer, session: SessionDep) -> list[StockLevelRead]:
    require_location_access(principal, data.location_id)
    service.receive(
        session,
        location_id=data.location_id,
        lines=[service.Change(x.variant_id, x.quantity) for x in data.lines],
        reference=data.reference,
    )
    return _levels(session, data.location_id, (x.variant_id for x in data.lines))


@router.post(
    "/adjustments",
    response_model=StockLevelRead,
    summary="Correct on-hand by hand, with a reason (damage, a found return...)",
    responses=_OPERATION,
)
def adjust(data: AdjustmentCreate, principal: Writer, session: SessionDep) -> StockLevelRead:
    require_location_access(principal, data.location_id)
    service.adjust(
        session,
        location_id=data.location_id,
        variant_id=data.variant_id,
        quantity=data.quantity,
        kind=MovementKind(data.kind.value),
        reason=data.reason,
        reference=data.reference,
    )
    return _levels(session, data.location_id, [data.variant_id])[0]


@router.post(
    "/counts",
    response_model=CountResult,
    summary="Record a cycle count; the ledger keeps the differences",
    responses=problem_responses(401, 403, 422),
)
def count(data: CountCreate, principal: Writer, session: SessionDep) -> CountResult:
    require_location_access(principal, data.location_id)
    diffs = service.count(
        session,
        location_id=data.location_id,
        lines=[service.Change(x.variant_id, x.counted) for x in data.lines],
        reference=data.reference,
    )
    return CountResult(
        location_id=data.location_id,
        differences=[
            CountDifference(variant_id=x.variant_id, difference=diffs[x.variant_id])
            for x in data.lines
        ],
    )


@router.post(
    "/transfers",
    response_model=TransferRead,
    status_code=status.HTTP_201_CREATED,
    summary="Send goods to another location (they are in transit until received)",
    responses=_OPERATION,
)
def start_transfer(
    data: TransferCreate, principal: Writer, session: SessionDep, response: Response
) -> TransferRead:
    require_location_access(principal, data.from_location_id)
    transfer = service.start_transfer(
        session,
        from_location_id=data.from_location_id,
        to_location_id=data.to_location_id,
        lines=[service.Change(x.variant_id, x.quantity) for x in data.lines],
        reference=data.reference,
    )
    response.headers["Location"] = f"/api/v1/inventory/transfers/{transfer.id}"
    return _transfer(session, transfer)


@router.post(
    "/transfers/{transfer_id}/receive",
    response_model=TransferRead,
    summary="The transferred goods arrived (once)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def receive_transfer(
    transfer_id: uuid.UUID, principal: Writer, session: SessionDep
) -> TransferRead:
    transfer = service.get_transfer(session, transfer_id=transfer_id)
    require_location_access(principal, transfer.to_location_id)
    return _transfer(session, service.receive_transfer(session, transfer_id=transfer_id))


@router.get(
    "/transfers/{transfer_id}",
    response_model=TransferRead,
    summary="One transfer with its lines",
    responses=problem_responses(401, 403, 404, 422),
)
def get_transfer(transfer_id: uuid.UUID, _: Reader, session: SessionDep) -> TransferRead:
    return _transfer(session, service.get_transfer(session, transfer_id=transfer_id))


# --- manager: policies, safety stock, sync ----------------------------------------------


@router.put(
    "/policies/{variant_id}",
    response_model=PolicyRead,
    summary="Set a variant's backorder or preorder policy",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def set_policy(
    variant_id: uuid.UUID, data: PolicyUpdate, _: Manager, session: SessionDep
) -> PolicyRead:
    policy = service.set_policy(
        session,
        variant_id=variant_id,
        backorder=data.backorder,
        backorder_limit=data.backorder_limit,
        preorder_until=data.preorder_until,
    )
    return PolicyRead(variant_id=variant_id, **service.policy_view(policy))


@router.get(
    "/policies/{variant_id}",
    response_model=PolicyRead,
    summary="A variant's backorder or preorder policy",
    responses=problem_responses(401, 403, 404, 422),
)
def get_policy(variant_id: uuid.UUID, _: Manager, session: SessionDep) -> PolicyRead:
    policy = service.get_policy(session, variant_id=variant_id)
    if policy is None and not catalog.existing_variant_ids(session, variant_ids=[variant_id]):
        raise NotFound(f"Variant {variant_id} does not exist.")
    return PolicyRead(variant_id=variant_id, **service.policy_view(policy))


@router.put(
    "/safety-stock",
    response_model=SafetyStockRead,
    summary="Units kept back from channels at a location (or for one variant there)",
    responses=problem_responses(401, 403, 422),
)
def set_safety_stock(data: SafetyStockUpdate, _: Manager, session: SessionDep) -> SafetyStockRead:
    service.set_safety_stock(
        session, location_id=data.location_id, units=data.units, variant_id=data.variant_id
    )
    return SafetyStockRead(
        location_id=data.location_id, variant_id=data.variant_id, units=data.units
    )


@router.post(
    "/sync",
    response_model=SyncResult,
    summary="Absolute levels from the ERP/WMS by SKU and location code (reservations kept)",
    responses=problem_responses(401, 403, 422),
)
def sync(data: StockSync, _: Manager, session: SessionDep) -> SyncResult:
    levels = resolve_levels(session, levels=data.levels)
    return SyncResult(**service.sync_levels(session, levels=levels, reference=data.reference))
