"""The outbox worker: delivers queued emails; a message marked sent is never sent again.

SMTP can take seconds (30 s timeout per message), so no transaction or write gate is held while
mail goes out: a short transaction claims a batch (status `sending` plus a lease in
next_attempt_at; PostgreSQL ``FOR UPDATE SKIP LOCKED``, SQLite its write lock), the messages go
out with nothing held, and each is marked sent (or failed, with backoff) in its own short
transaction. A worker that dies mid-batch leaves `sending` rows whose lease runs out; they are
then due again, so delivery is at least once (SMTP offers nothing better), never after `sent`.
Without SMTP_URL the mail lands in the `mailbox` table the admin reads, in the claiming
transaction itself, so it can never be kept twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import NotRequired, Protocol, TypedDict

import orjson
import structlog
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, or_, select, update

from paydesk.notify.html import render_html
from paydesk.notify.smtp import send_email
from paydesk.notify.tables import mailbox, outbox
from paydesk.ops.metrics import metrics
from paydesk.store.gate import WriteGate
from paydesk.store.upsert import insert_ignore

log = structlog.get_logger()

BATCH = 200
SMTP_BATCH = 10
MAX_ATTEMPTS = 8
# Longer than a whole SMTP batch can take (SMTP_BATCH sends of at most 30 s each).
LEASE = timedelta(minutes=10)


class Mail(TypedDict):
    """An outbox row's payload (notify/outbox.py queues it)."""

    to: str
    subject: str
    body: str
    html: NotRequired[str | None]  # rows queued before emails had an HTML part have none


class DueMail(Protocol):
    """An outbox row as `_due` reads it."""

    @property
    def id(self) -> int: ...
    @property
    def payload(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def dedupe_key(self) -> str | None: ...


def _due(conn: Connection, now: datetime, limit: int) -> list[DueMail]:
    t = outbox.c
    query = (
        select(t.id, t.payload, t.attempts, t.dedupe_key)
        .where(or_(t.status == "pending", t.status == "sending"), t.next_attempt_at <= now)
        .order_by(t.id)
        .limit(limit)
    )
    # SQLite: the transaction holds the write lock from its start (store/engine.py).
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(conn.execute(query).all())


def drain_once(
    engine: Engine, smtp_url: SecretStr | None, gate: WriteGate | None = None, limit: int = BATCH,
    now: datetime | None = None,
) -> int:
    """Deliver up to `limit` due messages; returns how many were taken."""
    gate = gate or WriteGate(engine)
    now = now or datetime.now(UTC)
    if not smtp_url:
        with gate.hold(), engine.begin() as conn:
            rows = _due(conn, now, limit)
            _keep_in_mailbox(conn, rows, now)
        return len(rows)
    with gate.hold(), engine.begin() as conn:
        rows = _due(conn, now, min(limit, SMTP_BATCH))
        if rows:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(status="sending", next_attempt_at=now + LEASE)
            )
    for row in rows:  # nothing held from here on: webhook acknowledgements keep flowing
        _deliver(engine, gate, row, smtp_url)
    return len(rows)


def _html(mail: Mail) -> str:
    """The HTML part queued with the message; rows queued before there was one get it now."""
    html = mail.get("html")
    return html if isinstance(html, str) else render_html(mail["subject"], mail["body"])


def _keep_in_mailbox(conn: Connection, rows: list[DueMail], now: datetime) -> None:
    """No SMTP: file the whole batch in the mailbox and mark it sent, in this transaction."""
    if not rows:
        return
    mails: list[tuple[int, Mail]] = [(row.id, orjson.loads(row.payload)) for row in rows]
    insert_ignore(conn, mailbox, [
        {"outbox_id": oid, "to_addr": m["to"], "subject": m["subject"], "body": m["body"],
         "html": _html(m), "created_at": now}
        for oid, m in mails
    ])
    conn.execute(
        update(outbox)
        .where(outbox.c.id.in_([oid for oid, _ in mails]))
        .values(status="sent", attempts=outbox.c.attempts + 1, sent_at=now, last_error=None)
    )
    metrics().emails_sent.labels(transport="mailbox").inc(len(mails))
    log.info("emails_kept_in_mailbox", outbox_ids=[oid for oid, _ in mails])


def _deliver(engine: Engine, gate: WriteGate, row: DueMail, smtp_url: SecretStr) -> None:
    mail: Mail = orjson.loads(row.payload)
    attempts = row.attempts + 1
    try:
        send_email(smtp_url, mail["to"], mail["subject"], mail["body"], _html(mail))
    except Exception as exc:
        now = datetime.now(UTC)
        dead = attempts >= MAX_ATTEMPTS
        with gate.hold(), engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id, outbox.c.status == "sending")
                .values(
                    status="dead" if dead else "pending", attempts=attempts,
                    last_error=repr(exc),
                    next_attempt_at=now + timedelta(seconds=min(3600, 5 * 2**attempts)),
                )
            )
        log.warning("email_failed", outbox_id=row.id, attempts=attempts, error=repr(exc))
        return
    now = datetime.now(UTC)
    with gate.hold(), engine.begin() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.id == row.id, outbox.c.status == "sending")
            .values(status="sent", attempts=attempts, sent_at=now, last_error=None)
        )
    metrics().emails_sent.labels(transport="smtp").inc()
    log.info("email_sent", outbox_id=row.id, dedupe_key=row.dedupe_key)


def drain_all(engine: Engine, smtp_url: SecretStr | None, gate: WriteGate | None = None) -> int:
    total = 0
    while taken := drain_once(engine, smtp_url, gate):
        total += taken
    return total


class OutboxWorker:
    """Background service inside `paydesk serve` (when settings.inline_worker)."""

    def __init__(
        self, engine: Engine, smtp_url: SecretStr | None, gate: WriteGate, poll_seconds: float = 0.5
    ) -> None:
        self._engine = engine
        self._smtp_url = smtp_url
        self._gate = gate
        self._poll = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self._gate.ingest_busy()
                taken = await asyncio.to_thread(
                    drain_once, self._engine, self._smtp_url, self._gate, 32 if busy else BATCH
                )
                if taken and busy:
                    await asyncio.sleep(0.05)  # deliveries arriving: step aside (see gate.py)
            except Exception as exc:
                log.error("outbox_worker_error", error=repr(exc))
                taken = 0
            if not taken:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._poll)


def run_forever(engine: Engine, smtp_url: SecretStr | None, poll_seconds: float = 0.5) -> None:
    """`paydesk worker`: drain the outbox in this process until SIGINT/SIGTERM.

    A signal lets the batch in hand finish (its sends are marked sent) before exiting.
    """
    gate = WriteGate(engine)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    log.info("outbox_worker_started", smtp=bool(smtp_url))
    try:
        while not stop.is_set():
            if not drain_once(engine, smtp_url, gate):
                stop.wait(poll_seconds)
    finally:
        log.info("outbox_worker_stopped")
