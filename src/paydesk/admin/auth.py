"""Who may see the admin pages: PAYDESK_ADMIN_TOKEN as a bearer, or a session cookie.

`?token=` (or the sign-in form) is exchanged once for an HttpOnly, SameSite=Strict cookie and the
browser is redirected to a URL without the token, so it stays out of history and logs. The
cookie never holds the token itself: it is a random nonce plus an HMAC keyed by the token, so
rotating the token signs everybody out. The nonce also names a row in `admin_sessions`
(admin/sessions.py), so a session ends after PAYDESK_ADMIN_IDLE_MINUTES without use, after
PAYDESK_ADMIN_SESSION_HOURS in all, or at sign-out. Forms carry a CSRF field derived from the
same nonce; bearer requests need none (a browser never adds that header on its own).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response

from paydesk.admin import sessions, throttle
from paydesk.context import AppContext
from paydesk.settings import secret_matches

COOKIE = "paydesk_admin"


class AdminDisabled(Exception):
    """PAYDESK_ADMIN_TOKEN is unset: the admin pages stay closed."""


class NotSignedIn(Exception):
    """No credential, or a wrong one (`wrong` tells which)."""

    def __init__(self, wrong: bool) -> None:
        super().__init__("admin token required")
        self.wrong = wrong


@dataclass(frozen=True)
class AdminSession:
    via: str  # "bearer" | "cookie"
    csrf: str | None  # None for bearer requests: they are not forgeable cross-site


def _mac(token: SecretStr, message: str) -> str:
    key = token.get_secret_value().encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _limits(ctx: AppContext) -> tuple[timedelta, timedelta]:
    s = ctx.settings
    return (timedelta(minutes=s.paydesk_admin_idle_minutes),
            timedelta(hours=s.paydesk_admin_session_hours))


def csrf_for(token: SecretStr, cookie_value: str) -> str:
    return _mac(token, "csrf:" + cookie_value.split(".", 1)[0])


def _signed_nonce(token: SecretStr, value: str | None) -> str | None:
    """The nonce of a cookie signed with the current token, else None."""
    if not value or "." not in value:
        return None
    nonce, mac = value.split(".", 1)
    return nonce if _same(mac, _mac(token, "session:" + nonce)) else None


def bearer_of(request: Request) -> str | None:
    """The Authorization header's value, if any (a wrong scheme counts as a wrong token)."""
    auth = request.headers.get("authorization", "")
    if not auth:
        return None
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def authenticate(request: Request, ctx: AppContext, now: datetime | None = None) -> AdminSession:
    """The session of this request; raises AdminDisabled, NotSignedIn or throttle.Throttled.

    `?token=` is handled by the routes (it needs a redirect), not here."""
    token = ctx.settings.paydesk_admin_token
    if not token:
        raise AdminDisabled()
    bearer = bearer_of(request)
    if bearer is not None:
        throttle.check(request)
        if secret_matches(token, bearer):
            return AdminSession(via="bearer", csrf=None)
        throttle.failed(request)
        raise NotSignedIn(wrong=True)
    value = request.cookies.get(COOKIE)
    nonce = _signed_nonce(token, value)
    if nonce is None:
        raise NotSignedIn(wrong=COOKIE in request.cookies)
    idle, lifetime = _limits(ctx)
    if not sessions.touch(ctx.engine, nonce, now or datetime.now(UTC), idle, lifetime):
        raise NotSignedIn(wrong=False)  # expired or signed out: sign in again
    return AdminSession(via="cookie", csrf=csrf_for(token, str(value)))


def check_csrf(session: AdminSession, submitted: str | None) -> bool:
    """A state-changing POST is allowed with a bearer, or with the cookie plus its CSRF field."""
    if session.csrf is None:
        return True
    return submitted is not None and _same(submitted, session.csrf)


def set_session_cookie(response: Response, request: Request, ctx: AppContext) -> None:
    """Open a session and hand its cookie to the browser (the token must be set)."""
    token = ctx.settings.paydesk_admin_token
    if token is None:
        raise AdminDisabled()
    idle, lifetime = _limits(ctx)
    nonce = sessions.open_session(ctx.engine, datetime.now(UTC), idle, lifetime)
    response.set_cookie(
        COOKIE, f"{nonce}.{_mac(token, 'session:' + nonce)}",
        max_age=int(lifetime.total_seconds()), path="/admin", httponly=True,
        samesite="strict", secure=request.url.scheme == "https",
    )


def sign_out(request: Request, response: Response, ctx: AppContext) -> None:
    """Revoke the request's session (server-side, so a copy of the cookie dies too)."""
    token = ctx.settings.paydesk_admin_token
    value = request.cookies.get(COOKIE)
    if token and value and "." in value:
        sessions.revoke(ctx.engine, value.split(".", 1)[0])
    response.delete_cookie(COOKIE, path="/admin")
