"""Customer sign-in for the web shop and the app: registering an account, signing in
with e-mail and password, bearer tokens, and turning a token into a Principal.

The rules, so that nobody can take over somebody else's profile:

- `register` starts a new profile owning the e-mail, with the account on it. An e-mail
  that already has an account is a 409 `account_exists`. An e-mail that belongs to a
  profile *without* an account (met in a store, on the phone, at a checkout as a guest)
  is a 409 `email_needs_verification`: nobody has proved they own that address, so the
  account is never attached to that profile silently (its orders, addresses and
  history would go to whoever typed the e-mail first). Linking it needs a verification
  step that does not exist yet.
- `login` answers one 401 for an unknown e-mail and for a wrong password alike, and
  spends as long on both. Five wrong passwords in a row lock the account for 15
  minutes: the fifth and every attempt during the lock are a 429 `account_locked`
  with `retry_after` seconds, without the password being checked; a wrong password
  right after a lock locks it again at once; a correct one resets the count.
  Refusals change the count, so the caller must commit them (the endpoint answers the
  refusal instead of raising it).
- A token is `omct_` + 256 random bits, stored as its SHA-256 only. It stops working
  when it expires, when it is revoked (`logout`), when the customer is erased (the
  account and tokens are deleted), and when the customer is merged into another
  profile: a token stands for the profile it was issued to, so the person signs in
  again (merges move e-mails to the survivor, and its account answers).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnichannel.channels import service as channels
from omnichannel.customers import audit, profiles, records
from omnichannel.customers import identities as known
from omnichannel.customers.errors import IdentityTaken, field_error
from omnichannel.customers.models import Customer, CustomerAccount, CustomerToken
from omnichannel.customers.rules import CustomerStatus, IdentityType
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.kernel import Conflict, NotFound, Principal, Unauthenticated, new_id, utcnow
from omnichannel.kernel.errors import InvalidInput
from omnichannel.security import lockout, passwords
from omnichannel.security.rules import CUSTOMER_PERMISSIONS
from omnichannel.security.service import hash_token

TOKEN_PREFIX = "omct_"  # noqa: S105 - a public prefix, not a secret
TOKEN_TTL = timedelta(days=30)  # a shop session: long, and revoked by logout
PASSWORD_MIN = 10
PASSWORD_MAX = 128
MAX_FAILED_LOGINS = lockout.MAX_FAILED_LOGINS
LOCK_FOR = lockout.LOCK_FOR
AccountLocked = lockout.AccountLocked

_WRONG = "E-mail or password is wrong."


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


class AccountExists(Conflict):
    code = "account_exists"


class EmailNeedsVerification(Conflict):
    """The e-mail belongs to a profile without an account: linking needs proof of it."""

    code = "email_needs_verification"


@dataclass(frozen=True, slots=True)
class Registration:
    customer_id: uuid.UUID
    token: str
    row: CustomerToken


def check_password(password: str, *, field: str = "password") -> None:
    """A password's shape: 10 to 128 characters, any of them (spaces count)."""
    problem = None
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problem = f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"
    else:
        try:
            password.encode()
        except UnicodeEncodeError:
            problem = "must be valid Unicode text"
    if problem is not None:
        raise InvalidInput(
            f"{field}: {problem}.", errors=[field_error(field, problem, "invalid_password")]
        )


def _account_of(session: Session, customer_id: uuid.UUID) -> CustomerAccount | None:
    """The account of a live profile (erased and merged profiles have none to use)."""
    return session.scalar(_ACCOUNT, {"customer_id": customer_id})


_ACCOUNT = (
    select(CustomerAccount)
    .join(Customer, Customer.id == CustomerAccount.customer_id)
    .where(
        CustomerAccount.customer_id == bindparam("customer_id"),
        Customer.status == CustomerStatus.ACTIVE.value,
    )
)


def _refuse_known(session: Session, owner: uuid.UUID) -> NoReturn:
    if _account_of(session, owner) is not None:
        raise AccountExists(
            "An account with this e-mail already exists: sign in, or reset the password.",
            errors=[field_error("email", "already has an account", "account_exists")],
        )
    raise EmailNeedsVerification(
        "This e-mail already belongs to a customer profile (from a store, a call or a guest "
        "checkout) that has no sign-in. It can be linked to an account only once the address "
        "is verified; please contact customer service.",
        errors=[field_error("email", "belongs to a profile without an account", "unverified")],
    )


