"""Pure rules about customers: identities and their normal forms, consents, the kinds
of timeline entry, service-case states and deadlines, and when segments are due."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, time, timedelta
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "PL"  # phone numbers without +CC are Polish
SEGMENT_CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"  # the codes pricing accepts


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"  # folded into another profile: `merged_into` names the survivor
    ERASED = "erased"  # personal data removed (GDPR Art. 17); the id stays, pseudonymous


class IdentityType(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    LOYALTY_CARD = "loyalty_card"
    MARKETPLACE_BUYER = "marketplace_buyer"  # namespace: the marketplace, e.g. allegro
    SOCIAL_HANDLE = "social_handle"  # namespace: the network, e.g. instagram
    POS_CUSTOMER = "pos_customer"  # the customer number a till system gave


NAMESPACED = frozenset({IdentityType.MARKETPLACE_BUYER, IdentityType.SOCIAL_HANDLE})

# When the identities given at checkout point at different profiles, the profile of
# the first kind in this order wins; the others are reported as possible duplicates.
RESOLUTION_ORDER = (
    IdentityType.LOYALTY_CARD,
    IdentityType.MARKETPLACE_BUYER,
    IdentityType.POS_CUSTOMER,
    IdentityType.EMAIL,
    IdentityType.PHONE,
    IdentityType.SOCIAL_HANDLE,
)


class ConsentPurpose(StrEnum):
    MARKETING_EMAIL = "marketing_email"
    MARKETING_SMS = "marketing_sms"
    PROFILING = "profiling"


class TimelineType(StrEnum):
    ORDER_PLACED = "order_placed"
    ORDER_COLLECTED = "order_collected"
    ORDER_RETURNED = "order_returned"
    ORDER_UPDATED = "order_updated"  # a move of the order's state: shipped, ready, delivered
    ORDER_CANCELLED = "order_cancelled"
    ORDER_PAID = "order_paid"  # money taken for an order (a capture): amount > 0
    ORDER_REFUNDED = "order_refunded"  # money given back for an order: amount > 0
    CART_HANDED_OFF = "cart_handed_off"  # a cart opened in another channel by its code
    CART_ABANDONED = "cart_abandoned"
    STORE_VISIT = "store_visit"
    CALL = "call"
    EMAIL_SENT = "email_sent"
    SMS_SENT = "sms_sent"
    COMPLAINT = "complaint"
    PRODUCT_VIEWED = "product_viewed"
    NOTE = "note"
    PROFILE_CREATED = "profile_created"
    PROFILE_MERGED = "profile_merged"
    CONSENT_CHANGED = "consent_changed"
    CASE_OPENED = "case_opened"
    CASE_UPDATED = "case_updated"
    CASE_MESSAGE = "case_message"


# What web and app may send to the events endpoint; orders, cases, consents and
# merges land on the timeline through their own use cases.
CHANNEL_EVENT_TYPES = frozenset(
    {
        TimelineType.PRODUCT_VIEWED,
        TimelineType.CART_ABANDONED,
        TimelineType.STORE_VISIT,
        TimelineType.EMAIL_SENT,
        TimelineType.SMS_SENT,
    }
)
# What staff may write by hand: what they did or saw.
STAFF_ENTRY_TYPES = frozenset(
    {
        TimelineType.CALL,
        TimelineType.NOTE,
        TimelineType.STORE_VISIT,
        TimelineType.COMPLAINT,
        TimelineType.EMAIL_SENT,
        TimelineType.SMS_SENT,
    }
)
# Spend is money paid and kept (see `customers.spend`): what was taken for orders
# (paid) less what was given back (refunded, for a cancel or a return). An order's
# placed, cancelled or returned entries carry its total for the record but count
# for nothing: an order never paid, or paid and refunded, is no spend.
SPEND_TYPES = (TimelineType.ORDER_PAID, TimelineType.ORDER_REFUNDED)


class CaseCategory(StrEnum):
    QUESTION = "question"
    DELIVERY = "delivery"
    RETURN = "return"
    COMPLAINT = "complaint"
    OTHER = "other"


class CaseStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_CASE_STATUSES = frozenset(
    {CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_CUSTOMER}
)

_CASE_MOVES: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_CUSTOMER, CaseStatus.RESOLVED}
    ),
    CaseStatus.IN_PROGRESS: frozenset(
        {CaseStatus.WAITING_FOR_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.OPEN}
    ),
    CaseStatus.WAITING_FOR_CUSTOMER: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.IN_PROGRESS}),
    CaseStatus.CLOSED: frozenset(),
}

# How long each kind of case may wait for an answer. A consumer complaint must be
# answered within 14 days or it counts as accepted (Polish consumer law), so that is
# its hard limit; the rest are service targets.
CASE_SLA: dict[CaseCategory, timedelta] = {
    CaseCategory.QUESTION: timedelta(hours=48),
    CaseCategory.DELIVERY: timedelta(hours=24),
    CaseCategory.RETURN: timedelta(days=3),
    CaseCategory.COMPLAINT: timedelta(days=14),
    CaseCategory.OTHER: timedelta(days=5),
}


class MessageDirection(StrEnum):
    FROM_CUSTOMER = "from_customer"
    TO_CUSTOMER = "to_customer"
    INTERNAL = "internal"  # a note between staff


class Department(StrEnum):
    CUSTOMER_SERVICE = "customer_service"
    STORES = "stores"
    LOGISTICS = "logistics"
    RETURNS = "returns"
    ECOMMERCE = "ecommerce"


# --- identities ---------------------------------------------------------------------


class InvalidIdentity(ValueError):
    """A value that is not an identity of its type; the message says why."""


def normalise_email(value: str) -> str:
    """Lower-cased, syntax-checked e-mail address (no DNS lookups)."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as e:
        raise InvalidIdentity(f"not an e-mail address: {e}") from None
    return checked.normalized.lower()


