"""The admin pages over real HTTP (the shop's own app under uvicorn), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import insert, select, update
from test_webhook_support import (
    ADMIN_TOKEN,
    OLD_SECRET,
    SECRET,
    charge_obj,
    event,
    make_ctx,
    order_row,
    post,
    seed_order,
    seed_product,
    serve_pipeline,
    session_obj,
    signed,
    wait_until,
)

from paydesk.app import create_app
from paydesk.context import AppContext
from paydesk.webhooks.inbox import inbox_row
from paydesk.webhooks.tables import inbox_events

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
STRIPE_KEY = "sk_test_admin_pages_must_not_show_this"


@pytest.fixture
def ctx(database_url: str) -> Iterator[AppContext]:
    context = make_ctx(database_url, stripe_secret_key=STRIPE_KEY)
    seed_product(context.engine, stock=3)
    yield context
    context.engine.dispose()


@pytest.fixture
def base(ctx: AppContext) -> Iterator[str]:
    with serve_pipeline(ctx, create_app) as url:
        yield url


def _fulfilled_order(ctx: AppContext, base: str) -> tuple[str, dict[str, Any]]:
    """An order paid and fulfilled through the real webhook path."""
    order_id = seed_order(ctx.engine, quantity=2)
    completed = event("checkout.session.completed", session_obj(order_id))
    assert post(base, *signed(completed)).status_code == 200
    wait_until(lambda: order_row(ctx.engine, order_id).status == "fulfilled")
    return order_id, completed


def _store_failed(ctx: AppContext, evt: dict[str, Any], error: str) -> None:
    """A failed event whose next attempt is an hour away (as after several failures)."""
    row = inbox_row(evt, orjson.dumps(evt).decode()) | {
        "status": "failed", "attempts": 4, "last_error": error,
        "next_attempt_at": datetime.now(UTC) + timedelta(hours=1),
    }
    with ctx.engine.begin() as conn:
        conn.execute(insert(inbox_events).values(**row))


def _event_row(ctx: AppContext, event_id: str) -> Any:
    with ctx.engine.connect() as conn:
        return conn.execute(select(inbox_events).where(inbox_events.c.id == event_id)).one()


@contextmanager
def _signed_in(base: str) -> Iterator[httpx.Client]:
    """A browser-like client that signed in once with ?token= and now holds only the cookie."""
    with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as client:
        assert client.get("/admin", params={"token": ADMIN_TOKEN}).status_code == 200
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the retry form carries a CSRF field"
    return found.group(1)


def test_admin_is_closed_when_no_token_is_configured(database_url: str) -> None:
    ctx = make_ctx(database_url, paydesk_admin_token=None)
    try:
        with serve_pipeline(ctx, create_app) as url:
            for path in ("/admin", "/admin/orders", "/admin/events"):
                response = httpx.get(url + path, headers={"Authorization": "Bearer anything"})
                assert response.status_code == 404
                assert "PAYDESK_ADMIN_TOKEN" in response.text
            assert httpx.get(url + "/admin?token=").status_code == 404
    finally:
        ctx.engine.dispose()


def test_token_is_required_by_bearer_or_cookie(ctx: AppContext, base: str) -> None:
    for path in ("/admin", "/admin/orders", "/admin/events", "/admin/events/evt_x"):
        assert httpx.get(base + path).status_code == 401
        wrong = httpx.get(base + path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
    assert httpx.get(base + "/admin", cookies={"paydesk_admin": "abc.def"}).status_code == 403
    assert httpx.get(base + "/admin?token=nope").status_code == 403

    ok = httpx.get(base + "/admin", headers=BEARER)
    assert ok.status_code == 200 and "Overview" in ok.text

    # ?token= once: a cookie, and a redirect that drops the token from the address.
    first = httpx.get(base + "/admin/events", params={"token": ADMIN_TOKEN, "status": "failed"})
    assert first.status_code == 303
    assert first.headers["location"] == "/admin/events?status=failed"
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and ADMIN_TOKEN not in cookie
    value = first.cookies["paydesk_admin"]
    assert httpx.get(base + "/admin", cookies={"paydesk_admin": value}).status_code == 200

    login = httpx.post(base + "/admin/login", data={"token": ADMIN_TOKEN})
    assert login.status_code == 303 and "paydesk_admin" in login.cookies
    assert httpx.post(base + "/admin/login", data={"token": "nope"}).status_code == 403


def test_pages_show_orders_events_and_emails(ctx: AppContext, base: str) -> None:
    order_id, completed = _fulfilled_order(ctx, base)
    seed_order(ctx.engine, quantity=1)  # still pending; leaves 0 in stock

    overview = httpx.get(base + "/admin", headers=BEARER).text
    assert "$30.00" in overview  # net revenue of the fulfilled order, formatted
    assert "The ebook" in overview  # low stock
    assert "/admin/mailbox" in overview

    orders = httpx.get(base + "/admin/orders", headers=BEARER).text
    assert order_id in orders and orders.count("/admin/orders/ord_") == 2
    fulfilled = httpx.get(base + "/admin/orders?status=fulfilled", headers=BEARER).text
    assert fulfilled.count("/admin/orders/ord_") == 1 and order_id in fulfilled

    detail = httpx.get(f"{base}/admin/orders/{order_id}", headers=BEARER)
    assert detail.status_code == 200
    page = detail.text
    for expected in ("pi_" + order_id, "cs_" + order_id, completed["id"], "buyer@example.com",
                     "Fulfilled", "The ebook", "$15.00"):
        assert expected in page, expected
    assert "No email queued" not in page

    events = httpx.get(base + "/admin/events?type=checkout.session.completed", headers=BEARER)
    assert completed["id"] in events.text
    assert completed["id"] not in httpx.get(
        base + "/admin/events?status=failed", headers=BEARER).text
    shown = httpx.get(f"{base}/admin/events/{completed['id']}", headers=BEARER).text
    assert "&#34;payment_intent&#34;" in shown or "&quot;payment_intent&quot;" in shown
    assert f"/admin/orders/{order_id}" in shown

    assert httpx.get(base + "/admin/orders/ord_missing", headers=BEARER).status_code == 404
    assert httpx.get(base + "/admin/events/evt_missing", headers=BEARER).status_code == 404


def test_retry_now_gets_a_failed_event_processed(ctx: AppContext, base: str) -> None:
    order_id, _ = _fulfilled_order(ctx, base)
    refund = event("charge.refunded", charge_obj(order_id, 3000))
    _store_failed(ctx, refund, "Traceback (most recent call last):\nUnknownOrder: pi_x")
    url = f"{base}/admin/events/{refund['id']}"

    with _signed_in(base) as client:
        page = client.get(url).text
        assert "Retry now" in page and "UnknownOrder" in page
        token = _csrf(page)
        # A cookie without the form's CSRF field (a forged cross-site form) changes nothing.
        assert client.post(url + "/retry", data={}).status_code == 403
        assert client.post(url + "/retry", data={"csrf": "forged"}).status_code == 403
        assert httpx.post(url + "/retry").status_code == 401
        assert _event_row(ctx, refund["id"]).status == "failed"

        done = client.post(url + "/retry", data={"csrf": token})
        assert done.status_code == 200 and "immediate retry" in done.text
    wait_until(lambda: _event_row(ctx, refund["id"]).status == "processed")
    assert order_row(ctx.engine, order_id).status == "refunded"
    # Only failed events can be retried.
    assert httpx.post(url + "/retry", headers=BEARER).status_code == 409


def test_retry_with_bearer_needs_no_csrf_field(ctx: AppContext, base: str) -> None:
    order_id, _ = _fulfilled_order(ctx, base)
    refund = event("charge.refunded", charge_obj(order_id, 1000))
    _store_failed(ctx, refund, "boom")
    response = httpx.post(f"{base}/admin/events/{refund['id']}/retry", headers=BEARER)
    assert response.status_code == 303
    wait_until(lambda: _event_row(ctx, refund["id"]).status == "processed")
    assert order_row(ctx.engine, order_id).status == "partially_refunded"


def test_events_retry_command(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from paydesk.cli import app

    refund = event("charge.refunded", charge_obj("ord_x", 3000))
    _store_failed(ctx, refund, "boom")
    monkeypatch.setenv("DATABASE_URL", ctx.settings.database_url)
    result = CliRunner().invoke(app, ["events", "retry", refund["id"]])
    assert result.exit_code == 0, result.output
    assert _event_row(ctx, refund["id"]).next_attempt_at is not None
    due = _event_row(ctx, refund["id"]).next_attempt_at
    assert due.replace(tzinfo=due.tzinfo or UTC) <= datetime.now(UTC)
    assert CliRunner().invoke(app, ["events", "retry", "evt_nope"]).exit_code == 1


def test_payload_and_error_are_escaped_and_no_secret_is_shown(ctx: AppContext, base: str) -> None:
    order_id, _ = _fulfilled_order(ctx, base)
    hostile = charge_obj(order_id, 0) | {"metadata": {"note": "<script>alert(1)</script>"}}
    evt = event("charge.refunded", hostile, event_id="evt_" + uuid.uuid4().hex)
    _store_failed(ctx, evt, "ValueError: <img src=x onerror=alert(2)>")
    with ctx.engine.begin() as conn:  # an email whose subject is hostile too
        from paydesk.notify.outbox import queue_email

        queue_email(conn, f"email:test:{order_id}", "a@b.test", "<b>hi</b>", "body")

    pages = {}
    with _signed_in(base) as client:
        for path in ("/admin", "/admin/orders", f"/admin/orders/{order_id}", "/admin/events",
                     f"/admin/events/{evt['id']}", "/admin/events?status=failed"):
            response = client.get(path)
            assert response.status_code == 200, path
            pages[path] = response.text
    detail = pages[f"/admin/events/{evt['id']}"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "&lt;img src=x onerror=alert(2)&gt;" in detail
    assert "&lt;b&gt;hi&lt;/b&gt;" in pages[f"/admin/orders/{order_id}"]
    for path, html in pages.items():
        # The admin's own script (confirmations) is the only one, and from our static folder.
        html = re.sub(r'<script src="[^"]*/static/admin\.js" defer></script>', "", html)
        assert "<script" not in html and "<img" not in html, path
        for secret in (ADMIN_TOKEN, STRIPE_KEY, "sk_test_unused", SECRET, OLD_SECRET, "k" * 32):
            assert secret not in html, (path, secret)


def test_oldest_unprocessed_and_failed_counts(ctx: AppContext, base: str) -> None:
    evt = event("charge.refunded", charge_obj("ord_x", 3000))
    _store_failed(ctx, evt, "boom")
    with ctx.engine.begin() as conn:
        conn.execute(update(inbox_events).where(inbox_events.c.id == evt["id"])
                     .values(received_at=datetime.now(UTC) - timedelta(hours=3)))
    overview = httpx.get(base + "/admin", headers=BEARER).text
    assert "3 h" in overview and "stat-bad" in overview
