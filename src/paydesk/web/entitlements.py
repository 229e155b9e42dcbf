"""GET /api/entitlements/{email} as a raw ASGI route in front of the app, like the webhook's.

Apps ask this on every request of their own users, so it is the shop's hottest read: bearer
check (constant time) → one indexed read of the email's subscriptions → the model picks the one
that answers → orjson. No routing, dependency injection or per-request log line."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import orjson
import structlog
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from paydesk.billing.model import Entitlement, best, parse_status
from paydesk.ops.raw import send_json
from paydesk.settings import secret_matches
from paydesk.store.engine import aware

log = structlog.get_logger()

PREFIX = "/api/entitlements/"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def answer(email: str, found: Entitlement, now: datetime) -> dict[str, object]:
    return {
        "email": email, "access": found.access_at(now), "plan_id": found.plan_id,
        "status": found.status.value, "current_period_end": _iso(found.current_period_end),
        "grace_until": _iso(found.grace_until),
    }


# Plain DB-API, not SQLAlchemy: the Core round trip costs 30x the query itself here.
_SQL = (
    "SELECT id, plan_id, status, current_period_end, grace_until, clock_time "
    "FROM subscriptions WHERE email = {mark}"
)


def _moment(value: object) -> datetime | None:
    """Plain DB-API: SQLite hands back the stored text (naive UTC); PostgreSQL a datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert value is None or isinstance(value, datetime)
    return aware(value)


def _entitlements(rows: list[Any]) -> list[Entitlement]:
    return [
        Entitlement(
            subscription_id=r[0], plan_id=r[1], status=parse_status(r[2]),
            current_period_end=_moment(r[3]), grace_until=_moment(r[4]), clock_time=_moment(r[5]),
        )
        for r in rows
    ]


class Reader:
    """One indexed read of an email's subscriptions (ix_subscriptions_email).

    On SQLite one connection is kept for the event loop's thread (each SELECT outside a
    transaction sees the latest commit); on PostgreSQL each read borrows one from the pool."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.inline = engine.dialect.name == "sqlite"
        self.sql = _SQL.format(mark="?" if self.inline else "%s")
        self._kept: PoolProxiedConnection | None = None

    def read(self, email: str) -> list[Entitlement]:
        if self.inline:
            if self._kept is None:
                self._kept = self.engine.raw_connection()
            driver = self._kept.driver_connection
            assert driver is not None  # a pooled connection that is checked out has one
            rows = driver.execute(self.sql, (email,)).fetchall()
            return _entitlements(rows)
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            cur.execute(self.sql, (email,))
            rows = cur.fetchall()
            conn.commit()  # end the read's transaction before the connection goes back
        finally:
            conn.close()
        return _entitlements(list(rows))


def _error(message: str) -> bytes:
    return orjson.dumps({"detail": message, "message": message})


class EntitlementsRoute:
    """Answers GET /api/entitlements/{email} itself and passes everything else on to `app`
    (app.ShopApp puts it in front of the framework's whole stack)."""

    def __init__(self, app: ASGIApp, engine: Engine, token: Callable[[], SecretStr | None]) -> None:
        self.app = app
        self.reader = Reader(engine)
        self.token = token
        # SQLite answers in microseconds from the page cache: a thread hop would cost more.
        self.inline = self.reader.inline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        status, body = self._check(scope)
        if status == 200:
            email = unquote(scope["path"][len(PREFIX):]).strip().lower()
            try:
                if self.inline:
                    status, body = self._read(email)
                else:
                    status, body = await asyncio.to_thread(self._read, email)
            except Exception as exc:  # in front of the framework: nothing else would answer
                log.error("entitlements_read_failed", error=repr(exc))
                status, body = 503, _error("the database is unavailable; retry shortly")
        await send_json(send, status, body)

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
        if not (given[:7].lower() == b"bearer "
                and secret_matches(token, given[7:].strip())):
            return 401, _error("send Authorization: Bearer <PAYDESK_ADMIN_TOKEN>")
        return 200, b""

    def _read(self, email: str) -> tuple[int, bytes]:
        if not 3 <= len(email) <= 320 or "@" not in email or "/" in email:
            return 400, _error("the path must end in an email address")
        found = best(self.reader.read(email), datetime.now(UTC))
        if found is None:
            return 404, _error(f"{email} has never subscribed")
        return 200, orjson.dumps(answer(email, found, datetime.now(UTC)))
