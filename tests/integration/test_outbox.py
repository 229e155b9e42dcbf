"""The outbox worker: real SMTP (aiosmtpd) or the mailbox table; nothing is sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import select
from test_webhook_support import (
    ADMIN_TOKEN,
    checkout_session,
    mailbox_count,
    make_ctx,
    seed_order,
    seed_product,
    serve_pipeline,
    wait_until,
)

from paydesk.app import create_app
from paydesk.context import AppContext
from paydesk.fulfilment.service import fulfil_checkout
from paydesk.notify.outbox import queue_email
from paydesk.notify.tables import mailbox, outbox
from paydesk.notify.worker import drain_all, drain_once
from tests.support import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", handler
    finally:
        controller.stop()


@pytest.fixture
def ctx(database_url: str) -> Iterator[AppContext]:
    context = make_ctx(database_url)
    seed_product(context.engine, stock=None)
    yield context
    context.engine.dispose()


def _statuses(ctx: AppContext) -> list[str]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(select(outbox.c.status).order_by(outbox.c.id)).scalars())


def test_confirmation_goes_over_smtp_once(ctx: AppContext, smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp
    order_id = seed_order(ctx.engine)
    fulfil_checkout(ctx, checkout_session(order_id))
    fulfil_checkout(ctx, checkout_session(order_id))
    assert drain_all(ctx.engine, SecretStr(url)) == 1
    assert drain_all(ctx.engine, SecretStr(url)) == 0
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message.rcpt_tos == ["buyer@example.com"]
    assert order_id in message.content.decode()
    assert _statuses(ctx) == ["sent"] and mailbox_count(ctx.engine) == 0


def test_concurrent_workers_send_each_message_once(
    ctx: AppContext, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    with ctx.engine.begin() as conn:
        for i in range(30):
            queue_email(conn, f"email:test:{i}", f"user{i}@example.com", f"hello {i}", "body")
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: drain_all(ctx.engine, SecretStr(url)), range(4)))
    assert sorted(m.rcpt_tos[0] for m in inbox.messages) == sorted(
        f"user{i}@example.com" for i in range(30)
    )
    assert _statuses(ctx) == ["sent"] * 30


def test_dedupe_key_queues_once(ctx: AppContext) -> None:
    with ctx.engine.begin() as conn:
        assert queue_email(conn, "email:x", "a@example.com", "s", "b") is True
        assert queue_email(conn, "email:x", "a@example.com", "s", "b") is False
    assert len(_statuses(ctx)) == 1


def test_unreachable_smtp_keeps_message_pending_with_error(ctx: AppContext) -> None:
    with ctx.engine.begin() as conn:
        queue_email(conn, "email:y", "a@example.com", "s", "b")
    assert drain_once(ctx.engine, SecretStr(f"smtp://127.0.0.1:{free_port()}")) == 1
    with ctx.engine.connect() as conn:
        row = conn.execute(select(outbox)).one()
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    assert drain_once(ctx.engine, SecretStr("smtp://127.0.0.1:1")) == 0  # backoff: not due yet


def test_without_smtp_mail_lands_in_admin_mailbox(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine)
    with serve_pipeline(ctx, create_app) as base:  # the mailbox is one of the admin's pages
        fulfil_checkout(ctx, checkout_session(order_id))
        wait_until(lambda: mailbox_count(ctx.engine) == 1)  # the in-process worker
        assert httpx.get(f"{base}/admin/mailbox").status_code == 401
        wrong = httpx.get(f"{base}/admin/mailbox", headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401
        assert httpx.get(f"{base}/admin/mailbox",
                         cookies={"paydesk_admin": "forged.cookie"}).status_code == 401
        by_bearer = httpx.get(f"{base}/admin/mailbox",
                              headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert by_bearer.status_code == 200
    messages = by_bearer.json()["messages"]
    assert len(messages) == 1 and messages[0]["to"] == "buyer@example.com"
    assert order_id in messages[0]["subject"]
    assert _statuses(ctx) == ["sent"]


def test_worker_command_sends_the_outbox(
    ctx: AppContext, smtp: tuple[str, Inbox], database_url: str, tmp_path: Any
) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    url, inbox = smtp
    with ctx.engine.begin() as conn:
        queue_email(conn, "email:cli", "cli@example.com", "from the worker", "body")
    env = {**os.environ, "DATABASE_URL": database_url, "SMTP_URL": url}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "paydesk"), "worker"],
                              env=env, cwd=tmp_path)
    try:
        wait_until(lambda: _statuses(ctx) == ["sent"], timeout=30)
    finally:
        worker.terminate()
        assert worker.wait(10) == 0  # SIGTERM: a clean stop
    assert [m.rcpt_tos for m in inbox.messages] == [["cli@example.com"]]


def test_signed_in_admin_follows_the_mailbox_link(ctx: AppContext) -> None:
    """The admin nav links to /admin/mailbox: the sign-in cookie alone opens it."""
    from paydesk.app import create_app

    order_id = seed_order(ctx.engine)
    fulfil_checkout(ctx, checkout_session(order_id))
    with serve_pipeline(ctx, create_app) as base, httpx.Client(
        base_url=base, follow_redirects=True, timeout=10
    ) as browser:
        overview = browser.get("/admin", params={"token": ADMIN_TOKEN})
        assert overview.status_code == 200 and 'href="/admin/mailbox"' in overview.text
        assert "paydesk_admin" in browser.cookies
        wait_until(lambda: mailbox_count(ctx.engine) == 1)
        page = browser.get("/admin/mailbox")
    assert page.status_code == 200
    assert [m["to"] for m in page.json()["messages"]] == ["buyer@example.com"]


def test_mailbox_is_closed_without_an_admin_token(database_url: str) -> None:
    closed = make_ctx(database_url, paydesk_admin_token=None)
    try:
        with serve_pipeline(closed) as base:
            answer = httpx.get(f"{base}/admin/mailbox", headers={"Authorization": "Bearer x"})
        assert answer.status_code == 404
    finally:
        closed.engine.dispose()


class HangingInbox(Inbox):
    """An SMTP server that holds each message until released (a slow or stuck relay)."""

    def __init__(self) -> None:
        super().__init__()
        import threading

        self.entered = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        import asyncio

        self.entered.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def test_a_slow_smtp_send_holds_no_transaction_or_gate(ctx: AppContext, database_url: str) -> None:
    """While a send hangs, the webhook inbox (same process: the gate; another process: its own
    engine, SQLite's write lock) can still commit, and the message is visibly claimed."""
    import threading

    from test_webhook_support import event, inbox_count

    from paydesk.store.engine import make_engine
    from paydesk.store.gate import WriteGate
    from paydesk.webhooks.inbox import inbox_row, store_events

    handler = HangingInbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    gate = WriteGate(ctx.engine)
    with ctx.engine.begin() as conn:
        queue_email(conn, "email:slow", "slow@example.com", "s", "b")
    sender = threading.Thread(target=drain_once, args=(
        ctx.engine, SecretStr(f"smtp://127.0.0.1:{controller.port}"), gate))
    other_process = make_engine(database_url)
    try:
        sender.start()
        assert handler.entered.wait(10)
        assert _statuses(ctx) == ["sending"]

        def ingest() -> None:
            # Same process: through the gate the sender was given. Another process shares no
            # gate with the sender, only the database (on SQLite, its write lock).
            evt = event("ping", {"id": "x"})
            with gate.hold(), ctx.engine.begin() as conn:
                store_events(conn, [inbox_row(evt, "{}")])
            evt = event("ping", {"id": "y"})
            with other_process.begin() as conn:
                store_events(conn, [inbox_row(evt, "{}")])

        writer = threading.Thread(target=ingest)
        writer.start()
        writer.join(20)  # with the old worker this waits until the send ends (never, here)
        assert not writer.is_alive() and inbox_count(ctx.engine) == 2
    finally:
        handler.release.set()
        sender.join(30)
        controller.stop()
        other_process.dispose()
    assert _statuses(ctx) == ["sent"] and len(handler.messages) == 1


def test_expired_lease_is_sent_again_but_sent_mail_never(
    ctx: AppContext, smtp: tuple[str, Inbox]
) -> None:
    """A worker died mid-send: after the lease its message goes out; a sent one stays sent."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    url, inbox = smtp
    with ctx.engine.begin() as conn:
        queue_email(conn, "email:leased", "leased@example.com", "s", "b")
        queue_email(conn, "email:done", "done@example.com", "s", "b")
        conn.execute(update(outbox).where(outbox.c.dedupe_key == "email:leased")
                     .values(status="sending",
                             next_attempt_at=datetime.now(UTC) + timedelta(minutes=10)))
        conn.execute(update(outbox).where(outbox.c.dedupe_key == "email:done")
                     .values(status="sent", next_attempt_at=datetime.now(UTC)))
    assert drain_all(ctx.engine, SecretStr(url)) == 0  # still leased to the (dead) worker
    later = datetime.now(UTC) + timedelta(minutes=11)
    assert drain_once(ctx.engine, SecretStr(url), now=later) == 1
    assert [m.rcpt_tos for m in inbox.messages] == [["leased@example.com"]]
    assert _statuses(ctx) == ["sent", "sent"]
    assert drain_once(ctx.engine, SecretStr(url), now=later + timedelta(hours=1)) == 0


HOSTILE = 'Dear <script>alert("x")</script> & co,\n\nYour link: https://shop.test/a?b=1&c=2\n'


def test_smtp_message_is_multipart_with_text_and_escaped_html(
    ctx: AppContext, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    with ctx.engine.begin() as conn:
        queue_email(conn, "email:test:html", "buyer@example.com", "Hi <b>you</b>", HOSTILE)
    assert drain_all(ctx.engine, SecretStr(url)) == 1
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == ["buyer@example.com"]
    parsed = message_from_bytes(envelope.content, policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == HOSTILE  # SMTP lines end in CRLF
    markup = html.get_content()
    assert "<script>" not in markup and "<b>you</b>" not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in markup
    assert "Hi &lt;b&gt;you&lt;/b&gt;" in markup
    assert '<a href="https://shop.test/a?b=1&amp;c=2">' in markup


class _Frames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            self.frames.append(dict(attrs))
        if tag == "script":
            self.scripts += 1


def test_mailbox_page_shows_text_and_sandboxed_html(ctx: AppContext) -> None:
    with ctx.engine.begin() as conn:
        queue_email(conn, "email:test:page", "buyer@example.com", "Hi <b>you</b>", HOSTILE)
    assert drain_all(ctx.engine, None) == 1
    with ctx.engine.connect() as conn:
        message_id, kept_html = conn.execute(select(mailbox.c.id, mailbox.c.html)).one()
    assert "&lt;script&gt;" in kept_html and "<script>" not in kept_html
    with serve_pipeline(ctx, create_app) as base, httpx.Client(
        base_url=base, follow_redirects=True, timeout=10
    ) as browser:
        assert browser.get("/admin", params={"token": ADMIN_TOKEN}).status_code == 200
        page = browser.get(f"/admin/mailbox/{message_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    # The text part, escaped into the page; never the raw markup.
    assert "Dear &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in page.text
    assert '<script>alert("x")' not in page.text
    parser = _Frames()
    parser.feed(page.text)
    [frame] = parser.frames
    assert frame["sandbox"] == ""  # every restriction: no scripts, no same origin
    assert frame["srcdoc"] == kept_html  # the HTML part, only ever inside the iframe
    before = page.text.split("<iframe", 1)[0]
    assert "<h1 style=" not in before and "<a href=\"https://shop.test" not in page.text
