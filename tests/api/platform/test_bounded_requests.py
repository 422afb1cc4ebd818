"""Requests are bounded: a body over the configured size is refused with 413 before
it is read in full, a body that stops arriving is a 408, and a connection that sends
nothing, or headers a byte at a time, or stays idle after an answer, is closed. The
sizes through the application; the timeouts on the real server, `omni serve`."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from omnichannel.api.app import create_app
from omnichannel.config import Settings
from omnichannel.db import Database
from omnichannel.security.models import StaffToken
from tests.live_server import LiveServer, live_server

API = "/api/v1"
LIMIT = 2048


@pytest.fixture
def small(settings: Settings, db: Database) -> Iterator[TestClient]:
    """A client of an app that takes bodies of at most LIMIT bytes."""
    app = create_app(settings.model_copy(update={"max_body_bytes": LIMIT}), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _assert_too_large(r: Any) -> None:
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "payload_too_large"
    assert r.headers["connection"] == "close"


def _tokens(session: Session) -> int:
    found = session.scalar(select(func.count()).select_from(StaffToken)) or 0
    session.commit()
    return found


def test_a_body_over_the_configured_size_is_refused_with_413(
    small: TestClient, session: Session, admin: dict[str, str]
) -> None:
    before = _tokens(session)
    big = {"email": "a@example.com", "password": "x" * LIMIT}
    _assert_too_large(small.post(f"{API}/auth/login", json=big))
    assert _tokens(session) == before


def test_a_chunked_body_is_cut_off_once_it_passes_the_size(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the size shows as it arrives
        for _ in range(100):
            yield b" " * 512

    r = small.post(
        f"{API}/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    _assert_too_large(r)


def test_a_body_within_the_size_is_served(small: TestClient) -> None:
    r = small.post(f"{API}/auth/login", json={"email": "a@example.com", "password": "wrong"})
    assert r.status_code == 401


# --- on the real server -------------------------------------------------------------


@pytest.fixture(scope="module")
def server(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(
        engine.url.render_as_string(hide_password=False),
        tmp_path_factory.mktemp("server"),
        header_timeout_seconds="1",
        body_timeout_seconds="1",
        keep_alive_seconds="1",
        max_body_bytes=str(1024 * 1024),
    ) as running:
        yield running


def _closed_within(sock: socket.socket, seconds: float) -> bytes:
    """What the server sends before it closes the connection (waiting at most `seconds`)."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the connection was still open after {seconds} s; got {received[:200]!r}")
    return received


HEAD = (
    b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n"
)


def test_a_100_mb_body_is_refused_before_it_is_read(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(HEAD % (100 * 1024 * 1024) + b'{"email": ')  # and nothing more
        answer = _closed_within(sock, 10)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"code": "payload_too_large"' in answer


def test_a_chunked_body_past_the_size_is_refused_before_its_end(server: LiveServer) -> None:
    size = 1024 * 1024 + 1  # one byte past the limit, in a chunk of a body that never ends
    with server.connect() as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"%x\r\n" % (size + 1024)
        )
        # Not a byte more than it takes to pass the limit: a server that closes with
        # bytes unread resets the connection, and its answer may be lost.
        sock.sendall(b" " * size)
        answer = _closed_within(sock, 10)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_body_that_stops_arriving_is_a_408(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(HEAD % 100 + b'{"email": ')
        answer = _closed_within(sock, 10)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"code":"request_timeout"' in answer.replace(b" ", b"")


def test_a_connection_that_sends_nothing_is_closed(server: LiveServer) -> None:
    with server.connect() as sock:
        assert _closed_within(sock, 10) == b""


def test_headers_that_trickle_in_are_cut_off(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\n")
        for _ in range(3):  # a header every half second keeps the socket busy, not alive
            time.sleep(0.5)
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        assert _closed_within(sock, 10) == b""


def test_an_idle_connection_after_an_answer_is_closed(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: test\r\n\r\n")
        answer = _closed_within(sock, 10)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_the_server_still_serves_after_all_that(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        assert _closed_within(sock, 10).startswith(b"HTTP/1.1 200 ")
