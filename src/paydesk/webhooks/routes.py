"""POST /api/webhook as a plain Starlette endpoint: the hot path does only what it must.

Raw bytes (capped at 1 MB, Content-Length checked first) → signature over those bytes against
every configured secret → orjson → group-committed insert into the inbox → 200. No Stripe
object tree, no Stripe API call, no processing: that happens after the acknowledgement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
import structlog
from starlette.requests import Request
from starlette.responses import Response

from paydesk.ops.metrics import metrics
from paydesk.webhooks.inbox import InboxWriter, MalformedEvent, inbox_row
from paydesk.webhooks.signature import SignatureError, verify

log = structlog.get_logger()

MAX_BODY = 1024 * 1024
_OK = b'{"received":true}'


def _refuse(status: int, reason: str, message: str) -> Response:
    metrics().webhooks_rejected.labels(reason=reason).inc()
    log.info("webhook_rejected", reason=reason)
    return Response(
        orjson.dumps({"error": message}), status_code=status, media_type="application/json"
    )


async def _read_capped(request: Request) -> bytes | None:
    """The body, or None as soon as it grows past MAX_BODY (a lying or absent Content-Length)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def webhook_endpoint(
    writer: InboxWriter, secrets: Callable[[], list[str]]
) -> Callable[[Request], Awaitable[Response]]:
    async def receive_webhook(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None:
            try:
                if int(length) > MAX_BODY:
                    return _refuse(413, "too_large", "body larger than 1 MB")
            except ValueError:
                return _refuse(400, "bad_length", "invalid Content-Length")
        body = await _read_capped(request)
        if body is None:
            return _refuse(413, "too_large", "body larger than 1 MB")
        try:
            verify(body, request.headers.get("stripe-signature"), secrets())
        except SignatureError as exc:
            return _refuse(400, "signature", f"signature verification failed: {exc}")
        try:
            event = orjson.loads(body)
            if not isinstance(event, dict):
                raise MalformedEvent("event must be a JSON object")
            row = inbox_row(event, body.decode())
        except (orjson.JSONDecodeError, UnicodeDecodeError, MalformedEvent) as exc:
            return _refuse(400, "malformed", f"not a Stripe event: {exc}")
        await writer.store(row)
        metrics().webhooks_received.inc()
        return Response(_OK, media_type="application/json")

    return receive_webhook
