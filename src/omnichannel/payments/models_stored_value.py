"""Stored value: gift cards and store credit, money we hold ourselves.

An account's `balance` and `held` are kept on the row so that a hold is one
conditional UPDATE (`balance - held >= :amount`); the ledger of entries is the
truth they must always equal (`balance = sum(balance_change)`, `held =
sum(held_change)`), like stock and its movements. Entries are appended, never
changed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnichannel.db.base import Base, IdMixin
from omnichannel.kernel import new_id, utcnow


class AccountKind(StrEnum):
    GIFT_CARD = "gift_card"  # spent by whoever holds its code
    STORE_CREDIT = "store_credit"  # spent only by its customer


class AccountStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"  # lost or stolen: nothing new is held on it


class StoreCreditReason(StrEnum):
    GOODWILL = "goodwill"  # an apology: a late parcel, a bad experience
    RETURN = "return"  # a return refunded as credit rather than money
    PRICE_ADJUSTMENT = "price_adjustment"  # a price dropped right after the purchase
    COMPENSATION = "compensation"  # a complaint upheld
    OTHER = "other"


class EntryKind(StrEnum):
    ISSUE = "issue"  # balance +
    HOLD = "hold"  # held +: an authorisation
    CAPTURE = "capture"  # balance -, held -: a hold spent
    RELEASE = "release"  # held -: a hold given back (a void)
    REFUND = "refund"  # balance +: a capture given back
    ADJUST = "adjust"  # balance ±: staff correction


class StoredValueAccount(IdMixin, Base):
    """A gift card or a customer's store credit, in one currency."""

    __tablename__ = "stored_value_accounts"

    kind: Mapped[str] = mapped_column(String(16))  # AccountKind
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int] = mapped_column(default=0)  # minor units
    held: Mapped[int] = mapped_column(default=0)  # promised to authorisations
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.ACTIVE.value)
    expires_at: Mapped[datetime | None]
    # A gift card's code is never stored: only its digest, to find it, and its last
    # four characters, to name it (see `payments.codes`). Store credit has neither.
    code_digest: Mapped[str | None] = mapped_column(String(64))
    code_last4: Mapped[str | None] = mapped_column(String(4))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("customers.id"), index=True
    )
    # Counts the account's changes: the sequence of its outbox events.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[StoredValueEntry]] = relationship(
        lazy="raise", order_by="StoredValueEntry.at, StoredValueEntry.id"
    )

    __table_args__ = (
        CheckConstraint("held >= 0 AND balance >= held", name="held_within_balance"),
        CheckConstraint("kind IN ('gift_card', 'store_credit')", name="kind_known"),
        CheckConstraint("status IN ('active', 'blocked')", name="status_known"),
        # A gift card is found by its code; store credit by its customer.
        CheckConstraint(
            "(kind = 'gift_card') = (code_digest IS NOT NULL)", name="code_only_on_gift_cards"
        ),
        CheckConstraint(
            "kind = 'gift_card' OR customer_id IS NOT NULL", name="store_credit_has_customer"
        ),
        Index("ux_stored_value_accounts_code_digest", "code_digest", unique=True),
    )


class StoredValueEntry(Base):
    """One change of an account, with what it changed, for which payment, by whom."""

    __tablename__ = "stored_value_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("stored_value_accounts.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))  # EntryKind
    amount: Mapped[int]  # what the operation moved, always positive
    balance_change: Mapped[int]
    held_change: Mapped[int]
    # The caller's idempotency key: the payment id for a hold, the operation's key for
    # a capture, release or refund. The same call twice finds its first entry.
    key: Mapped[str] = mapped_column(String(128))
    # The hold a capture, release or refund moves.
    hold_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("stored_value_entries.id"), index=True
    )
    # Why store credit was issued: a code from a fixed list (`StoreCreditReason`),
    # never free text, which would be personal data to seal (promise 7).
    reason: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("account_id", "kind", "key"),
        Index("ix_stored_value_entries_account", "account_id", "at"),
        # A repeated authorisation finds its hold by the payment id alone.
        Index("ix_stored_value_entries_key", "key"),
    )
