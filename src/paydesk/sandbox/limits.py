"""A cap on request bodies for the sandbox's pages (the hosted checkout and 3DS forms are read
whole by `request.form()`), so one request cannot make the process hold any amount of memory.

The shop uses this same middleware (paydesk.web.limits re-exports it).

The declared Content-Length is refused before anything is read; a body sent without one
(chunked) is counted as it streams and refused once it passes the cap. Either way the answer is
413 with a JSON `detail`, and the route never sees the body.
"""

from __future__ import annotations

import contextlib

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 64 * 1024


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(
        self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY, exempt: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Routes with a cap of their own (the webhook endpoint takes up to 1 MB).
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is None:
            await _refuse(send, 400, "invalid Content-Length header")
            return
        if declared > self.max_bytes:
            await _refuse(send, 413, self._message())
            return
        seen = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # The app may turn our exception into an answer of its own (FastAPI answers 400
            # "error parsing the body"): the buyer should learn the real reason instead.
            if exceeded:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await _refuse(send, 413, self._message())

    def _message(self) -> str:
        return f"request body too large: the limit is {self.max_bytes // 1024} KB"


def _content_length(scope: Scope) -> int | None:
    """The declared length, 0 when absent, None when it is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None
            return length if length >= 0 else None
    return 0


async def _refuse(send: Send, status: int, message: str) -> None:
    body = orjson.dumps({"detail": message, "message": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
