"""Issue 13, point 10: free text people type is personal data (promise 7).

A reason, a note, a message may name the customer. Each is sealed at rest, kept out
of events, and blanked when the customer it concerns is erased: after the erasure a
raw dump of every table (the outbox included) holds no trace of it, and neither do
the sealed values once opened.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from omnichannel.channels.rules import Scope
from omnichannel.channels.schemas import ApiKeyCreate
from omnichannel.channels.service import issue_api_key
from omnichannel.db import OutboxEvent
from omnichannel.db.idempotency import IdempotencyKey
from omnichannel.migrations.models import metadata
from omnichannel.security.crypto import Sealed, SealedJSON, keyring
from tests.api.commerce.conftest import API, Keys
from tests.api.commerce.test_checkout_api import CHECKOUT

Headers = dict[str, str]


def _marker(what: str) -> str:
    """A string found nowhere else: the field's name and a random tail."""
    return f"zq{what}{uuid.uuid4().hex[:10]}"


def _raw_dump(session: Session) -> str:
    """Every row of every table as the database holds it (no column type opens it)."""
    out: list[str] = []
    for table in metadata.sorted_tables:
        rows = session.execute(text(f"SELECT * FROM {table.name}")).all()  # noqa: S608
        out.extend(repr(tuple(row)) for row in rows)
    return "\n".join(out)


def _opened(session: Session, *, skip: frozenset[str] = frozenset()) -> str:
    """Every sealed value of every table, opened with the ring."""
    ring, out = keyring(), list[str]()
    for table in metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, Sealed | SealedJSON) or table.name in skip:
                continue
            raw = session.execute(
                text(f"SELECT {column.name} FROM {table.name} WHERE {column.name} IS NOT NULL")  # noqa: S608
            ).scalars()
            out.extend(ring.open(v, context=column.type.context) for v in raw)
    return "\n".join(out)


def _sign_up(client: TestClient, keys: Keys) -> tuple[uuid.UUID, Headers]:
    r = client.post(
        f"{API}/customers/auth/register",
        json={"email": "anna@example.pl", "password": "długie hasło 123", "given_name": "Anna"},
        headers=keys["web"],
    )
    assert r.status_code == 201, r.text
    return uuid.UUID(r.json()["customer_id"]), {
        "Authorization": f"Bearer {r.json()['access_token']}"
    }


