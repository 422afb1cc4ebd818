"""Stored value under contention, each call its own transaction committed for real:
two authorisations racing for a card's last 50 zł, one wins; the same
authorisation sent twice at once holds once; many small ones never overspend."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from sqlalchemy import select

from omnichannel.db import Database, unit_of_work
from omnichannel.payments import stored_value as sv
from omnichannel.payments.models_stored_value import StoredValueAccount, StoredValueEntry
from omnichannel.payments.providers import AuthoriseRequest, AuthoriseResult
from omnichannel.payments.rules import PaymentMethod
from omnichannel.payments.stored_value_provider import StoredValueProvider

JOIN_TIMEOUT_S = 60


def _issue(db: Database, amount: int) -> sv.Issued:
    with unit_of_work(db, actor="setup") as s:
        return sv.issue_gift_card(s, amount=amount, currency="PLN", actor="setup")


def _race(n: int, work: Callable[[int], AuthoriseResult]) -> list[AuthoriseResult]:
    """Start `n` calls together; wait for all; what each answered (or raise)."""
    start = threading.Barrier(n)
    out: list[AuthoriseResult] = []
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            start.wait()
            out.append(work(i))
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=JOIN_TIMEOUT_S)
    assert not [t for t in pool if t.is_alive()], "threads still waiting: a deadlock?"
    assert errors == []
    return out


def _authorise(p: StoredValueProvider, code: str, amount: int, ref: str) -> AuthoriseResult:
    return p.authorise(
        AuthoriseRequest(
            reference=ref, method=PaymentMethod.GIFT_CARD, amount=amount, currency="PLN", token=code
        )
    )


def _account(db: Database, account_id: uuid.UUID) -> tuple[int, int, tuple[int, int]]:
    with unit_of_work(db, read_only=True) as s:
        a = s.get(StoredValueAccount, account_id)
        assert a is not None
        return a.balance, a.held, sv.ledger_sums(s, account_id=account_id)


def test_two_authorisations_racing_for_the_last_50_zl_one_wins(committing_db: Database) -> None:
    card = _issue(committing_db, 5_000)
    p = StoredValueProvider(committing_db)
    answers = _race(2, lambda i: _authorise(p, card.code, 5_000, str(uuid.uuid4())))
    assert sorted(a.ok for a in answers) == [False, True]
    lost = next(a for a in answers if not a.ok)
    assert lost.message == "Not enough on this gift card: 0.00 PLN left, 50.00 PLN needed."
    assert _account(committing_db, card.account.id) == (5_000, 5_000, (5_000, 5_000))


def test_the_same_authorisation_sent_twice_at_once_holds_once(committing_db: Database) -> None:
    card = _issue(committing_db, 10_000)
    p = StoredValueProvider(committing_db)
    ref = str(uuid.uuid4())
    answers = _race(2, lambda i: _authorise(p, card.code, 3_000, ref))
    assert [a.ok for a in answers] == [True, True]
    assert answers[0].reference == answers[1].reference
    assert _account(committing_db, card.account.id) == (10_000, 3_000, (10_000, 3_000))
    with unit_of_work(committing_db, read_only=True) as s:
        holds = s.scalars(select(StoredValueEntry.id).where(StoredValueEntry.key == ref)).all()
    assert len(holds) == 1


def test_many_small_authorisations_never_hold_more_than_the_balance(
    committing_db: Database,
) -> None:
    card = _issue(committing_db, 1_000)
    p = StoredValueProvider(committing_db)
    answers = _race(8, lambda i: _authorise(p, card.code, 300, str(uuid.uuid4())))
    assert sum(a.ok for a in answers) == 3  # 3 x 300 of 1000; a fourth would overspend
    assert _account(committing_db, card.account.id) == (1_000, 900, (1_000, 900))
