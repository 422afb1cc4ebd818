"""Public contract of customer sign-in: registering, signing in, and the signed-in
customer's own summary.

Passwords are taken exactly as typed: unlike other text they are not trimmed, so a
space at either end is part of the password.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from pydantic_core import PydanticCustomError

from omnichannel.contract import InputModel
from omnichannel.customers.accounts import PASSWORD_MAX, PASSWORD_MIN
from omnichannel.customers.models import Customer, CustomerIdentity
from omnichannel.customers.rules import IdentityType
from omnichannel.customers.schemas import Email, PersonName


def _encodable(value: str) -> str:
    try:
        value.encode()
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_password", "must be valid Unicode text") from None
    return value


NewPassword = Annotated[
    str,
    StringConstraints(strip_whitespace=False, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX),
    Field(description=f"{PASSWORD_MIN} to {PASSWORD_MAX} characters, any of them."),
    AfterValidator(_encodable),
]
Password = Annotated[
    str,
    StringConstraints(strip_whitespace=False, min_length=1, max_length=PASSWORD_MAX),
    AfterValidator(_encodable),
]


class _In(InputModel):
    pass


class AccountCreate(_In):
    """A customer signing up in the web shop or the app (sent by the storefront)."""

    email: Email = Field(description="Becomes the profile's e-mail and the login.")
    password: NewPassword
    given_name: PersonName | None = None
    family_name: PersonName | None = None


class AccountLogin(_In):
    email: Email
    password: Password


class CustomerSession(BaseModel):
    customer_id: uuid.UUID
    access_token: str = Field(
        description="Send as `Authorization: Bearer <token>`; shown once, stored hashed."
    )
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_at: datetime


class CustomerSelf(BaseModel):
    """What a signed-in customer sees about themself."""

    id: uuid.UUID
    given_name: str | None
    family_name: str | None
    emails: list[str] = Field(description="Their e-mails, the primary one first.")

    @classmethod
    def of(cls, customer: Customer, identities: list[CustomerIdentity]) -> CustomerSelf:
        emails = sorted(
            (i for i in identities if i.type == IdentityType.EMAIL),
            key=lambda i: (not i.is_primary, i.id),
        )
        return cls(
            id=customer.id,
            given_name=customer.given_name,
            family_name=customer.family_name,
            emails=[i.value for i in emails],
        )
