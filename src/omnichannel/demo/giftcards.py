"""The demo's gift cards and store credit, issued through the payments services.

Codes are random, not derived from the seed: a code is a bearer secret, and one a
seed could reproduce would be public. The demo report prints them once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from omnichannel.kernel import utcnow
from omnichannel.payments import stored_value

ACTOR = "cli:demo"
GIFT_CARDS = (20_000, 5_000)  # 200 zł and 50 zł
STORE_CREDIT = 3_000  # 30 zł of goodwill for the first customer


@dataclass
class GiftCardsReport:
    codes: list[tuple[str, int]] = field(default_factory=list)  # (code, balance)
    store_credit: str | None = None  # the `credit:<id>` token
    store_credit_customer: uuid.UUID | None = None


def load_gift_cards(session: Session, *, customer_ids: list[uuid.UUID]) -> GiftCardsReport:
    """Two gift cards (one expiring in a year) and store credit for one customer."""
    report = GiftCardsReport()
    for i, amount in enumerate(GIFT_CARDS):
        issued = stored_value.issue_gift_card(
            session,
            amount=amount,
            currency="PLN",
            actor=ACTOR,
            expires_at=utcnow() + timedelta(days=365) if i else None,
        )
        report.codes.append((issued.code, amount))
    if customer_ids:
        credit = stored_value.issue_store_credit(
            session,
            customer_id=customer_ids[0],
            amount=STORE_CREDIT,
            currency="PLN",
            reason="goodwill",
            actor=ACTOR,
        )
        report.store_credit = f"credit:{credit.id}"
        report.store_credit_customer = customer_ids[0]
    return report
