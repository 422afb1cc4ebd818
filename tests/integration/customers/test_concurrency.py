"""One person, one profile, under contention: many checkouts claiming the same new
e-mail at once, each in its own committed transaction, never start two profiles; two
opposite merges never deadlock."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from omnichannel.channels.schemas import ChannelCreate
from omnichannel.channels.service import create_channel
from omnichannel.customers import identities, merge, profiles, resolution
from omnichannel.customers.errors import IdentityTaken, MergeRefused
from omnichannel.customers.models import Customer, CustomerIdentity
from omnichannel.customers.rules import IdentityType
from omnichannel.customers.schemas import CustomerCreate, IdentityIn
from omnichannel.db import Database, make_engine, unit_of_work

THREADS = 12
JOIN_TIMEOUT_S = 60


@pytest.fixture
def wide_db(committing_db: Database) -> Iterator[Database]:
    """The committing database with a connection per thread on PostgreSQL."""
    if committing_db.backend != "postgresql":
        yield committing_db
        return
    db = Database(
        make_engine(
            committing_db.engine.url.render_as_string(hide_password=False), pool_size=THREADS
        )
    )
    try:
        yield db
    finally:
        db.dispose()


def _run(work: Callable[[int], None], threads: int = THREADS) -> list[BaseException]:
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=JOIN_TIMEOUT_S)
    assert not [t for t in pool if t.is_alive()], "threads still waiting: a deadlock?"
    return errors


def test_concurrent_checkouts_with_one_new_email_make_one_profile(wide_db: Database) -> None:
    with unit_of_work(wide_db, actor="setup") as s:
        create_channel(s, data=ChannelCreate(code="web", name="Web", type="web"))
    found: list[uuid.UUID] = []

    def work(i: int) -> None:
        with unit_of_work(wide_db, actor=f"checkout-{i}") as s:
            got = resolution.find_or_attach(
                s,
                identities=[
                    IdentityIn(type=IdentityType.EMAIL, value="Nowy.Klient@example.com"),
                    IdentityIn(type=IdentityType.PHONE, value=f"+48 601 000 {100 + i}"),
                ],
                channel="web",
            )
        found.append(got.customer_id)

    assert _run(work) == []
    assert len(set(found)) == 1
    with unit_of_work(wide_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1
        assert s.scalar(select(func.count()).select_from(CustomerIdentity)) == THREADS + 1
        assert (
            identities.find_customer_id(s, type=IdentityType.EMAIL, value="nowy.klient@example.com")
            == found[0]
        )


def test_concurrent_sign_ups_with_one_email_leave_one_profile_and_refuse_the_rest(
    wide_db: Database,
) -> None:
    outcomes: list[str] = []

    def work(i: int) -> None:
        try:
            with unit_of_work(wide_db, actor=f"signup-{i}") as s:
                profiles.create_customer(
                    s, data=CustomerCreate(given_name=f"K{i}", emails=["ta.sama@example.com"])
                )
            outcomes.append("created")
        except IdentityTaken:
            outcomes.append("taken")
        except Exception as e:  # the unique index caught a race the check did not see
            if "IntegrityError" not in type(e).__name__:
                raise
            outcomes.append("taken")

    assert _run(work) == []
    assert sorted(outcomes) == ["created"] + ["taken"] * (THREADS - 1)
    with unit_of_work(wide_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1


def test_two_opposite_merges_do_not_deadlock_and_one_wins(wide_db: Database) -> None:
    with unit_of_work(wide_db, actor="setup") as s:
        a = profiles.create_customer(s, data=CustomerCreate(given_name="A")).customer.id
        b = profiles.create_customer(s, data=CustomerCreate(given_name="B")).customer.id
    outcomes: list[str] = []

    def work(i: int) -> None:
        survivor, source = (a, b) if i % 2 else (b, a)
        try:
            with unit_of_work(wide_db, actor=f"agent-{i}") as s:
                merge.merge_customers(s, survivor_id=survivor, source_id=source)
            outcomes.append("merged")
        except MergeRefused:
            outcomes.append("refused")

    assert _run(work, threads=2) == []
    assert sorted(outcomes) == ["merged", "refused"]
    with unit_of_work(wide_db, read_only=True) as s:
        statuses = sorted(s.scalars(select(Customer.status)))
    assert statuses == ["active", "merged"]