def register(
    session: Session,
    *,
    email: str,
    password: str,
    given_name: str | None = None,
    family_name: str | None = None,
    channel: str,
    ttl: timedelta = TOKEN_TTL,
) -> Registration:
    """Start a profile with an account for a new e-mail and sign it in (rules above)."""
    check_password(password)
    claim = known.claim(IdentityType.EMAIL, email, None, field="email")
    owner = known.owners(session, [claim]).get(claim)
    if owner is not None:
        _refuse_known(session, owner)
    password_hash = passwords.hash_password(password)
    try:
        with session.begin_nested():
            created = profiles.create_customer(
                session,
                data=CustomerCreate(
                    given_name=given_name, family_name=family_name, emails=[claim.value]
                ),
                channel=channel,
            )
    except (IntegrityError, IdentityTaken):
        # A concurrent registration (or checkout) claimed the e-mail after our check.
        owner = known.owners(session, [claim]).get(claim)
        if owner is None:
            raise
        _refuse_known(session, owner)
    customer = created.customer
    now = utcnow()
    session.add(
        CustomerAccount(
            customer_id=customer.id, password_hash=password_hash, created_at=now, last_login_at=now
        )
    )
    session.flush()
    records.changed(session, customer, "customers.account_created", channel=channel)
    token, row = _issue(session, customer.id, channel=channel, ttl=ttl, now=now)
    return Registration(customer.id, token, row)


def login(
    session: Session,
    *,
    email: str,
    password: str,
    channel: str,
    ttl: timedelta = TOKEN_TTL,
    now: datetime | None = None,
) -> tuple[str, CustomerToken]:
    """Check a customer's password and issue a bearer token, returned once, stored hashed."""
    now = now or utcnow()
    claim = known.claim(IdentityType.EMAIL, email, None, field="email")
    owner = known.owners(session, [claim]).get(claim)
    account = _account_of(session, owner) if owner is not None else None
    if account is None:
        passwords.verify(passwords.DUMMY_HASH, password)
        raise InvalidCredentials(_WRONG)
    lockout.refuse_if_locked(account.locked_until, now)
    if not passwords.verify(account.password_hash, password):
        lockout.refuse_if_locked(
            lockout.count_failure(session, account, key=CustomerAccount.customer_id, now=now), now
        )
        raise InvalidCredentials(_WRONG)
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    return _issue(session, account.customer_id, channel=channel, ttl=ttl, now=now)


def _issue(
    session: Session, customer_id: uuid.UUID, *, channel: str, ttl: timedelta, now: datetime
) -> tuple[str, CustomerToken]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = CustomerToken(
        id=new_id(),
        customer_id=customer_id,
        token_hash=hash_token(token),
        channel=channel,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    return token, row


def logout(session: Session, *, token: str) -> None:
    """Revoke one customer token."""
    session.execute(
        update(CustomerToken)
        .where(CustomerToken.token_hash == hash_token(token), CustomerToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


_TOKEN = select(CustomerToken, Customer.status, Customer.merged_into_id).join(
    Customer, Customer.id == CustomerToken.customer_id
)


def authenticate(session: Session, *, token: str, now: datetime | None = None) -> Principal:
    """The customer a bearer token stands for; 401 if unknown, expired, revoked, or its
    profile was erased or merged, or its channel switched off."""
    row = session.execute(_TOKEN.where(CustomerToken.token_hash == hash_token(token))).one_or_none()
    if row is None:
        raise Unauthenticated("The bearer token is not valid.")
    found, status, merged_into = row
    now = now or utcnow()
    if found.revoked_at is not None or found.expires_at <= now:
        raise Unauthenticated("The bearer token has expired or been revoked.")
    if status != CustomerStatus.ACTIVE or merged_into is not None:
        raise Unauthenticated("This sign-in has ended: please sign in again.")
    try:
        channel = channels.get_channel_by_code(session, code=found.channel or "")
    except NotFound:
        raise Unauthenticated("This sign-in has ended: please sign in again.") from None
    if channel.status != "active":
        raise Unauthenticated(f"Channel {channel.code} is inactive.")
    return Principal(
        kind="customer",
        id=found.customer_id,
        name="customer",  # no personal data in logs that print principals
        permissions=CUSTOMER_PERMISSIONS,
        location_ids=frozenset(),  # acts on no store or warehouse, whatever an endpoint asks
        channel_id=channel.id,
        channel_code=channel.code,
        extra={"token_id": str(found.id)},
    )


def own_profile(session: Session, *, customer_id: uuid.UUID) -> profiles.Profile:
    """A signed-in customer's own profile, read by themself (audited as such)."""
    found = profiles.profile(session, records.load(session, customer_id))
    audit.record(
        session,
        action=audit.Action.READ,
        customer_ids=[found.customer.id],
        fields=["given_name", "family_name", "identities"],
        purpose="self",
    )
    return found
