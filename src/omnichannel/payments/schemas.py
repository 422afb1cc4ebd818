"""Public contract of gift cards and store credit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from omnichannel.contract import InputModel
from omnichannel.payments.models_stored_value import (
    AccountKind,
    AccountStatus,
    EntryKind,
    StoreCreditReason,
    StoredValueAccount,
)
from omnichannel.payments.stored_value import MAX_AMOUNT

Amount = Annotated[
    int,
    Field(gt=0, le=MAX_AMOUNT, description="Minor units (grosze for PLN).", examples=[10_000]),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217.", examples=["PLN"])]


class GiftCardCreate(InputModel):
    amount: Amount
    currency: Currency
    expires_at: AwareDatetime | None = Field(
        None,
        description="When the card stops paying (in the future, with its offset); none: never.",
    )


class StoreCreditCreate(InputModel):
    amount: Amount
    currency: Currency
    reason: StoreCreditReason = Field(
        description="Why the credit is given: one of a fixed list (free text would be "
        "personal data)."
    )
    expires_at: AwareDatetime | None = Field(
        None, description="When it stops paying (with its offset); none: never."
    )


class BalanceQuery(InputModel):
    code: str = Field(
        min_length=1,
        max_length=64,
        description="The gift card's code, as printed (case, spaces and dashes do not matter).",
        examples=["7KQM-4WZX-9PRT-CH3N-XY2B"],
    )


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: EntryKind
    amount: int
    balance_change: int
    held_change: int
    key: str = Field(description="The payment or operation it was made for.")
    hold_id: uuid.UUID | None
    reason: StoreCreditReason | None
    actor: str | None
    at: datetime


class BalanceRead(BaseModel):
    """What a code's holder may know: no ids, no ledger."""

    kind: AccountKind
    currency: str
    balance: int = Field(description="Minor units on the account.")
    held: int = Field(description="Promised to payments not yet captured.")
    available: int = Field(description="What can still be spent: balance minus held.")
    status: AccountStatus
    expires_at: datetime | None
    last4: str | None = Field(description="A gift card's code ends with these; the rest is secret.")

    @classmethod
    def of(cls, account: StoredValueAccount) -> BalanceRead:
        return cls.model_validate(_balance(account))


class AccountRead(BalanceRead):
    id: uuid.UUID
    customer_id: uuid.UUID | None = Field(description="Store credit's customer.")
    created_at: datetime
    entries: list[EntryRead] = Field(description="The ledger, oldest first.")

    @classmethod
    def of(cls, account: StoredValueAccount) -> AccountRead:
        return cls.model_validate(_account(account))


class GiftCardIssued(AccountRead):
    code: str = Field(
        description="The full code: shown in this answer only. We keep its digest, not it."
    )

    @classmethod
    def issued(cls, account: StoredValueAccount, code: str) -> GiftCardIssued:
        return cls.model_validate({**_account(account), "code": code})


def _balance(account: StoredValueAccount) -> dict[str, Any]:
    return {
        "kind": account.kind,
        "currency": account.currency,
        "balance": account.balance,
        "held": account.held,
        "available": account.balance - account.held,
        "status": account.status,
        "expires_at": account.expires_at,
        "last4": account.code_last4,
    }


def _account(account: StoredValueAccount) -> dict[str, Any]:
    return {
        **_balance(account),
        "id": account.id,
        "customer_id": account.customer_id,
        "created_at": account.created_at,
        "entries": [EntryRead.model_validate(e) for e in account.entries],
    }
