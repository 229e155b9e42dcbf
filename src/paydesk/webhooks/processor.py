"""Runs stored events through `dispatch.handle`, in batches, off the acknowledgement path.

Each batch is one transaction with a savepoint per event: an event's domain change and its
inbox status commit together or not at all. A failure keeps its message and traceback on the
row and is retried with backoff, up to MAX_ATTEMPTS (then `dead`). Rows left `received` by a
crash are simply due work, so a restarted processor picks them up. On PostgreSQL, several
processes share the inbox through ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from datetime import UTC, datetime, timedelta
from typing import Protocol

import orjson
import structlog
from sqlalchemy import Connection, select, update

from paydesk.billing.handlers import SqlBilling
from paydesk.context import AppContext
from paydesk.fulfilment.service import fulfil_sessions
from paydesk.ops.metrics import metrics
from paydesk.orders.payments import CheckoutSession
from paydesk.store.engine import aware
from paydesk.store.gate import WriteGate
from paydesk.store.sets import among
from paydesk.webhooks.book import SqlOrderBook
from paydesk.webhooks.dispatch import (
    BATCHABLE_TYPES,
    SessionCompleted,
    handle,
    parse,
    parse_payload,
    session_outcome,
)
from paydesk.webhooks.tables import inbox_events

log = structlog.get_logger()

BATCH = 100
BUSY_BATCH = 16  # while deliveries arrive: short turns at the write gate, with pauses
BUSY_PAUSE = 0.03
# PostgreSQL has no single write lock for the processor to step aside from, but every statement
# is a round trip (and, on a busy machine, a wait for the server to be scheduled): larger
# batches spread those round trips over more events, and a short pause while deliveries arrive
# is enough to leave the acknowledgements their share of the GIL.
PG_BATCH = 200
PG_BUSY_PAUSE = 0.01
RETRY_DELAYS = (1, 5, 30, 120, 600, 1800, 3600)
# After this many failed attempts (about 9 hours of backoff) an event is `dead`: no more retries.
MAX_ATTEMPTS = 12


class DueEvent(Protocol):
    """An inbox row as `_due` reads it."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def payload(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def received_at(self) -> datetime | None: ...
    @property
    def stripe_created(self) -> int: ...


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


def _due(conn: Connection, now: datetime, limit: int) -> list[DueEvent]:
    """Up to `limit` events to process, in Stripe's order, and within one second payments
    before the refunds and expiries that refer to them (any order ends right; this is faster).

    Two index walks that stop at `limit` (new events by ix_inbox_events_queue, failed ones by
    next_attempt_at), never a sort of the whole backlog."""
    t = inbox_events.c
    columns = (t.id, t.type, t.payload, t.attempts, t.received_at, t.stripe_created)
    new = (
        select(*columns).where(t.status == "received")
        .order_by(t.status, t.stripe_created, t.received_at).limit(limit)
    )
    retry = (
        select(*columns).where(t.status == "failed", t.next_attempt_at <= now)
        .order_by(t.next_attempt_at).limit(limit)
    )
    # SQLite: the transaction holds the write lock from its start (store/engine.py).
    if conn.dialect.name == "postgresql":
        new, retry = new.with_for_update(skip_locked=True), retry.with_for_update(skip_locked=True)
    rows: list[DueEvent] = [*conn.execute(new).all(), *conn.execute(retry).all()]
    rows.sort(key=lambda r: (r.stripe_created, r.type not in BATCHABLE_TYPES, aware(r.received_at)))
    return rows[:limit]


def process_batch(
    ctx: AppContext, gate: WriteGate | None = None, now: datetime | None = None, limit: int = BATCH
) -> int:
    """Process up to `limit` due events; returns how many were taken."""
    gate = gate or WriteGate(ctx.engine)
    now = now or datetime.now(UTC)
    with gate.hold(), ctx.engine.begin() as conn:
        rows = _due(conn, now, limit)
        # `_due` orders by Stripe's timestamp, and within one second payments first.
        for row in _fast_path(conn, ctx, rows, now):
            _process_one(conn, ctx, row, now)
    return len(rows)


