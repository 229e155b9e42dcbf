"""Admin sessions that end (idle, absolute, sign-out, token rotation), sign-in rate limited per
address, bounded pages and ids that survive the URL (issue 11, items 3 and 8), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from pydantic import SecretStr
from sqlalchemy import insert, update
from test_webhook_support import ADMIN_TOKEN, event, make_ctx, seed_product, serve_pipeline

from paydesk.admin.tables import admin_sessions
from paydesk.app import create_app
from paydesk.context import AppContext
from paydesk.webhooks.inbox import inbox_row
from paydesk.webhooks.tables import inbox_events

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def ctx(database_url: str) -> Iterator[AppContext]:
    context = make_ctx(database_url, paydesk_admin_login_burst=5,
                       paydesk_admin_login_per_minute=1)
    seed_product(context.engine)
    yield context
    context.engine.dispose()


@pytest.fixture
def base(ctx: AppContext) -> Iterator[str]:
    with serve_pipeline(ctx, create_app) as url:
        yield url


def _sign_in(base: str) -> str:
    login = httpx.post(base + "/admin/login", data={"token": ADMIN_TOKEN})
    assert login.status_code == 303
    return str(login.cookies["paydesk_admin"])


def _status(base: str, cookie: str, path: str = "/admin") -> int:
    return httpx.get(base + path, cookies={"paydesk_admin": cookie}).status_code


def test_sign_out_revokes_the_session_everywhere(base: str) -> None:
    cookie, other = _sign_in(base), _sign_in(base)
    assert _status(base, cookie) == 200
    out = httpx.post(base + "/admin/logout", cookies={"paydesk_admin": cookie})
    assert out.status_code == 303
    # A copy of the cookie (another tab, a stolen one) no longer opens anything.
    assert _status(base, cookie) == 401 and _status(base, cookie, "/admin/mailbox") == 401
    assert _status(base, other) == 200  # only that session ended


@pytest.mark.parametrize(("column", "age"), [("last_seen_at", timedelta(minutes=31)),
                                             ("created_at", timedelta(hours=12, minutes=1))])
def test_sessions_expire_when_idle_and_in_all(
    ctx: AppContext, base: str, column: str, age: timedelta
) -> None:
    cookie = _sign_in(base)
    assert _status(base, cookie) == 200
    with ctx.engine.begin() as conn:  # the session's clock moved on
        conn.execute(update(admin_sessions).values({column: datetime.now(UTC) - age}))
    response = httpx.get(base + "/admin", cookies={"paydesk_admin": cookie})
    assert response.status_code == 401 and "Admin sign-in" in response.text


def test_a_session_in_use_stays_open(ctx: AppContext, base: str) -> None:
    cookie = _sign_in(base)
    with ctx.engine.begin() as conn:
        conn.execute(update(admin_sessions).values(
            last_seen_at=datetime.now(UTC) - timedelta(minutes=29)))
    assert _status(base, cookie) == 200
    assert _status(base, cookie) == 200  # the visit above counted as activity


def test_rotating_the_token_signs_everybody_out(ctx: AppContext, base: str) -> None:
    cookie = _sign_in(base)
    ctx.settings.paydesk_admin_token = SecretStr("a-brand-new-admin-token-0123456789abcdef")
    assert _status(base, cookie) in (401, 403)


def test_wrong_tokens_are_rate_limited_per_address(base: str) -> None:
    for _ in range(5):
        assert httpx.post(base + "/admin/login", data={"token": "guess"}).status_code == 403
    limited = httpx.post(base + "/admin/login", data={"token": "guess"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "Too many wrong tokens" in limited.text
    # Even the right token is not compared now (a guesser learns nothing), by any route.
    assert httpx.post(base + "/admin/login", data={"token": ADMIN_TOKEN}).status_code == 429
    assert httpx.get(base + "/admin", params={"token": ADMIN_TOKEN}).status_code == 429
    assert httpx.get(base + "/admin", headers=BEARER).status_code == 429
    assert httpx.get(base + "/admin/mailbox", headers=BEARER).status_code == 429


def test_wrong_bearer_tokens_count_too_and_right_ones_cost_nothing(base: str) -> None:
    for _ in range(20):
        assert httpx.get(base + "/admin", headers=BEARER).status_code == 200
    for _ in range(5):
        wrong = httpx.get(base + "/admin/mailbox", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
    assert httpx.get(base + "/admin/events", headers=BEARER).status_code == 429


@pytest.mark.parametrize("page", [str(2**70), "9" * 40, "-3", "x"])
def test_huge_or_odd_pages_are_bounded(base: str, page: str) -> None:
    for path in ("/admin/orders", "/admin/events"):
        assert httpx.get(base + path, params={"page": page}, headers=BEARER).status_code == 200


def test_event_ids_with_slashes_open_from_the_list(ctx: AppContext, base: str) -> None:
    evt = event("customer.created", {"id": "cus_1"}, event_id="evt_a/b?c#d")
    with ctx.engine.begin() as conn:
        row = inbox_row(evt, orjson.dumps(evt).decode()) | {"status": "failed", "attempts": 1}
        conn.execute(insert(inbox_events).values(**row))
    listing = httpx.get(base + "/admin/events", headers=BEARER).text
    assert 'href="/admin/events/evt_a%2Fb%3Fc%23d"' in listing
    page = httpx.get(base + "/admin/events/evt_a%2Fb%3Fc%23d", headers=BEARER)
    assert page.status_code == 200 and "evt_a/b?c#d" in page.text
    assert 'action="/admin/events/evt_a%2Fb%3Fc%23d/retry"' in page.text
    retried = httpx.post(base + "/admin/events/evt_a%2Fb%3Fc%23d/retry", headers=BEARER)
    assert retried.status_code == 303
    assert retried.headers["location"] == "/admin/events/evt_a%2Fb%3Fc%23d?retried=1"
