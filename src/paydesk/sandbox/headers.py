"""Headers every response carries, and the favicon, for the sandbox and the shop alike.

The shop uses these same pieces (paydesk.web.headers re-exports them): one implementation, two
users, and the sandbox still imports nothing from paydesk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NOSNIFF = (b"x-content-type-options", b"nosniff")


class NoSniff:
    """`X-Content-Type-Options: nosniff` on every HTTP response, so a browser never runs a body
    as something other than the type it was sent as (an email's text as HTML, say)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == _NOSNIFF[0] for name, _ in headers):
                    headers.append(_NOSNIFF)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)


def favicon(svg: str) -> Callable[[Request], Awaitable[Response]]:
    """A route answering /favicon.ico with `svg` (browsers take an SVG icon at that path)."""
    body = svg.encode()

    async def serve(_request: Request) -> Response:
        return Response(body, media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    return serve
