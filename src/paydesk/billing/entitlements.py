"""GET /api/entitlements/{email} as a raw ASGI route in front of the app, like the webhook's.

Apps ask this on every request of their own users, so it is the shop's hottest read: bearer
check (constant time) → one indexed read of the email's subscriptions → the model picks the one
that answers → orjson. No routing, dependency injection or per-request log line."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import orjson
from sqlalchemy import Engine, select
from starlette.types import ASGIApp, Receive, Scope, Send

from paydesk.billing.model import Entitlement, best
from paydesk.billing.records import entitlement_of
from paydesk.billing.tables import subscriptions

PREFIX = "/api/entitlements/"
_JSON = (b"content-type", b"application/json")
_t = subscriptions.c


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def answer(email: str, found: Entitlement, now: datetime) -> dict[str, Any]:
    return {
        "email": email, "access": found.access_at(now), "plan_id": found.plan_id,
        "status": found.status.value, "current_period_end": _iso(found.current_period_end),
        "grace_until": _iso(found.grace_until),
    }


def lookup(engine: Engine, email: str) -> list[Entitlement]:
    query = select(
        _t.id, _t.plan_id, _t.status, _t.current_period_end, _t.grace_until, _t.clock_time
    ).where(_t.email == email)
    with engine.connect() as conn:
        return [entitlement_of(row) for row in conn.execute(query)]


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send({
        "type": "http.response.start", "status": status,
        "headers": [_JSON, (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


def _error(message: str) -> bytes:
    return orjson.dumps({"detail": message, "message": message})


class EntitlementsRoute:
    """ASGI middleware that answers GET /api/entitlements/{email} itself."""

    def __init__(self, app: ASGIApp, engine: Engine, token: Callable[[], str | None]) -> None:
        self.app = app
        self.engine = engine
        self.token = token
        # SQLite answers in microseconds from the page cache: a thread hop would cost more.
        self.inline = engine.dialect.name == "sqlite"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        status, body = self._check(scope)
        if status == 200:
            email = unquote(scope["path"][len(PREFIX):]).strip().lower()
            if self.inline:
                status, body = self._read(email)
            else:
                status, body = await asyncio.to_thread(self._read, email)
        await _respond(send, status, body)

    def _check(self, scope: Scope) -> tuple[int, bytes]:
        if scope["method"] not in ("GET", "HEAD"):
            return 405, _error("use GET")
        token = self.token()
        if not token:
            return 404, _error("the entitlements API is off: set PAYDESK_ADMIN_TOKEN")
        given = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                given = bytes(value)
        if not (given[:7].lower() == b"bearer " and hmac.compare_digest(
            given[7:].strip(), token.encode()
        )):
            return 401, _error("send Authorization: Bearer <PAYDESK_ADMIN_TOKEN>")
        return 200, b""

    def _read(self, email: str) -> tuple[int, bytes]:
        if not 3 <= len(email) <= 320 or "@" not in email or "/" in email:
            return 400, _error("the path must end in an email address")
        found = best(lookup(self.engine, email), datetime.now(UTC))
        if found is None:
            return 404, _error(f"{email} has never subscribed")
        return 200, orjson.dumps(answer(email, found, datetime.now(UTC)))
