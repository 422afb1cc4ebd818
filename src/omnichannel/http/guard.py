"""Refuse, before routing, URLs carrying characters no database can store.

Request bodies are checked field by field by `omnichannel.contract.InputModel`;
query strings and paths are checked here, once for every route, so a `?q=%00`
is a 400 rather than a database error.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from omnichannel.contract import has_forbidden_text
from omnichannel.http.errors import PROBLEM_JSON


class ControlCharacterGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = unquote(scope.get("query_string", b"").decode("latin-1"))
            if has_forbidden_text(scope.get("path", "")) or has_forbidden_text(query):
                await _refuse(scope, send)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send) -> None:
    body = json.dumps(
        {
            "type": "https://omnichannel.dev/problems/bad_request",
            "title": "Bad request",
            "status": 400,
            "detail": "The URL contains control characters (such as NUL) that are never valid here.",
            "instance": scope.get("path", ""),
            "code": "bad_request",
            "errors": [],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
