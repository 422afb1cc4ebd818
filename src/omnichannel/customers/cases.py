"""Service cases: a question, a late parcel, a return, a complaint, opened in any
channel, owned by an agent or a department, due by an SLA. Every change lands on the
customer's timeline, so whoever picks up the phone next sees the whole story."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import Session

from omnichannel.customers import audit, records, timeline
from omnichannel.customers.errors import CaseMoveRefused
from omnichannel.customers.models import CaseMessage, ServiceCase
from omnichannel.customers.rules import (
    OPEN_CASE_STATUSES,
    CaseCategory,
    CaseStatus,
    TimelineType,
    case_due,
    check_case_move,
)
from omnichannel.customers.rules import CaseMoveRefused as MoveRefused
from omnichannel.customers.schemas_activity import CaseCreate, CaseMessageIn, CaseUpdate
from omnichannel.db import record_event
from omnichannel.db.base import flush_edit
from omnichannel.kernel import NotFound, new_id, utcnow
from omnichannel.kernel.errors import PreconditionFailed

AGGREGATE = "customer_case"


def _event(session: Session, case: ServiceCase, type_: str) -> None:
    record_event(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=case.id,
        sequence=case.version,
        type=type_,
        payload={
            "case_id": str(case.id),
            "customer_id": str(case.customer_id),
            "status": case.status,
            "category": case.category,
        },
    )


def _load(session: Session, case_id: uuid.UUID) -> ServiceCase:
    case = session.get(ServiceCase, case_id)
    if case is None:
        raise NotFound(f"Case {case_id} does not exist.")
    return case


def open_case(
    session: Session,
    *,
    customer_id: uuid.UUID,
    data: CaseCreate,
    channel: str | None,
    author: str | None = None,
) -> ServiceCase:
    """Open a case for a customer, due by its category's SLA unless told otherwise."""
    customer = records.writable(session, customer_id)
    channel = records.check_channel(session, channel, "channel")
    records.check_staff(session, data.assigned_staff_id, "assigned_staff_id")
    now = utcnow()
    case = ServiceCase(
        id=new_id(),
        customer_id=customer.id,
        order_id=data.order_id,
        channel=channel,
        category=data.category.value,
        status=CaseStatus.OPEN.value,
        subject=data.subject,
        assigned_staff_id=data.assigned_staff_id,
        department=data.department.value if data.department else None,
        sla_due_at=data.sla_due_at or case_due(CaseCategory(data.category), now),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()  # the case row before its first message: no relationship orders them
    if data.message:
        session.add(
            CaseMessage(
                id=new_id(),
                case_id=case.id,
                direction="from_customer",
                author=author,
                channel=channel,
                body=data.message,
            )
        )
    session.flush()
    timeline.write(
        session,
        customer.id,
        TimelineType.CASE_OPENED,
        channel=channel,
        summary=data.subject,
        reference=str(case.id),
        data={"category": case.category},
    )
    _event(session, case, "customers.case_opened")
    audit.record(
        session,
        action=audit.Action.CASE_OPEN,
        customer_ids=[customer.id],
        fields=["subject", "messages"] if data.message else ["subject"],
    )
    return case


def get_case(
    session: Session, *, case_id: uuid.UUID, reveal: bool
) -> tuple[ServiceCase, list[CaseMessage]]:
    """A case and its messages, oldest first; an audited read when `reveal`."""
    case = _load(session, case_id)
    messages = list(
        session.scalars(
            select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)
        )
    )
    if reveal:
        audit.record(
            session,
            action=audit.Action.READ,
            customer_ids=[case.customer_id],
            fields=["subject", "messages"],
            purpose="case",
        )
    return case, messages


