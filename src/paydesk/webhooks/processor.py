"""Runs stored events through `dispatch`, in batches, off the acknowledgement path.

Each batch is one transaction with a savepoint per event: an event's domain change and its
inbox status commit together or not at all. A failure keeps its message and traceback on the
row and is retried with backoff. Rows left `received` by a crash are simply due work, so a
restarted processor picks them up. On PostgreSQL, several processes share the inbox through
``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, case, or_, select, update

from paydesk.context import AppContext
from paydesk.fulfilment.bulk import fulfil_sessions, session_order_id
from paydesk.ops.metrics import metrics
from paydesk.webhooks.dispatch import dispatch
from paydesk.webhooks.gate import WriteGate
from paydesk.webhooks.inbox import event_from_row
from paydesk.webhooks.tables import inbox_events

log = structlog.get_logger()

BATCH = 100
BUSY_BATCH = 16  # while deliveries arrive: short turns at the write gate, with pauses
BUSY_PAUSE = 0.03
# Event types whose paid sessions can be fulfilled a batch at a time (see fulfilment/bulk.py).
FAST_TYPES = frozenset(
    {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
)
RETRY_DELAYS = (1, 5, 30, 120, 600, 1800, 3600)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


def _due(conn: Connection, now: datetime, limit: int) -> list[Any]:
    t = inbox_events.c
    query = (
        select(t.id, t.type, t.payload, t.attempts, t.received_at, t.stripe_created)
        .where(
            or_(
                t.status == "received",
                (t.status == "failed") & (t.next_attempt_at <= now),
            )
        )
        .order_by(t.stripe_created, case((t.type.in_(FAST_TYPES), 0), else_=1), t.received_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        # Take SQLite's write lock before reading, so no other process works on these rows.
        conn.execute(update(inbox_events).where(t.id == "").values(status=t.status))
    return list(conn.execute(query).all())


def process_batch(
    ctx: AppContext, gate: WriteGate | None = None, now: datetime | None = None, limit: int = BATCH
) -> int:
    """Process up to `limit` due events; returns how many were taken."""
    gate = gate or WriteGate(ctx.engine)
    now = now or datetime.now(UTC)
    with gate.hold(), ctx.engine.begin() as conn:
        rows = _due(conn, now, limit)
        rest = _fast_path(conn, ctx, rows, now)
        # Stripe's timestamps are whole seconds: within one, let payments go before the
        # refunds and expiries that refer to them (any order still ends right, this is faster).
        rest.sort(key=lambda row: row.stripe_created)
        for row in rest:
            _process_one(conn, ctx, row, now)
    return len(rows)


def _fast_path(conn: Connection, ctx: AppContext, rows: list[Any], now: datetime) -> list[Any]:
    """Paid checkout sessions of the batch, fulfilled together in one savepoint; returns the
    rows left for one-at-a-time processing (all of them if the batch step fails)."""
    fast: list[tuple[Any, dict[str, Any]]] = []
    rest: list[Any] = []
    for row in rows:
        session = None
        if row.type in FAST_TYPES:
            event = event_from_row(row.payload)
            session = (event.get("data") or {}).get("object")
        if isinstance(session, dict) and session_order_id(session):
            fast.append((row, session))
        else:
            rest.append(row)
    if len(fast) < 2:
        return rows
    try:
        with conn.begin_nested():
            fulfil_sessions(conn, ctx, [session for _, session in fast])
            conn.execute(
                update(inbox_events)
                .where(inbox_events.c.id.in_([row.id for row, _ in fast]))
                .values(
                    status="processed", attempts=inbox_events.c.attempts + 1, processed_at=now,
                    last_error=None, next_attempt_at=None,
                )
            )
    except Exception as exc:
        log.warning("webhook_batch_fallback", error=str(exc), events=len(fast))
        return rows
    for row, _ in fast:
        _observe(row, "processed", now)
    return rest


def _process_one(conn: Connection, ctx: AppContext, row: Any, now: datetime) -> None:
    t = inbox_events.c
    attempts = row.attempts + 1
    try:
        with conn.begin_nested():
            outcome = dispatch(conn, ctx, event_from_row(row.payload))
            conn.execute(
                update(inbox_events)
                .where(t.id == row.id)
                .values(
                    status=outcome, attempts=attempts, processed_at=now, last_error=None,
                    next_attempt_at=None,
                )
            )
    except Exception as exc:
        error = "".join(traceback.format_exception(exc))
        conn.execute(
            update(inbox_events)
            .where(t.id == row.id)
            .values(
                status="failed", attempts=attempts, last_error=error,
                next_attempt_at=now + retry_delay(attempts),
            )
        )
        outcome = "failed"
        log.warning("webhook_failed", event_id=row.id, type=row.type, error=str(exc))
    _observe(row, outcome, now)


def _observe(row: Any, outcome: str, now: datetime) -> None:
    m = metrics()
    m.webhooks_processed.labels(type=row.type, outcome=outcome).inc()
    received = row.received_at
    if received is not None:
        if received.tzinfo is None:  # SQLite hands back naive datetimes
            received = received.replace(tzinfo=UTC)
        m.processing_seconds.observe(max(0.0, (now - received).total_seconds()))


def process_all(ctx: AppContext, gate: WriteGate | None = None, now: datetime | None = None) -> int:
    """Process until nothing is due (tests, reconcile, start-up recovery)."""
    total = 0
    while taken := process_batch(ctx, gate, now):
        total += taken
    return total


class Processor:
    """Background service: wakes on each inbox commit, and polls for retries and crash leftovers."""

    def __init__(self, ctx: AppContext, gate: WriteGate, poll_seconds: float = 1.0) -> None:
        self._ctx = ctx
        self._gate = gate
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """Called after each inbox commit."""
        self._wake.set()

    async def start(self) -> None:
        # Everything built so far (modules, the app, SQLAlchemy's caches) lives as long as the
        # process: move it out of the collector's sight, or each full collection scans it all
        # and stops every thread for ~100 ms, which lands in webhook acknowledgements.
        gc.collect()
        gc.freeze()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="webhook-processor")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                busy = self._gate.ingest_busy()
                limit = BUSY_BATCH if busy else BATCH
                taken = await asyncio.to_thread(process_batch, self._ctx, self._gate, None, limit)
            except Exception as exc:  # the database may be briefly unavailable: keep going
                log.error("webhook_processor_error", error=str(exc))
                taken = 0
            if taken:
                # While deliveries pour in, the writer gets the gate (and the GIL) most of the
                # time and fulfilment trails a little: acknowledgements are what Stripe waits on.
                await asyncio.sleep(BUSY_PAUSE if self._gate.ingest_busy() else 0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()
