"""Promise 5: a request sent again with its Idempotency-Key gets the first answer, and
its change happens once, however many copies arrive at the same time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from omnichannel.db import Database, OutboxEvent, make_engine, record_event, unit_of_work
from omnichannel.db import prepared as prepared_module
from omnichannel.db.idempotency import (
    TTL,
    Answer,
    Claim,
    IdempotencyKey,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    claim,
    release,
    release_abandoned,
    store_answer,
    sweep_expired,
)
from omnichannel.kernel import utcnow

THREADS = 20
JOIN_TIMEOUT_S = 60

BODY = '{"id":"0190-first","total":{"amount":1999,"currency":"PLN"}}'


def asked(key: str = "k-1", *, scope: str = "staff:anna", request_hash: str = "a" * 64) -> Claim:
    return Claim(scope=scope, key=key, operation="POST /api/v1/things", request_hash=request_hash)


def answer(body: str = BODY) -> Answer:
    return Answer(201, body, {"Location": "/api/v1/things/1", "content-type": "application/json"})


def test_the_first_request_claims_its_key_and_a_repeat_gets_the_stored_answer(
    session: Session,
) -> None:
    assert claim(session, asked()) is None
    store_answer(session, asked(), answer())
    session.commit()

    replay = claim(session, asked())
    assert replay == answer()
    assert replay is not None
    assert replay.body == BODY  # the exact text, not JSON stored and serialised again


def test_the_same_key_with_another_request_is_refused(session: Session) -> None:
    assert claim(session, asked()) is None
    store_answer(session, asked(), answer())
    session.commit()
    with pytest.raises(IdempotencyKeyReused) as refused:
        claim(session, asked(request_hash="b" * 64))
    assert refused.value.status == 422
    assert refused.value.errors[0]["field"] == "Idempotency-Key"


def test_keys_belong_to_their_caller(session: Session) -> None:
    assert claim(session, asked(scope="staff:anna")) is None
    store_answer(session, asked(scope="staff:anna"), answer())
    assert claim(session, asked(scope="channel:web")) is None


def test_a_key_claimed_but_never_answered_is_in_use(session: Session) -> None:
    assert claim(session, asked()) is None
    session.commit()
    with pytest.raises(IdempotencyKeyInUse) as busy:
        claim(session, asked())
    assert busy.value.status == 409
    assert busy.value.extra["retry_after"] == 1


def test_an_expired_key_is_taken_over_by_a_new_request(session: Session) -> None:
    long_ago = utcnow() - TTL - timedelta(minutes=1)
    assert claim(session, asked(), now=long_ago) is None
    store_answer(session, asked(), answer())
    session.commit()

    assert claim(session, asked(request_hash="c" * 64)) is None
    row = session.scalars(select(IdempotencyKey)).one()
    assert (row.request_hash, row.status_code, row.response) == ("c" * 64, None, None)
    assert row.expires_at > utcnow() + TTL - timedelta(minutes=1)


def test_a_failed_request_leaves_no_claim_so_a_retry_runs_afresh(
    committing_db: Database,
) -> None:
    def declined() -> None:
        with unit_of_work(committing_db) as s:
            assert claim(s, asked()) is None
            raise RuntimeError("payment declined")

    with pytest.raises(RuntimeError, match="payment declined"):
        declined()
    with unit_of_work(committing_db) as s:
        assert claim(s, asked()) is None
        store_answer(s, asked(), answer())
    with unit_of_work(committing_db) as s:
        assert claim(s, asked()) == answer()


def test_the_sweeper_deletes_expired_keys_in_batches_and_keeps_live_ones(
    session: Session,
) -> None:
    now = utcnow()
    for i in range(5):
        assert claim(session, asked(f"old-{i}"), now=now - TTL - timedelta(seconds=i + 1)) is None
    assert claim(session, asked("live"), now=now) is None
    session.commit()

    assert sweep_expired(session, now=now, batch=3) == 3
    assert sweep_expired(session, now=now, batch=3) == 2
    assert sweep_expired(session, now=now, batch=3) == 0
    assert session.scalars(select(IdempotencyKey.key)).all() == ["live"]


def test_a_key_given_up_after_a_refusal_lets_a_retry_run_afresh(session: Session) -> None:
    assert claim(session, asked()) is None
    session.commit()  # committed unanswered: the provider is being asked
    with pytest.raises(IdempotencyKeyInUse):
        claim(session, asked())
    release(session, asked())
    session.commit()
    assert claim(session, asked()) is None


def test_keys_left_unanswered_by_a_dead_request_are_given_up_once_settled(
    session: Session,
) -> None:
    now = utcnow()
    assert claim(session, asked("abandoned"), now=now - timedelta(minutes=20)) is None
    assert claim(session, asked("answered"), now=now - timedelta(minutes=20)) is None
    store_answer(session, asked("answered"), answer())
    assert claim(session, asked("running"), now=now - timedelta(minutes=1)) is None
    session.commit()
    assert release_abandoned(session, older_than=timedelta(minutes=15), now=now) == 1
    kept = session.scalars(select(IdempotencyKey.key).order_by(IdempotencyKey.key)).all()
    assert kept == ["answered", "running"]


def test_a_claim_and_its_answer_are_two_statements(session: Session, engine) -> None:  # type: ignore[no-untyped-def]
    session.execute(select(1))  # the transaction is open: BEGIN is not counted
    sent: list[str] = []

    def count(*args: object) -> None:
        sent.append(str(args[2] if len(args) > 2 else args[0]))

    event.listen(engine, "before_cursor_execute", count)
    prepared_module.observers.append(count)
    try:
        assert claim(session, asked()) is None
        store_answer(session, asked(), answer())
    finally:
        event.remove(engine, "before_cursor_execute", count)
        prepared_module.observers.remove(count)
    assert len(sent) == 2, sent


# --- concurrency ----------------------------------------------------------------------


@pytest.fixture
def wide_db(committing_db: Database) -> Iterator[Database]:
    """The committing database with a connection per thread on PostgreSQL."""
    if committing_db.backend != "postgresql":
        yield committing_db
        return
    url = committing_db.engine.url.render_as_string(hide_password=False)
    db = Database(make_engine(url, pool_size=THREADS))
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


def test_twenty_copies_at_once_run_once_and_all_get_the_same_answer(wide_db: Database) -> None:
    ran: list[int] = []
    answers: list[str] = []

    def request(i: int) -> None:
        with unit_of_work(wide_db, actor="staff:anna") as s:
            stored = claim(s, asked())
            if stored is not None:
                answers.append(stored.body)
                return
            ran.append(i)
            record_event(
                s, aggregate_type="order", aggregate_id="o-1", sequence=1, type="made", payload={}
            )
            time.sleep(0.05)  # the others arrive while this one is running
            body = f'{{"made_by":{i}}}'
            store_answer(s, asked(), answer(body))
            answers.append(body)

    assert _run(request) == []
    assert len(ran) == 1
    assert answers == [f'{{"made_by":{ran[0]}}}'] * THREADS
    with unit_of_work(wide_db, read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 1


def test_a_copy_waits_for_the_first_no_longer_than_it_is_told(wide_db: Database) -> None:
    if wide_db.backend != "postgresql":
        pytest.skip("SQLite writers queue for the database (Database.writing), not for a row")
    first_claimed, release = threading.Event(), threading.Event()

    def first() -> None:
        with unit_of_work(wide_db) as s:
            assert claim(s, asked()) is None
            first_claimed.set()
            release.wait(10)
            s.rollback()

    holder = threading.Thread(target=first, daemon=True)
    holder.start()
    try:
        assert first_claimed.wait(10)
        started = time.perf_counter()
        with pytest.raises(IdempotencyKeyInUse), unit_of_work(wide_db) as s:
            claim(s, asked(), wait_ms=200)
        assert 0.15 < time.perf_counter() - started < 2
    finally:
        release.set()
        holder.join(10)


def test_a_won_claim_leaves_the_lock_timeout_as_it_found_it(wide_db: Database) -> None:
    if wide_db.backend != "postgresql":
        pytest.skip("lock_timeout is PostgreSQL's")
    with unit_of_work(wide_db) as s:
        s.execute(select(func.set_config("lock_timeout", "7s", True)))
        assert claim(s, asked(), wait_ms=250) is None
        assert s.scalar(select(func.current_setting("lock_timeout"))) == "7s"
        store_answer(s, asked(), answer())


def test_the_worker_deletes_expired_keys_at_most_once_a_minute(committing_db: Database) -> None:
    from omnichannel import schedule
    from omnichannel.worker.jobs import registered
    from omnichannel.worker.runner import Runner

    long_ago = utcnow() - TTL - timedelta(minutes=1)
    with unit_of_work(committing_db) as s:
        for i in range(3):
            assert claim(s, asked(f"old-{i}"), now=long_ago) is None
        assert claim(s, asked("live")) is None
    schedule.install()
    sweeper = Runner(committing_db, [j for j in registered() if j.name == "idempotency.sweep"])
    [run] = sweeper.run_due()
    assert run.outcome is not None
    assert run.outcome.counts == {"rows": 3}
    with unit_of_work(committing_db) as s:
        assert claim(s, asked("old-9"), now=long_ago) is None
    assert sweeper.run_due() == []  # not again within the minute
    with unit_of_work(committing_db, read_only=True) as s:
        assert sorted(s.scalars(select(IdempotencyKey.key))) == ["live", "old-9"]
