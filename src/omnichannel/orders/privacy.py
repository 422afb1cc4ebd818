"""An erased customer's orders keep their amounts (tax law) and lose the person:
contact and addresses are removed, the order says when."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.orm import Session

from omnichannel.kernel import utcnow
from omnichannel.orders.models import Order


def pseudonymise(session: Session, customer_ids: list[uuid.UUID]) -> None:
    """Blank the personal fields of these customers' orders (erasure calls it)."""
    session.execute(
        update(Order)
        .where(Order.customer_id.in_(customer_ids))
        .values(
            contact=None, shipping_address=None, billing_address=None, pseudonymised_at=utcnow()
        ),
        execution_options={"synchronize_session": False},
    )
