"""A request body is bounded in size and in time.

A body larger than `OMNI_MAX_BODY_BYTES` is refused with 413 `payload_too_large`:
at once when its Content-Length says so, before a byte of it is read; otherwise
(a chunked body) as soon as the bytes read pass the limit. Either way the
connection is closed after the answer, so the rest is never read. A body whose next
part does not arrive within `OMNI_BODY_TIMEOUT_SECONDS` is refused with 408
`request_timeout`. Once a body is complete, waiting on the connection (a stream
listening for the client to leave) has no deadline. The request line and headers
are bounded by the server (`http.server`).
"""

from __future__ import annotations

import json

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnichannel.http.errors import PROBLEM_JSON

_CLOSE = {"Connection": "close"}


class BoundedBody:
    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse_too_large(scope, send, self.max_bytes)
            return
        await self.app(scope, self._bounded(receive), send)

    def _bounded(self, receive: Receive) -> Receive:
        read = 0
        complete = False

        async def bounded_receive() -> Message:
            nonlocal read, complete
            if complete:
                return await receive()
            with anyio.move_on_after(self.timeout):
                message = await receive()
                if message["type"] == "http.request":
                    read += len(message.get("body", b""))
                    complete = not message.get("more_body", False)
                    if read > self.max_bytes:
                        # Raised inside the app, rendered by its problem+json handler.
                        raise HTTPException(413, _too_large(self.max_bytes), headers=_CLOSE)
                return message
            raise HTTPException(
                408, "The request body stopped arriving; send it again.", headers=_CLOSE
            )

        return bounded_receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed one before we see it
    return None


def _too_large(max_bytes: int) -> str:
    return f"The request body is larger than {max_bytes} bytes."


async def _refuse_too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    body = json.dumps(
        {
            "type": "https://omnichannel.dev/problems/payload_too_large",
            "title": "Payload too large",
            "status": 413,
            "detail": _too_large(max_bytes),
            "instance": scope.get("path", ""),
            "code": "payload_too_large",
            "errors": [],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
