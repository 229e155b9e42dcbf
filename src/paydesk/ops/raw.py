"""Answering a request without the framework: the shop's two hot routes (POST /api/webhook,
GET /api/entitlements/…) sit in front of FastAPI's whole middleware stack (app.ShopApp), so
they set themselves the headers the stack would have added."""

from __future__ import annotations

from starlette.types import Send

_JSON = (b"content-type", b"application/json")
# What web/headers.NoSniff adds to every other response.
_NOSNIFF = (b"x-content-type-options", b"nosniff")


async def send_json(send: Send, status: int, body: bytes) -> None:
    """One complete JSON response: `body` is already serialised."""
    await send({
        "type": "http.response.start", "status": status,
        "headers": [_JSON, _NOSNIFF, (b"content-length", b"%d" % len(body))],
    })
    await send({"type": "http.response.body", "body": body})
