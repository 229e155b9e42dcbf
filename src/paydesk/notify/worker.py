"""The outbox worker: delivers queued emails, each at most once.

Rows are claimed inside the transaction that marks them sent (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``, so several workers share the outbox; SQLite: its single write lock). With SMTP_URL the
mail goes to that server; without, it lands in the `mailbox` table the admin reads — in the same
transaction, so it can never be kept twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, Engine, select, update

from paydesk.notify.smtp import send_email
from paydesk.notify.tables import mailbox, outbox
from paydesk.ops.metrics import metrics
from paydesk.store.upsert import insert_ignore
from paydesk.webhooks.gate import WriteGate

log = structlog.get_logger()

BATCH = 200
MAX_ATTEMPTS = 8


def _claim(conn: Connection, now: datetime, limit: int) -> list[Any]:
    query = (
        select(outbox.c.id, outbox.c.payload, outbox.c.attempts, outbox.c.dedupe_key)
        .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= now)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        conn.execute(update(outbox).where(outbox.c.id == -1).values(status=outbox.c.status))
    return list(conn.execute(query).all())


def drain_once(
    engine: Engine, smtp_url: str | None, gate: WriteGate | None = None, limit: int = BATCH
) -> int:
    """Deliver up to `limit` due messages; returns how many were taken."""
    now = datetime.now(UTC)
    # SMTP sends happen while the rows are claimed; keep the batch small then.
    limit = min(limit, 10) if smtp_url else limit
    with (gate or WriteGate(engine)).hold(), engine.begin() as conn:
        rows = _claim(conn, now, limit)
        if smtp_url:
            for row in rows:
                _deliver(conn, row, smtp_url, now)
        else:
            _keep_in_mailbox(conn, rows, now)
    return len(rows)


def _keep_in_mailbox(conn: Connection, rows: list[Any], now: datetime) -> None:
    """No SMTP: file the whole batch in the mailbox and mark it sent, in this transaction."""
    if not rows:
        return
    mails = [(row.id, orjson.loads(row.payload)) for row in rows]
    insert_ignore(conn, mailbox, [
        {"outbox_id": oid, "to_addr": m["to"], "subject": m["subject"], "body": m["body"],
         "created_at": now}
        for oid, m in mails
    ])
    conn.execute(
        update(outbox)
        .where(outbox.c.id.in_([oid for oid, _ in mails]))
        .values(status="sent", attempts=outbox.c.attempts + 1, sent_at=now, last_error=None)
    )
    metrics().emails_sent.labels(transport="mailbox").inc(len(mails))
    log.info("emails_kept_in_mailbox", outbox_ids=[oid for oid, _ in mails])


def _deliver(conn: Connection, row: Any, smtp_url: str, now: datetime) -> None:
    mail = orjson.loads(row.payload)
    attempts = row.attempts + 1
    try:
        send_email(smtp_url, mail["to"], mail["subject"], mail["body"])
    except Exception as exc:
        dead = attempts >= MAX_ATTEMPTS
        conn.execute(
            update(outbox)
            .where(outbox.c.id == row.id)
            .values(
                status="dead" if dead else "pending", attempts=attempts, last_error=repr(exc),
                next_attempt_at=now + timedelta(seconds=min(3600, 5 * 2**attempts)),
            )
        )
        log.warning("email_failed", outbox_id=row.id, attempts=attempts, error=repr(exc))
        return
    conn.execute(
        update(outbox)
        .where(outbox.c.id == row.id)
        .values(status="sent", attempts=attempts, sent_at=now, last_error=None)
    )
    metrics().emails_sent.labels(transport="smtp").inc()
    log.info("email_sent", outbox_id=row.id, dedupe_key=row.dedupe_key)


def drain_all(engine: Engine, smtp_url: str | None, gate: WriteGate | None = None) -> int:
    total = 0
    while taken := drain_once(engine, smtp_url, gate):
        total += taken
    return total


class OutboxWorker:
    """Background service inside `paydesk serve` (when settings.inline_worker)."""

    def __init__(
        self, engine: Engine, smtp_url: str | None, gate: WriteGate, poll_seconds: float = 0.5
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


def run_forever(poll_seconds: float = 0.5) -> None:
    """`paydesk worker`: drain the outbox in this process until SIGINT/SIGTERM.

    A signal lets the batch in hand finish (its sends are marked sent) before exiting.
    """
    import signal
    import threading

    from paydesk.settings import load_settings
    from paydesk.store.engine import make_engine

    settings = load_settings()
    engine = make_engine(settings.database_url)
    gate = WriteGate(engine)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    log.info("outbox_worker_started", smtp=bool(settings.smtp_url))
    try:
        while not stop.is_set():
            if not drain_once(engine, settings.smtp_url, gate):
                stop.wait(poll_seconds)
    finally:
        engine.dispose()
        log.info("outbox_worker_stopped")