def list_cases(
    session: Session,
    *,
    reveal: bool,
    customer_id: uuid.UUID | None = None,
    statuses: Sequence[CaseStatus] = (),
    open_only: bool = False,
    assigned_staff_id: uuid.UUID | None = None,
    department: str | None = None,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> list[ServiceCase]:
    """Cases, oldest first, `limit + 1` of them: an agent's queue or one customer's."""
    q = select(ServiceCase).order_by(ServiceCase.id).limit(limit + 1)
    if customer_id is not None:
        q = q.where(ServiceCase.customer_id == records.resolve(session, customer_id).id)
    wanted = set(statuses) | (set(OPEN_CASE_STATUSES) if open_only else set())
    if wanted:
        q = q.where(ServiceCase.status.in_(sorted(s.value for s in wanted)))
    if assigned_staff_id is not None:
        q = q.where(ServiceCase.assigned_staff_id == assigned_staff_id)
    if department is not None:
        q = q.where(ServiceCase.department == department)
    if after is not None:
        q = q.where(ServiceCase.id > after)
    cases = list(session.scalars(q))
    if reveal and cases:
        audit.record(
            session,
            action=audit.Action.READ,
            customer_ids=[c.customer_id for c in cases[:limit]],
            fields=["subject"],
            purpose="cases",
        )
    return cases


def open_cases_of(
    session: Session, *, customer_id: uuid.UUID, limit: int = 50
) -> list[ServiceCase]:
    """A profile's open cases, the most urgent first (not audited: for composed views)."""
    return list(session.scalars(_OPEN_OF, {"customer_id": customer_id, "limit": limit}))


_OPEN_OF = (
    select(ServiceCase)
    .where(
        ServiceCase.customer_id == bindparam("customer_id"),
        ServiceCase.status.in_(sorted(s.value for s in OPEN_CASE_STATUSES)),
    )
    .order_by(ServiceCase.sla_due_at, ServiceCase.id)
    .limit(bindparam("limit", type_=Integer))
)


def update_case(
    session: Session,
    *,
    case_id: uuid.UUID,
    data: CaseUpdate,
    if_version: int | None,
    staff_id: uuid.UUID | None = None,
) -> ServiceCase:
    """Move a case along, re-assign it or change its deadline; 409 for a move its
    state does not allow (a closed case stays closed)."""
    case = _load(session, case_id)
    if if_version is not None and if_version != case.version:
        raise PreconditionFailed(f"Case {case.id} is at version {case.version}, not {if_version}.")
    records.writable(session, case.customer_id)
    sent = data.model_fields_set
    changes: dict[str, str | None] = {}
    if data.status is not None and data.status != case.status:
        try:
            check_case_move(CaseStatus(case.status), data.status)
        except MoveRefused as e:
            raise CaseMoveRefused(f"Case {case.id}: {e}.") from None
        now = utcnow()
        case.status = data.status.value
        if data.status is CaseStatus.RESOLVED:
            case.resolved_at = now
        elif data.status is CaseStatus.CLOSED:
            case.closed_at = now
        else:
            case.resolved_at = None
        changes["status"] = case.status
    if "assigned_staff_id" in sent:
        records.check_staff(session, data.assigned_staff_id, "assigned_staff_id")
        case.assigned_staff_id = data.assigned_staff_id
        changes["assigned_staff_id"] = (
            str(data.assigned_staff_id) if data.assigned_staff_id else None
        )
    if "department" in sent:
        case.department = data.department.value if data.department else None
        changes["department"] = case.department
    if data.sla_due_at is not None:
        case.sla_due_at = data.sla_due_at
        changes["sla_due_at"] = data.sla_due_at.isoformat()
    if data.subject is not None:
        case.subject = data.subject
        changes["subject"] = None  # the new subject is personal text; say only that it changed
    if flush_edit(session, case):  # a no-op edit keeps the version and says nothing
        timeline.write(
            session,
            case.customer_id,
            TimelineType.CASE_UPDATED,
            staff_id=staff_id,
            reference=str(case.id),
            data=changes,
        )
        _event(session, case, "customers.case_updated")
    audit.record(
        session,
        action=audit.Action.CASE_UPDATE,
        customer_ids=[case.customer_id],
        fields=sorted(changes),
    )
    return case


def add_message(
    session: Session,
    *,
    case_id: uuid.UUID,
    data: CaseMessageIn,
    author: str | None,
    channel: str | None = None,
    staff_id: uuid.UUID | None = None,
) -> CaseMessage:
    """Add a message to a case: the customer's words, the reply, or a note between staff."""
    case = _load(session, case_id)
    records.writable(session, case.customer_id)
    channel = records.check_channel(session, channel or data.channel, "channel")
    if CaseStatus(case.status) is CaseStatus.CLOSED:
        raise CaseMoveRefused(f"Case {case.id} is closed; open a new one.")
    message = CaseMessage(
        id=new_id(),
        case_id=case.id,
        direction=data.direction.value,
        author=author,
        channel=channel,
        body=data.body,
    )
    session.add(message)
    case.updated_at = utcnow()
    session.flush()
    timeline.write(
        session,
        case.customer_id,
        TimelineType.CASE_MESSAGE,
        channel=channel,
        staff_id=staff_id,
        reference=str(case.id),
        data={"direction": message.direction},
    )
    _event(session, case, "customers.case_message_added")
    audit.record(
        session,
        action=audit.Action.CASE_MESSAGE,
        customer_ids=[case.customer_id],
        fields=["messages"],
    )
    return message
