"""Customer 360: what a cashier or an agent needs in one call.

Profile, identities, addresses, consents, open service cases, the head of the
timeline and segments. Recent orders and open carts join this view when the orders
and carts domains exist (issue 6); until then the timeline's order entries are where
purchases show.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from omnichannel.customers import audit, cases, consents, profiles, records, segments, timeline
from omnichannel.customers.models import Consent, ServiceCase, TimelineEntry
from omnichannel.customers.schemas import PERSONAL_FIELDS

TIMELINE_HEAD = 10


@dataclass
class View360:
    profile: profiles.Profile
    consents: list[Consent]
    open_cases: list[ServiceCase]
    timeline: list[TimelineEntry]
    segments: list[str]


def customer_360(
    session: Session,
    *,
    customer_id: uuid.UUID,
    reveal: bool,
    timeline_limit: int = TIMELINE_HEAD,
) -> View360:
    """The whole customer at a glance (a merged id gives the survivor); an audited
    read when `reveal`."""
    customer = records.resolve(session, customer_id)
    out = View360(
        profile=profiles.profile(session, customer),
        consents=list(consents.current(session, customer_id=customer.id).values()),
        open_cases=cases.open_cases_of(session, customer_id=customer.id),
        timeline=timeline.entries(session, customer_id=customer.id, limit=timeline_limit)[
            :timeline_limit
        ],
        segments=segments.segments_of(session, customer_id=customer.id),
    )
    if reveal:
        audit.record(
            session,
            action=audit.Action.READ,
            customer_ids=[customer.id],
            fields=[*PERSONAL_FIELDS, "timeline", "cases"],
            purpose="customer360",
        )
    return out
