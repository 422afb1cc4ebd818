"""Key rotation while lookups keep working, and the `omni customers` and `omni worker`
commands, with real commits."""

import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnichannel.cli.main import app
from omnichannel.config import decode_secret_key
from omnichannel.customers import crypto, identities, profiles, rotation, segments
from omnichannel.customers.crypto import KeyRing
from omnichannel.customers.models import Segment
from omnichannel.customers.rules import IdentityType
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.customers.schemas_segments import SegmentCreate, SegmentRules
from omnichannel.db import Database, unit_of_work
from omnichannel.kernel import utcnow
from omnichannel.schedule import nightly_segments
from tests.integration.customers.conftest import MakeCustomer

OLD, NEW = secrets.token_bytes(32), secrets.token_bytes(32)


@pytest.fixture
def old_key() -> Iterator[KeyRing]:
    with crypto.using(KeyRing(OLD)) as ring:
        yield ring


def _stored_key_ids(session: Session) -> set[str]:
    ids: set[str] = set()
    for sc in rotation.sealed_columns():
        for (value,) in session.execute(
            text(f"SELECT {sc.column.name} FROM {sc.table.name}")  # noqa: S608 - our own names
        ):
            if value is not None:
                ids.add(value.split(":")[0])
    return ids


def test_after_rotation_every_value_is_under_the_new_key_and_lookups_never_stop(
    session: Session, make_customer: MakeCustomer, old_key: KeyRing
) -> None:
    cid = make_customer(
        given_name="Anna",
        emails=["anna@example.com"],
        addresses=[{"street": "ul. Długa 1", "postcode": "80-827", "city": "Gdańsk"}],
        notes="notatka",
    )
    rotated = KeyRing(NEW, [OLD])
    with crypto.using(rotated):
        # Deployed with the new key, not yet rotated: old values open, old digests match.
        assert (
            identities.find_customer_id(session, type=IdentityType.EMAIL, value="anna@example.com")
            == cid
        )
        assert rotation.stale_count(session) > 0
        while rotation.reseal(session, limit=2):
            pass
        assert rotation.reindex_identities(session, limit=100)[0] == 1
        assert rotation.reindex_addresses(session, limit=100)[0] == 1
        assert rotation.stale_count(session) == 0
    assert _stored_key_ids(session) == {rotated.current.id}
    with crypto.using(KeyRing(NEW)):  # the old key is gone for good
        assert (
            identities.find_customer_id(session, type=IdentityType.EMAIL, value="anna@example.com")
            == cid
        )
        p = profiles.get_customer(session, customer_id=cid, reveal=True)
        assert (p.customer.given_name, p.customer.notes) == ("Anna", "notatka")
        assert p.addresses[0].details["city"] == "Gdańsk"
        # The city index was rebuilt too: segments by city still find her.
        rules = SegmentRules(cities=["gdansk"])
        assert set(session.scalars(segments.matching(rules, now=utcnow()))) == {cid}


@pytest.fixture
def cli_db(committing_db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr("omnichannel.cli.common.get_database", lambda: committing_db)
    return committing_db


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_new_key_prints_a_usable_secret() -> None:
    code, out = _run("customers", "new-key")
    assert code == 0
    assert len(decode_secret_key(out.strip())) == 32


def test_recompute_segments_and_the_nightly_worker_step(cli_db: Database) -> None:
    with unit_of_work(cli_db, actor="test") as s:
        cid = profiles.create_customer(
            s,
            data=CustomerCreate.model_validate(
                {
                    "addresses": [
                        {"street": "ul. Floriańska 1", "postcode": "31-019", "city": "Kraków"}
                    ]
                }
            ),
        ).customer.id
        segments.create_segment(
            s,
            data=SegmentCreate.model_validate(
                {
                    "code": "krakow",
                    "name": "Kraków",
                    "kind": "rule",
                    "rules": {"cities": ["Kraków"]},
                }
            ),
        )
    code, out = _run("customers", "recompute-segments")
    assert code == 0, out
    assert "krakow: 1 member(s), +1 -0" in out
    code, out = _run("customers", "recompute-segments", "nope")
    assert code == 1

    with unit_of_work(cli_db, actor="test") as s:
        s.execute(update(Segment).values(recomputed_at=utcnow() - timedelta(days=2)))
    # Midday, well away from the nightly hour (02:00 UTC): a run just before it would
    # rightly fall due again just after, whatever the real time of the test run.
    noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    assert nightly_segments(cli_db, now=noon).counts == {"segments": 1}
    assert nightly_segments(cli_db, now=noon + timedelta(minutes=2)).counts == {"segments": 0}
    with unit_of_work(cli_db, actor="test") as s:
        s.execute(update(Segment).values(recomputed_at=utcnow() - timedelta(days=2)))
    code, out = _run("worker", "--once")
    assert code == 0, out
    with unit_of_work(cli_db, read_only=True) as s:
        assert segments.segments_of(s, customer_id=cid) == ["krakow"]


def test_rotate_keys_command_reseals_everything(cli_db: Database) -> None:
    with crypto.using(KeyRing(OLD)), unit_of_work(cli_db, actor="test") as s:
        profiles.create_customer(
            s, data=CustomerCreate(given_name="Anna", emails=["anna@example.com"])
        )
    with crypto.using(KeyRing(NEW, [OLD])):
        code, out = _run("customers", "rotate-keys", "--batch-size", "1")
        assert code == 0, out
        assert "0 left under retired keys" in out
    with crypto.using(KeyRing(NEW)), unit_of_work(cli_db, read_only=True) as s:
        assert identities.find_customer_id(s, type=IdentityType.EMAIL, value="anna@example.com")
        assert _stored_key_ids(s) == {KeyRing(NEW).current.id}
