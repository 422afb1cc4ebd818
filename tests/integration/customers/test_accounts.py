"""Customer sign-in: registering, signing in and out, lockout, tokens that end, and
no way into a profile somebody else's e-mail already points at."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnichannel.channels.schemas import ChannelCreate, ChannelUpdate
from omnichannel.channels.service import create_channel, get_channel_by_code, update_channel
from omnichannel.customers import accounts, audit, identities, merge, privacy
from omnichannel.customers.models import Customer, CustomerAccount, CustomerToken
from omnichannel.customers.rules import IdentityType
from omnichannel.db import Database, OutboxEvent, unit_of_work
from omnichannel.kernel import Unauthenticated, utcnow
from omnichannel.kernel.errors import InvalidInput
from tests.integration.customers.conftest import MakeCustomer, raw_dump, row_counts

EMAIL = "ewa.kowalska@example.com"
PASSWORD = "lato w Sopocie 2026"


@pytest.fixture
def signed_up(session: Session, channels: list[str]) -> accounts.Registration:
    """Ewa, signed up in the web shop (committed)."""
    done = accounts.register(
        session,
        email=EMAIL,
        password=PASSWORD,
        given_name="Ewa",
        family_name="Kowalska",
        channel="web",
    )
    session.commit()
    return done


def _account(session: Session, customer_id: uuid.UUID) -> CustomerAccount:
    session.expire_all()
    found = session.get(CustomerAccount, customer_id)
    assert found is not None
    return found


def test_a_customer_signs_up_and_is_signed_in_through_their_channel(
    session: Session, signed_up: accounts.Registration
) -> None:
    assert signed_up.token.startswith("omct_")
    principal = accounts.authenticate(session, token=signed_up.token)
    assert principal.kind == "customer"
    assert principal.id == signed_up.customer_id
    assert principal.actor == f"customer:{signed_up.customer_id}"
    assert principal.permissions == {"carts:own", "orders:own"}
    assert principal.channel_code == "web"
    assert not principal.can_act_on_location(uuid.uuid4())
    assert principal.channel_id == get_channel_by_code(session, code="web").id
    assert principal.can("carts:own")
    assert not principal.can("carts:write")
    found = identities.find_customer_id(
        session, type=IdentityType.EMAIL, value="EWA.Kowalska@example.com"
    )
    assert found == signed_up.customer_id
    events = session.scalars(
        select(OutboxEvent.type).where(OutboxEvent.aggregate_id == str(signed_up.customer_id))
    ).all()
    assert {"customers.created", "customers.account_created"} <= set(events)


def test_only_hashes_of_the_password_and_the_token_are_stored(
    session: Session, signed_up: accounts.Registration
) -> None:
    row = session.get(CustomerToken, signed_up.row.id)
    assert row is not None
    assert row.token_hash == hashlib.sha256(signed_up.token.encode()).hexdigest()
    assert _account(session, signed_up.customer_id).password_hash.startswith("$argon2id$")
    dump = raw_dump(session)
    assert signed_up.token not in dump
    assert PASSWORD not in dump


def test_a_customer_signs_in_with_their_email_and_password(
    session: Session, signed_up: accounts.Registration
) -> None:
    token, row = accounts.login(
        session, email=" Ewa.Kowalska@Example.com", password=PASSWORD, channel="app"
    )
    assert token != signed_up.token
    assert token.startswith("omct_")
    assert row.customer_id == signed_up.customer_id
    assert row.expires_at > utcnow() + timedelta(days=29)
    assert accounts.authenticate(session, token=token).channel_code == "app"
    assert _account(session, signed_up.customer_id).last_login_at is not None


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    session: Session, signed_up: accounts.Registration
) -> None:
    with pytest.raises(accounts.InvalidCredentials) as wrong:
        accounts.login(session, email=EMAIL, password="not my password", channel="web")
    with pytest.raises(accounts.InvalidCredentials) as unknown:
        accounts.login(session, email="nikt@example.com", password=PASSWORD, channel="web")
    assert wrong.value.detail == unknown.value.detail
    assert wrong.value.status == unknown.value.status == 401
    assert _account(session, signed_up.customer_id).failed_logins == 1


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    session: Session, signed_up: accounts.Registration
) -> None:
    now = utcnow()
    for _ in range(4):
        with pytest.raises(accounts.InvalidCredentials):
            accounts.login(session, email=EMAIL, password="zgaduję dalej", channel="web", now=now)
    with pytest.raises(accounts.AccountLocked) as fifth:
        accounts.login(session, email=EMAIL, password="zgaduję dalej", channel="web", now=now)
    assert fifth.value.status == 429
    assert fifth.value.extra["retry_after"] == 15 * 60
    # Locked: even the right password is not checked.
    with pytest.raises(accounts.AccountLocked) as during:
        accounts.login(
            session, email=EMAIL, password=PASSWORD, channel="web", now=now + timedelta(minutes=5)
        )
    assert during.value.extra["retry_after"] == 10 * 60
    account = _account(session, signed_up.customer_id)
    assert account.failed_logins == 5
    later = now + timedelta(minutes=15, seconds=1)
    accounts.login(session, email=EMAIL, password=PASSWORD, channel="web", now=later)
    account = _account(session, signed_up.customer_id)
    assert (account.failed_logins, account.locked_until) == (0, None)


def test_a_wrong_password_right_after_a_lock_locks_the_account_again(
    session: Session, signed_up: accounts.Registration
) -> None:
    now = utcnow()
    for _ in range(4):
        with pytest.raises(accounts.InvalidCredentials):
            accounts.login(session, email=EMAIL, password="zgaduję dalej", channel="web", now=now)
    with pytest.raises(accounts.AccountLocked):
        accounts.login(session, email=EMAIL, password="zgaduję dalej", channel="web", now=now)
    later = now + timedelta(minutes=16)
    with pytest.raises(accounts.AccountLocked):
        accounts.login(session, email=EMAIL, password="jeszcze raz", channel="web", now=later)


def test_signing_out_revokes_the_token(session: Session, signed_up: accounts.Registration) -> None:
    other, _ = accounts.login(session, email=EMAIL, password=PASSWORD, channel="app")
    accounts.logout(session, token=signed_up.token)
    with pytest.raises(Unauthenticated):
        accounts.authenticate(session, token=signed_up.token)
    assert accounts.authenticate(session, token=other).id == signed_up.customer_id


def test_an_expired_token_is_refused(session: Session, signed_up: accounts.Registration) -> None:
    expires = signed_up.row.expires_at
    accounts.authenticate(session, token=signed_up.token, now=expires - timedelta(seconds=1))
    with pytest.raises(Unauthenticated):
        accounts.authenticate(session, token=signed_up.token, now=expires)


def test_an_unknown_token_is_refused(session: Session, channels: list[str]) -> None:
    with pytest.raises(Unauthenticated):
        accounts.authenticate(session, token="omct_" + "x" * 43)


def test_a_token_of_a_switched_off_channel_is_refused(
    session: Session, signed_up: accounts.Registration
) -> None:
    web = get_channel_by_code(session, code="web")
    update_channel(session, channel_id=web.id, data=ChannelUpdate(status="inactive"))
    with pytest.raises(Unauthenticated):
        accounts.authenticate(session, token=signed_up.token)


def test_an_email_that_has_an_account_cannot_sign_up_again(
    session: Session, signed_up: accounts.Registration
) -> None:
    before = row_counts(session)
    with pytest.raises(accounts.AccountExists) as refused:
        accounts.register(session, email=EMAIL.upper(), password="inne hasło 123", channel="app")
    assert refused.value.status == 409
    session.rollback()
    assert row_counts(session) == before
    accounts.login(session, email=EMAIL, password=PASSWORD, channel="web")  # still Ewa's


def test_an_email_of_a_store_profile_is_not_taken_over_by_signing_up(
    session: Session, make_customer: MakeCustomer
) -> None:
    store = make_customer(channel="pos-krk", given_name="Ewa", emails=[EMAIL])
    before = row_counts(session)
    with pytest.raises(accounts.EmailNeedsVerification) as refused:
        accounts.register(session, email=EMAIL, password="przejmę to konto", channel="web")
    assert refused.value.status == 409
    assert str(store) not in refused.value.detail
    session.rollback()
    assert row_counts(session) == before
    assert session.get(CustomerAccount, store) is None
    with pytest.raises(accounts.InvalidCredentials):
        accounts.login(session, email=EMAIL, password="przejmę to konto", channel="web")


@pytest.mark.parametrize("password", ["krótkie", "x" * 9, "x" * 129])
def test_a_password_of_the_wrong_length_is_refused_and_nothing_is_written(
    session: Session, channels: list[str], password: str
) -> None:
    before = row_counts(session)
    with pytest.raises(InvalidInput) as refused:
        accounts.register(session, email=EMAIL, password=password, channel="web")
    assert refused.value.errors[0]["field"] == "password"
    assert row_counts(session) == before


def test_a_malformed_email_is_refused(session: Session, channels: list[str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        accounts.register(session, email="ewa@", password=PASSWORD, channel="web")
    assert refused.value.errors[0]["field"] == "email"


def test_erasure_deletes_the_account_and_its_tokens_and_the_email_can_start_afresh(
    session: Session, signed_up: accounts.Registration
) -> None:
    cid = signed_up.customer_id
    privacy.erase(session, customer_id=cid)
    session.commit()
    assert session.get(CustomerAccount, cid) is None
    assert session.scalar(select(func.count()).select_from(CustomerToken)) == 0
    assert session.get(Customer, cid) is not None  # the pseudonymous skeleton stays
    with pytest.raises(Unauthenticated):
        accounts.authenticate(session, token=signed_up.token)
    with pytest.raises(accounts.InvalidCredentials):
        accounts.login(session, email=EMAIL, password=PASSWORD, channel="web")
    again = accounts.register(session, email=EMAIL, password="nowe życie 2027", channel="web")
    assert again.customer_id != cid


def test_a_merged_customers_token_is_refused_and_erasing_the_survivor_removes_its_account(
    session: Session, signed_up: accounts.Registration, make_customer: MakeCustomer
) -> None:
    store = make_customer(channel="pos-krk", given_name="Ewa", phones=["601 234 567"])
    merge.merge_customers(session, survivor_id=store, source_id=signed_up.customer_id)
    session.commit()
    with pytest.raises(Unauthenticated):
        accounts.authenticate(session, token=signed_up.token)
    privacy.erase(session, customer_id=store)
    session.commit()
    assert session.get(CustomerAccount, signed_up.customer_id) is None
    assert session.scalar(select(func.count()).select_from(CustomerToken)) == 0


def test_the_survivor_of_a_merge_keeps_signing_in(
    session: Session, signed_up: accounts.Registration, make_customer: MakeCustomer
) -> None:
    store = make_customer(channel="pos-krk", phones=["601 234 567"])
    merge.merge_customers(session, survivor_id=signed_up.customer_id, source_id=store)
    session.commit()
    assert accounts.authenticate(session, token=signed_up.token).id == signed_up.customer_id


def test_a_customer_reading_their_own_profile_is_audited_as_a_self_read(
    session: Session, signed_up: accounts.Registration
) -> None:
    session.info["actor"] = f"customer:{signed_up.customer_id}"
    found = accounts.own_profile(session, customer_id=signed_up.customer_id)
    assert found.customer.given_name == "Ewa"
    [entry] = audit.entries(session, customer_id=signed_up.customer_id, action=audit.Action.READ)
    assert (entry.actor, entry.purpose) == (f"customer:{signed_up.customer_id}", "self")


# --- under contention ---------------------------------------------------------------

THREADS = 4


def _together(work: Callable[[int], None]) -> list[BaseException]:
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(THREADS)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    assert not [t for t in pool if t.is_alive()], "threads still waiting: a deadlock?"
    return errors


def test_signing_up_one_email_at_once_makes_one_account(committing_db: Database) -> None:
    with unit_of_work(committing_db, actor="setup") as s:
        create_channel(s, data=ChannelCreate(code="web", name="Web", type="web"))

    def work(i: int) -> None:
        with unit_of_work(committing_db, actor=f"storefront-{i}") as s:
            accounts.register(s, email=EMAIL, password=f"hasło numer {i}", channel="web")

    errors = _together(work)
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, accounts.AccountExists) for e in errors), errors
    with unit_of_work(committing_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(CustomerAccount)) == 1
        assert s.scalar(select(func.count()).select_from(Customer)) == 1


def test_wrong_passwords_sent_at_once_all_count(committing_db: Database) -> None:
    with unit_of_work(committing_db, actor="setup") as s:
        create_channel(s, data=ChannelCreate(code="web", name="Web", type="web"))
        cid = accounts.register(s, email=EMAIL, password=PASSWORD, channel="web").customer_id

    def work(i: int) -> None:
        # The refusal is committed all the same, as the endpoint does.
        with (
            unit_of_work(committing_db, actor=f"guess-{i}") as s,
            contextlib.suppress(accounts.InvalidCredentials),
        ):
            accounts.login(s, email=EMAIL, password=f"zgaduję {i:04d}", channel="web")

    assert _together(work) == []
    with unit_of_work(committing_db, read_only=True) as s:
        account = s.get(CustomerAccount, cid)
        assert account is not None
        assert account.failed_logins == THREADS