def normalise_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a phone number; numbers without a country code are Polish."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentity("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentity("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_CARD = re.compile(r"^[A-Z0-9]{4,32}$")
_HANDLE = re.compile(r"^[a-z0-9._-]{1,64}$")
_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_ACCOUNT = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")


def normalise_identity(type_: IdentityType, value: str, namespace: str | None = None) -> str:
    """The normal form an identity is indexed and stored under.

    Namespaced identities (a marketplace buyer id, a social handle) become
    `namespace:value`, so buyer 123 of Allegro is not buyer 123 of another market.
    """
    type_ = IdentityType(type_)
    if (type_ in NAMESPACED) != (namespace is not None):
        raise InvalidIdentity(
            f"a {type_} identity {'needs' if type_ in NAMESPACED else 'takes no'} namespace"
        )
    if type_ is IdentityType.EMAIL:
        return normalise_email(value)
    if type_ is IdentityType.PHONE:
        return normalise_phone(value)
    if type_ in (IdentityType.LOYALTY_CARD, IdentityType.POS_CUSTOMER):
        compact = re.sub(r"[\s-]", "", value).upper()
        if not _CARD.fullmatch(compact):
            raise InvalidIdentity("4 to 32 letters and digits (spaces and dashes are ignored)")
        return compact
    ns = (namespace or "").strip().lower()
    if not _NAMESPACE.fullmatch(ns):
        raise InvalidIdentity("a namespace is a lower-case code such as allegro or instagram")
    if type_ is IdentityType.SOCIAL_HANDLE:
        handle = value.strip().removeprefix("@").lower()
        if not _HANDLE.fullmatch(handle):
            raise InvalidIdentity("a handle has 1 to 64 letters, digits, dots, _ or -")
        return f"{ns}:{handle}"
    account = value.strip()
    if not _ACCOUNT.fullmatch(account):
        raise InvalidIdentity("a buyer id has 1 to 128 letters, digits and . _ : @ -")
    return f"{ns}:{account}"


def split_namespace(type_: IdentityType, normalised: str) -> tuple[str | None, str]:
    """(namespace, value) of a stored identity."""
    if type_ in NAMESPACED:
        ns, _, value = normalised.partition(":")
        return ns, value
    return None, normalised


# --- addresses ----------------------------------------------------------------------

_POLISH_POSTCODE = re.compile(r"^\d{2}-\d{3}$")


def normalise_postcode(country: str, postcode: str) -> str:
    """NN-NNN for Poland ("00950" is read as "00-950"); other countries loosely."""
    value = postcode.strip().upper()
    if country == "PL":
        if re.fullmatch(r"\d{5}", value):
            value = f"{value[:2]}-{value[2:]}"
        if not _POLISH_POSTCODE.fullmatch(value):
            raise ValueError(f"a Polish postcode is NN-NNN, not {postcode!r}")
        return value
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{1,10}", value):
        raise ValueError(f"not a postcode: {postcode!r}")
    return value


def fold_city(city: str) -> str:
    """A city's name for matching: case, accents and spacing ignored ("Łódź" = "lodz")."""
    text = city.strip().casefold().replace("ł", "l")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.replace("-", " ").split())


# --- consents -----------------------------------------------------------------------


def merged_consent(survivor: bool | None, merged: bool | None) -> bool:
    """The consent a merged profile keeps; None is a profile never asked.

    The most restrictive answer given wins: a withdrawal (or refusal) given to either
    profile is honoured. A profile never asked has no say, so a consent given to the
    other one stands; with no answer at all marketing stays off, as by default."""
    answers = [a for a in (survivor, merged) if a is not None]
    return bool(answers) and all(answers)


# --- service cases ------------------------------------------------------------------


class CaseMoveRefused(ValueError):
    pass


def check_case_move(current: CaseStatus, wanted: CaseStatus) -> None:
    """Raise CaseMoveRefused unless a case may go from `current` to `wanted`."""
    if wanted != current and wanted not in _CASE_MOVES[current]:
        allowed = ", ".join(sorted(_CASE_MOVES[current])) or "nothing (it is closed)"
        raise CaseMoveRefused(f"a {current} case can move to {allowed}, not {wanted}")


def case_due(category: CaseCategory, opened_at: datetime) -> datetime:
    """When a new case of this category must have been answered."""
    return opened_at + CASE_SLA[category]


# --- segments -----------------------------------------------------------------------


def nightly_due_since(now: datetime, hour: int) -> datetime:
    """The latest `hour`:00 UTC at or before `now`: segments recomputed before it are due."""
    today = datetime.combine(now.date(), time(hour), tzinfo=now.tzinfo)
    return today if today <= now else today - timedelta(days=1)
