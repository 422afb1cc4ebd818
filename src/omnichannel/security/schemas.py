"""Public contract of staff users and sign-in."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from omnichannel.contract import InputModel
from omnichannel.security.rules import Role


class _In(InputModel):
    pass


class LoginRequest(_In):
    email: str = Field(min_length=3, max_length=254, description="The staff user's e-mail.")
    password: str = Field(min_length=1, max_length=1024)


class TokenRead(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_at: datetime


class StaffCreate(_In):
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=10, max_length=1024, description="At least 10 characters.")
    role: Role
    location_ids: list[uuid.UUID] = Field(
        default_factory=list,
        description="Stores (store_associate) or warehouses (warehouse_operator) the user acts on.",
    )

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class StaffUpdate(_In):
    full_name: str | None = Field(None, min_length=1, max_length=200)
    password: str | None = Field(None, min_length=10, max_length=1024)
    role: Role | None = None
    location_ids: list[uuid.UUID] | None = None
    active: bool | None = None


class StaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    active: bool
    location_ids: list[uuid.UUID]
    version: int
    created_at: datetime
