"""POST /api/webhook as a raw ASGI route in front of the app: the hot path does only what it must.

Raw bytes (capped at 1 MB, Content-Length checked first) → signature over those bytes against
every configured secret → orjson → group-committed insert into the inbox → 200. No Stripe object
tree, no Stripe API call, no processing (that happens after the acknowledgement), and no
framework layers: at thousands of deliveries a second, routing, dependency injection and a log
line per request would cost more than the work itself. Rejections are logged and counted.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from paydesk.ops.metrics import metrics
from paydesk.ops.raw import send_json
from paydesk.webhooks.inbox import InboxWriter, MalformedEvent, inbox_row
from paydesk.webhooks.signature import SignatureError, verify

log = structlog.get_logger()

PATH = "/api/webhook"
MAX_BODY = 1024 * 1024
_OK = b'{"received":true}'


class TooLarge(Exception):
    pass


class Rejected(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason


async def _read_body(scope: Scope, receive: Receive) -> bytes | None:
    """The whole body, refusing early on Content-Length and again on the bytes actually sent
    (a lying or absent length); None if the client went away."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                if int(value) > MAX_BODY:
                    raise Rejected(413, "too_large", "body larger than 1 MB")
            except ValueError:
                raise Rejected(400, "bad_length", "invalid Content-Length") from None
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > MAX_BODY:
            raise Rejected(413, "too_large", "body larger than 1 MB")
        if not message.get("more_body", False):
            return bytes(body)


def _signature_header(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"stripe-signature":
            return bytes(value).decode("latin-1")
    return None


class WebhookRoute:
    """Answers POST /api/webhook itself and passes everything else on to `app` (app.ShopApp puts
    it in front of the framework's whole stack)."""

    def __init__(
        self, app: ASGIApp, writer: InboxWriter, secrets: Callable[[], list[str]]
    ) -> None:
        self.app = app
        self.writer = writer
        self.secrets = secrets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await send_json(send, 405, b'{"error":"use POST"}')
            return
        try:
            body = await _read_body(scope, receive)
            if body is None:
                return
            await self._accept(scope, body)
        except Rejected as exc:
            metrics().webhooks_rejected.labels(reason=exc.reason).inc()
            log.info("webhook_rejected", reason=exc.reason, status=exc.status)
            await send_json(send, exc.status, orjson.dumps({"error": str(exc)}))
            return
        except Exception as exc:
            # Not stored, so not acknowledged: Stripe delivers it again later.
            metrics().webhooks_rejected.labels(reason="store_failed").inc()
            log.error("webhook_store_failed", error=repr(exc))
            await send_json(send, 503, b'{"error":"could not store the event; retry later"}')
            return
        metrics().webhooks_received.inc()
        await send_json(send, 200, _OK)

    async def _accept(self, scope: Scope, body: bytes) -> None:
        try:
            verify(body, _signature_header(scope), self.secrets())
        except SignatureError as exc:
            raise Rejected(400, "signature", f"signature verification failed: {exc}") from None
        try:
            event = orjson.loads(body)
            if not isinstance(event, dict):
                raise MalformedEvent("event must be a JSON object")
            row = inbox_row(event, body.decode())
        except (orjson.JSONDecodeError, UnicodeDecodeError, MalformedEvent) as exc:
            raise Rejected(400, "malformed", f"not a Stripe event: {exc}") from None
        # Answered only after the commit that holds this event (or an earlier copy of it).
        await self.writer.store(row)