def _fast_path(
    conn: Connection, ctx: AppContext, rows: list[DueEvent], now: datetime
) -> list[DueEvent]:
    """Paid checkout sessions of the batch, fulfilled together in one savepoint; returns the
    rows left for one-at-a-time processing (all of them if the batch step fails)."""
    if sum(row.type in BATCHABLE_TYPES for row in rows) < 2:
        return rows  # nothing to batch: spare the parse `_process_one` does anyway
    fast: list[tuple[DueEvent, CheckoutSession]] = []
    rest: list[DueEvent] = []
    for row in rows:
        event = parse_payload(row.payload) if row.type in BATCHABLE_TYPES else None
        if isinstance(event, SessionCompleted) and event.session.paid:
            fast.append((row, event.session))
        else:
            rest.append(row)
    if len(fast) < 2:
        return rows
    t = inbox_events.c
    try:
        with conn.begin_nested():
            result = fulfil_sessions(conn, ctx, [session for _, session in fast], now)
            plain, noted = [], []
            for row, session in fast:
                status, note = session_outcome(result, session.id)
                if status == "processed" and note is None:
                    plain.append(row)
                else:  # rare: not ours, or a payment that does not match
                    noted.append((row, status, note))
            if plain:
                conn.execute(
                    update(inbox_events)
                    .where(among(conn, t.id, [row.id for row in plain]))
                    .values(
                        status="processed", attempts=t.attempts + 1, processed_at=now,
                        last_error=None, next_attempt_at=None,
                    )
                )
            for row, status, note in noted:
                _record(conn, row, status, note, now)
    except Exception as exc:
        log.warning("webhook_batch_fallback", error=str(exc), events=len(fast))
        return rows
    for row in plain:
        _observe(row, "processed", now)
    for row, status, _ in noted:
        _observe(row, status, now)
    return rest


def _record(conn: Connection, row: DueEvent, status: str, note: str | None, now: datetime) -> None:
    conn.execute(
        update(inbox_events)
        .where(inbox_events.c.id == row.id)
        .values(
            status=status, attempts=row.attempts + 1, processed_at=now, last_error=note,
            next_attempt_at=None,
        )
    )


def _process_one(conn: Connection, ctx: AppContext, row: DueEvent, now: datetime) -> None:
    attempts = row.attempts + 1
    try:
        with conn.begin_nested():
            outcome, note = handle(parse(orjson.loads(row.payload)), SqlOrderBook(conn, ctx, now),
                                   SqlBilling(conn, ctx))
            _record(conn, row, outcome, note, now)
    except Exception as exc:
        error = "".join(traceback.format_exception(exc))
        # An event that keeps failing stops being retried (the admin can still retry it).
        outcome = "dead" if attempts >= MAX_ATTEMPTS else "failed"
        conn.execute(
            update(inbox_events)
            .where(inbox_events.c.id == row.id)
            .values(
                status=outcome, attempts=attempts, last_error=error,
                next_attempt_at=None if outcome == "dead" else now + retry_delay(attempts),
            )
        )
        log.warning("webhook_failed", event_id=row.id, type=row.type, error=str(exc),
                    attempts=attempts, dead=outcome == "dead")
    _observe(row, outcome, now)


def _observe(row: DueEvent, outcome: str, now: datetime) -> None:
    m = metrics()
    m.webhooks_processed.labels(type=row.type, outcome=outcome).inc()
    received = aware(row.received_at)
    if received is not None:
        m.processing_seconds.observe(max(0.0, (now - received).total_seconds()))


def process_all(ctx: AppContext, gate: WriteGate | None = None, now: datetime | None = None) -> int:
    """Process until nothing is due (tests, reconcile, start-up recovery)."""
    gate = gate or WriteGate(ctx.engine)
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
        # (`paydesk serve` freezes the start-up heap out of the collector's sight: bootstrap.py.)
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="webhook-processor")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    def _turn(self) -> tuple[int, float]:
        """(how many events to take, how long to pause after them) for the next batch."""
        busy = self._gate.ingest_busy()
        if self._ctx.engine.dialect.name == "postgresql":
            return PG_BATCH, PG_BUSY_PAUSE if busy else 0.0
        # SQLite: while deliveries pour in, the writer gets the gate (and the GIL) most of the
        # time and fulfilment trails a little: acknowledgements are what Stripe waits on.
        return (BUSY_BATCH, BUSY_PAUSE) if busy else (BATCH, 0.0)

    async def _run(self) -> None:
        while not self._stopping:
            limit, pause = self._turn()
            try:
                taken = await asyncio.to_thread(process_batch, self._ctx, self._gate, None, limit)
            except Exception as exc:  # the database may be briefly unavailable: keep going
                log.error("webhook_processor_error", error=str(exc))
                taken = 0
            if taken:
                await asyncio.sleep(pause)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()