def _order(client: TestClient, keys: Keys, anna: Headers) -> dict[str, Any]:
    cart = client.post(f"{API}/carts", json={}, headers=anna).json()
    r = client.post(
        f"{API}/carts/{cart['id']}/lines",
        json={"variant_id": str(keys.store.v("TS-S")), "quantity": 1},
        headers=anna,
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"{API}/carts/{cart['id']}/checkout",
        json={**CHECKOUT, "contact": None},
        headers={**anna, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def _marketplace_order() -> dict[str, Any]:
    """An Allegro order of one shirt, paid there, by Anna."""
    return {
        "id": str(uuid.uuid4()),
        "buyer": {"id": "23123123", "email": "anna@example.pl", "login": "anna"},
        "lineItems": [
            {
                "offer": {"id": "7712345", "name": "Koszulka", "external": {"id": "TS-S"}},
                "quantity": 1,
                "price": {"amount": "49.99", "currency": "PLN"},
            }
        ],
        "delivery": {"address": {"street": "ul. Długa 45", "city": "Gdańsk", "zipCode": "80-827"}},
        "payment": {"type": "ONLINE"},
        "status": "READY_FOR_PROCESSING",
    }


def _ok(r: Any) -> Any:
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_a_cancel_reason_is_sealed_at_rest_and_not_in_the_outbox(
    client: TestClient, keys: Keys, admin: Headers, session: Session
) -> None:
    _, anna = _sign_up(client, keys)
    order = _order(client, keys, anna)
    reason = _marker("cancel")
    cancelled = _ok(
        client.post(
            f"{API}/orders/{order['id']}/cancel",
            json={"reason": f"Anna Nowak zmieniła zdanie {reason}"},
            headers=admin,
        )
    )
    assert cancelled["status"] == "cancelled"
    assert reason not in _raw_dump(session)
    (event,) = session.scalars(
        select(OutboxEvent.payload).where(
            OutboxEvent.aggregate_id == order["id"], OutboxEvent.type == "order.cancelled"
        )
    )
    assert event["reason_given"] is True
    assert "reason" not in event
    history = _ok(client.get(f"{API}/orders/{order['id']}/history", headers=admin))
    assert history[-1]["reason"] == f"Anna Nowak zmieniła zdanie {reason}"


def test_free_text_leaves_no_trace_after_erasure(
    client: TestClient, keys: Keys, admin: Headers, session: Session
) -> None:
    cid, anna = _sign_up(client, keys)
    _, secret = issue_api_key(
        session,
        channel_id=keys.store.seller("web").id,
        data=ApiKeyCreate(name="events", scopes=[Scope("customers:events")]),
    )
    session.commit()
    marks: dict[str, str] = {}

    def mark(what: str) -> str:
        marks[what] = _marker(what.replace("_", ""))
        return marks[what]

    # Orders: a cancel reason from the customer, a move's and a cancel's from staff.
    mine = _order(client, keys, anna)
    body = {"reason": mark("customer_cancel")}
    _ok(client.post(f"{API}/orders/{mine['id']}/cancel", json=body, headers=anna))
    staffs = _order(client, keys, anna)
    moves = f"{API}/orders/{staffs['id']}/transitions"
    _ok(client.post(moves, json={"to": "allocated", "reason": mark("move")}, headers=admin))
    body = {"reason": mark("staff_cancel")}
    _ok(client.post(f"{API}/orders/{staffs['id']}/cancel", json=body, headers=admin))
    # A marketplace order, paid there: its cancel gives the money back by a refund.
    imported = _ok(
        client.post(f"{API}/orders/marketplace", json=_marketplace_order(), headers=keys["allegro"])
    )
    assert imported["customer_id"] == str(cid)
    body = {"reason": mark("refund_cancel")}
    refunded = _ok(client.post(f"{API}/orders/{imported['id']}/cancel", json=body, headers=admin))
    assert refunded["payment_status"] == "refunded"
    # The profile, its timeline, consents and cases.
    profile = f"{API}/customers/{cid}"
    _ok(client.patch(profile, json={"notes": mark("notes")}, headers=admin))
    note = {"type": "call", "summary": mark("timeline_note")}
    _ok(client.post(f"{profile}/timeline", json=note, headers=admin))
    event = {
        "customer_id": str(cid),
        "type": "product_viewed",
        "summary": mark("event_summary"),
        "data": {"said": mark("event_data")},
    }
    _ok(
        client.post(
            f"{API}/customer-events", json={"events": [event]}, headers={"X-Api-Key": secret}
        )
    )
    consent = {"purpose": "marketing_email", "granted": True, "evidence": mark("evidence")}
    _ok(client.post(f"{profile}/consents", json=consent, headers=admin))
    case = {"subject": mark("case_subject"), "category": "complaint", "message": mark("case_first")}
    opened = _ok(client.post(f"{profile}/cases", json=case, headers=admin))
    message = {"body": mark("case_message")}
    _ok(client.post(f"{API}/cases/{opened['id']}/messages", json=message, headers=admin))
    _ok(
        client.patch(
            f"{API}/cases/{opened['id']}", json={"subject": mark("case_subject2")}, headers=admin
        )
    )
    # Stock: a reason staff type, about no customer the system knows.
    adjustment = {
        "location_id": str(keys.store.warehouse),
        "variant_id": str(keys.store.v("TS-S")),
        "quantity": 1,
        "reason": f"returned by Anna {mark('stock')}",
    }
    _ok(client.post(f"{API}/inventory/adjustments", json=adjustment, headers=admin))

    opened_before = _opened(session)
    assert all(m in opened_before for m in marks.values()), "every marker was stored"
    raw = _raw_dump(session)
    assert [w for w, m in marks.items() if m in raw] == []  # sealed at rest, out of events

    export = _ok(client.get(f"{profile}/export", headers=admin))
    given = [r["reason"] for o in export["held_elsewhere"]["orders"] for r in o["reasons"]]
    cancels = ("customer_cancel", "move", "staff_cancel", "refund_cancel")
    assert sorted(given) == sorted(marks[w] for w in cancels)
    her_answers = select(IdempotencyKey.key).where(IdempotencyKey.scope == f"customer:{cid}")
    assert len(session.scalars(her_answers).all()) == 2  # her checkouts' stored answers
    _ok(client.post(f"{profile}/erase", headers=admin))
    assert session.scalars(her_answers).all() == []  # a replay brings nothing back

    raw = _raw_dump(session)
    assert [w for w, m in marks.items() if m in raw] == []
    # Opened, nothing the customer's erasure reaches still holds their words; the stock
    # ledger's reason concerns no known customer and stays, sealed.
    opened = _opened(session, skip=frozenset({"stock_movements"}))
    assert [w for w, m in marks.items() if m in opened] == []
