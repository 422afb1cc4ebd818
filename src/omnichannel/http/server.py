"""How `omni serve` runs uvicorn: no connection may sit idle or half-open for ever.

uvicorn closes a kept-alive connection that stays idle between two requests
(`OMNI_KEEP_ALIVE_SECONDS`), but it sets no deadline on a connection that opens and
sends nothing, nor on a request whose headers trickle in a byte at a time: each
would hold a socket, and a few thousand of them the whole server. `TimedHttp` adds
one: a request's line and headers must arrive in full within
`OMNI_HEADER_TIMEOUT_SECONDS` of the connection opening or of the previous answer,
or the connection is closed. A body's pauses are bounded in the application
(`http.bounds`). A client that vanished without closing (a dropped network, a
crashed phone) leaves a half-open connection that nothing would ever write to or
read from: TCP keep-alive probes find it out within about a minute, and a
connection whose sent data stays unacknowledged for 30 seconds is dropped.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from omnichannel.config import get_settings

# TCP keep-alive: the first probe after 30 s of silence, then every 10 s, 3 unanswered
# probes end the connection; unacknowledged data for 30 s ends it too.
_KEEPALIVE = {"TCP_KEEPIDLE": 30, "TCP_KEEPINTVL": 10, "TCP_KEEPCNT": 3}
_USER_TIMEOUT_MS = 30_000


class TimedHttp(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, with a deadline on every request's head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_timeout_seconds
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _probe_half_open(transport.get_extra_info("socket"))
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._head_arrived()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request's head is awaited unless one already arrived (pipelined).
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._await_head()

    def _await_head(self) -> None:
        self._head_arrived()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _head_arrived(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def _probe_half_open(sock: socket.socket | None) -> None:
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in _KEEPALIVE.items():
            if hasattr(socket, name):  # Linux names; other systems keep their defaults
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
        if hasattr(socket, "TCP_USER_TIMEOUT"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, _USER_TIMEOUT_MS)
    except OSError:
        pass  # a socket that refuses an option still serves; the deadlines above still hold


def run(*, host: str, port: int, workers: int | None, reload: bool) -> None:
    """Serve the API with uvicorn, its connections bounded as above."""
    settings = get_settings()
    uvicorn.run(
        "omnichannel.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level=settings.log_level,
        http="omnichannel.http.server:TimedHttp",
        timeout_keep_alive=settings.keep_alive_seconds,
    )
