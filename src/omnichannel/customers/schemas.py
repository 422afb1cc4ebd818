"""Public contract of customer profiles: identities, addresses, consents, lookups.

Read models carry personal fields only for callers allowed to see them
(`customers:pii`); for others those fields are null and `redacted` is true.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from omnichannel.contract import InputModel
from omnichannel.customers.models import Customer, CustomerAddress, CustomerIdentity
from omnichannel.customers.rules import (
    ConsentPurpose,
    CustomerStatus,
    IdentityType,
    InvalidIdentity,
    normalise_email,
    normalise_phone,
    normalise_postcode,
    split_namespace,
)
from omnichannel.kernel import utcnow

MAX_CONTACTS = 10
MAX_IDENTITIES = 20
MAX_ADDRESSES = 10


def _email(value: str) -> str:
    try:
        return normalise_email(value)
    except InvalidIdentity as e:
        raise PydanticCustomError("invalid_email", str(e)) from None


def _phone(value: str) -> str:
    try:
        return normalise_phone(value)
    except InvalidIdentity as e:
        raise PydanticCustomError("invalid_phone", str(e)) from None


def _past(value: date) -> date:
    if not date(1900, 1, 1) <= value <= utcnow().date():
        raise PydanticCustomError("invalid_birthday", "a birthday is between 1900 and today")
    return value


Email = Annotated[
    str,
    Field(min_length=3, max_length=254, examples=["anna.nowak@example.com"]),
    AfterValidator(_email),
]
Phone = Annotated[
    str,
    Field(
        min_length=3,
        max_length=32,
        examples=["+48 601 234 567"],
        description="Any common notation; without +CC a Polish number. Stored as E.164.",
    ),
    AfterValidator(_phone),
]
PersonName = Annotated[str, Field(min_length=1, max_length=100, examples=["Anna"])]
ChannelCode = Annotated[
    str, Field(min_length=2, max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]*$", examples=["web"])
]
Language = Annotated[
    str,
    Field(
        min_length=2,
        max_length=8,
        pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$",
        examples=["pl"],
        description="Preferred language, e.g. `pl`, `en`, `uk`.",
    ),
]
Birthday = Annotated[date, AfterValidator(_past)]
Notes = Annotated[str, Field(max_length=4000)]


class _In(InputModel):
    pass


# --- identities -----------------------------------------------------------------------


class IdentityIn(_In):
    type: IdentityType
    value: str = Field(min_length=1, max_length=254, examples=["DIS-0001-2345"])
    namespace: str | None = Field(
        None,
        max_length=32,
        description="The marketplace or network of a `marketplace_buyer` or `social_handle`.",
        examples=["allegro"],
    )


class IdentityAdd(IdentityIn):
    primary: bool = Field(False, description="Make it the profile's main one of its type.")
    verified: bool = Field(False, description="The customer proved they own it.")


class IdentityRead(BaseModel):
    id: uuid.UUID
    type: IdentityType
    namespace: str | None
    value: str | None = Field(description="Normalised value; null when redacted.")
    primary: bool
    verified: bool
    source_channel: str | None
    created_at: datetime

    @classmethod
    def of(cls, identity: CustomerIdentity, *, reveal: bool) -> IdentityRead:
        namespace, value = split_namespace(IdentityType(identity.type), identity.value)
        return cls(
            id=identity.id,
            type=IdentityType(identity.type),
            namespace=namespace,
            value=value if reveal else None,
            primary=identity.is_primary,
            verified=identity.verified,
            source_channel=identity.source_channel,
            created_at=identity.created_at,
        )


# --- addresses ------------------------------------------------------------------------


class AddressIn(_In):
    label: str | None = Field(None, max_length=50, examples=["dom"])
    recipient: str | None = Field(None, max_length=200, examples=["Anna Nowak"])
    street: str = Field(min_length=1, max_length=200, examples=["ul. Floriańska 12/4"])
    country: str = Field("PL", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    postcode: str = Field(
        min_length=2, max_length=16, examples=["31-019"], description="NN-NNN in Poland."
    )
    city: str = Field(min_length=1, max_length=100, examples=["Kraków"])
    phone: Phone | None = None
    default: bool = Field(False, description="The address to prefill first.")

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str, info: ValidationInfo) -> str:
        try:
            return normalise_postcode(str(info.data.get("country", "PL")), value)
        except ValueError as e:
            raise PydanticCustomError("invalid_postcode", str(e)) from None

    def details(self) -> dict[str, Any]:
        """What is sealed in the address row."""
        return self.model_dump(exclude={"default"}, exclude_none=True)


class AddressRead(BaseModel):
    id: uuid.UUID
    default: bool
    label: str | None = None
    recipient: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    phone: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, address: CustomerAddress, *, reveal: bool) -> AddressRead:
        shown = address.details if reveal else {}
        return cls(
            id=address.id, default=address.is_default, created_at=address.created_at, **shown
        )


# --- consents -------------------------------------------------------------------------


class ConsentIn(_In):
    purpose: ConsentPurpose
    granted: bool
    policy_version: str | None = Field(
        None, max_length=32, description="Version of the wording the customer agreed to."
    )
    evidence: str | None = Field(
        None,
        max_length=1000,
        description="How it was given, e.g. the checkbox text and where (stored encrypted).",
    )


class ConsentChangeIn(ConsentIn):
    channel: ChannelCode | None = Field(
        None, description="Where the customer said so (staff only; a channel is itself)."
    )


class ConsentRead(BaseModel):
    purpose: ConsentPurpose
    granted: bool
    changed_at: datetime | None = Field(description="Null: never asked (which means no).")


class ConsentHistoryRead(BaseModel):
    id: uuid.UUID
    purpose: ConsentPurpose
    granted: bool
    channel: str | None
    actor: str | None
    policy_version: str | None
    reason: str | None
    evidence: str | None = Field(description="Null when redacted.")
    at: datetime


class Consents(BaseModel):
    current: list[ConsentRead]
    history: list[ConsentHistoryRead]


# --- profiles -------------------------------------------------------------------------


class CustomerCreate(_In):
    given_name: PersonName | None = None
    family_name: PersonName | None = None
    emails: list[Email] = Field(default_factory=list, max_length=MAX_CONTACTS)
    phones: list[Phone] = Field(default_factory=list, max_length=MAX_CONTACTS)
    identities: list[IdentityIn] = Field(
        default_factory=list,
        max_length=MAX_IDENTITIES,
        description="Cards and accounts; e-mails and phones go in their own lists.",
    )
    addresses: list[AddressIn] = Field(default_factory=list, max_length=MAX_ADDRESSES)
    language: Language = "pl"
    birthday: Birthday | None = None
    preferred_location_id: uuid.UUID | None = Field(None, description="Their usual store.")
    notes: Notes | None = None
    consents: list[ConsentIn] = Field(
        default_factory=list,
        max_length=len(ConsentPurpose),
        description="Answers given while signing up; every purpose not listed stays off.",
    )
    channel: ChannelCode | None = Field(
        None, description="Where the profile was created (staff only; a channel is itself)."
    )


class CustomerUpdate(_In):
    """Fields to change; a field sent as null is cleared."""

    given_name: PersonName | None = None
    family_name: PersonName | None = None
    language: Language | None = None
    birthday: Birthday | None = None
    preferred_location_id: uuid.UUID | None = None
    notes: Notes | None = None

    @field_validator("language")
    @classmethod
    def _language_stays(cls, value: str | None) -> str | None:
        if value is None:
            raise PydanticCustomError("language_required", "a profile always has a language")
        return value


PERSONAL_FIELDS = ("given_name", "family_name", "birthday", "notes", "identities", "addresses")


class CustomerRead(BaseModel):
    id: uuid.UUID
    status: CustomerStatus
    merged_into: uuid.UUID | None = Field(description="The survivor, when merged.")
    redacted: bool = Field(description="True when personal fields are withheld from the caller.")
    given_name: str | None
    family_name: str | None
    email: str | None = Field(description="The primary e-mail.")
    phone: str | None = Field(description="The primary phone, E.164.")
    birthday: date | None
    notes: str | None
    language: str
    preferred_location_id: uuid.UUID | None
    source_channel: str | None
    identities: list[IdentityRead]
    addresses: list[AddressRead]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls,
        customer: Customer,
        identities: list[CustomerIdentity],
        addresses: list[CustomerAddress],
        *,
        reveal: bool,
    ) -> CustomerRead:
        def primary(kind: IdentityType) -> str | None:
            found = [i for i in identities if i.type == kind]
            found.sort(key=lambda i: (not i.is_primary, i.id))
            return found[0].value if found and reveal else None

        return cls(
            id=customer.id,
            status=CustomerStatus(customer.status),
            merged_into=customer.merged_into_id,
            redacted=not reveal,
            given_name=customer.given_name if reveal else None,
            family_name=customer.family_name if reveal else None,
            email=primary(IdentityType.EMAIL),
            phone=primary(IdentityType.PHONE),
            birthday=date.fromisoformat(customer.birthday)
            if reveal and customer.birthday
            else None,
            notes=customer.notes if reveal else None,
            language=customer.language,
            preferred_location_id=customer.preferred_location_id,
            source_channel=customer.source_channel,
            identities=[IdentityRead.of(i, reveal=reveal) for i in identities],
            addresses=[AddressRead.of(a, reveal=reveal) for a in addresses],
            version=customer.version,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
        )


class CustomerPage(BaseModel):
    items: list[CustomerRead]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


# --- lookups and checkout -------------------------------------------------------------


class Lookup(IdentityIn):
    """Find the profile an identity belongs to (sent in a body: never in a URL)."""


class Resolve(_In):
    """What a checkout knows about the buyer: attach to their profile or start one."""

    identities: list[IdentityIn] = Field(min_length=1, max_length=MAX_IDENTITIES)
    given_name: PersonName | None = None
    family_name: PersonName | None = None
    channel: ChannelCode | None = Field(None, description="Staff only; a channel is itself.")


class Resolution(BaseModel):
    customer_id: uuid.UUID
    created: bool = Field(description="A new profile was started.")
    attached: list[IdentityType] = Field(description="Identities newly added to the profile.")
    conflicts: list[uuid.UUID] = Field(
        description="Other profiles owning some of the identities: likely duplicates to merge."
    )


class MergeRequest(_In):
    source_id: uuid.UUID = Field(
        description="The duplicate: folded into the profile in the URL, which survives."
    )
