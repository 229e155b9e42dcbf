"""Who may see the admin pages: PAYDESK_ADMIN_TOKEN as a bearer, or a session cookie.

`?token=` (or the sign-in form) is exchanged once for an HttpOnly, SameSite=Strict cookie and the
browser is redirected to a URL without the token, so it stays out of history and logs. The
cookie never holds the token itself: it is a random nonce plus an HMAC keyed by the token, so
rotating the token signs everybody out. Forms carry a CSRF field derived from the same nonce;
bearer requests need none (a browser never adds that header on its own).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "paydesk_admin"
COOKIE_MAX_AGE = 12 * 3600


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


def _mac(token: str, message: str) -> str:
    return hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def new_cookie_value(token: str) -> str:
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_mac(token, 'session:' + nonce)}"


def csrf_for(token: str, cookie_value: str) -> str:
    return _mac(token, "csrf:" + cookie_value.split(".", 1)[0])


def _cookie_session(token: str, value: str | None) -> AdminSession | None:
    if not value or "." not in value:
        return None
    nonce, mac = value.split(".", 1)
    if not _same(mac, _mac(token, "session:" + nonce)):
        return None
    return AdminSession(via="cookie", csrf=csrf_for(token, value))


def token_matches(token: str, given: str) -> bool:
    return _same(given, token)


def authenticate(request: Request, token: str | None) -> AdminSession:
    """The session of this request; raises AdminDisabled or NotSignedIn.

    `?token=` is handled by the routes (it needs a redirect), not here."""
    if not token:
        raise AdminDisabled()
    auth = request.headers.get("authorization", "")
    if auth:
        if auth.lower().startswith("bearer ") and token_matches(token, auth[7:].strip()):
            return AdminSession(via="bearer", csrf=None)
        raise NotSignedIn(wrong=True)
    session = _cookie_session(token, request.cookies.get(COOKIE))
    if session is not None:
        return session
    raise NotSignedIn(wrong=COOKIE in request.cookies)


def check_csrf(session: AdminSession, submitted: str | None) -> bool:
    """A state-changing POST is allowed with a bearer, or with the cookie plus its CSRF field."""
    if session.csrf is None:
        return True
    return submitted is not None and _same(submitted, session.csrf)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE, new_cookie_value(token), max_age=COOKIE_MAX_AGE, path="/admin", httponly=True,
        samesite="strict", secure=request.url.scheme == "https",
    )
