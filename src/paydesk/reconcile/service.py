"""Recovery: list Stripe's events since a point in time and run the ones the inbox lacks
through the same pipeline (stored with source='reconcile', then processed like any delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypedDict

import orjson
import stripe as stripe_sdk
import structlog
from sqlalchemy import Column, ColumnElement, select

from paydesk.billing.grace import sweep_grace
from paydesk.checkout.release import release_abandoned
from paydesk.checkout.service import session_lifetime
from paydesk.context import AppContext
from paydesk.fulfilment.service import fulfil_session
from paydesk.orders.model import OrderStatus
from paydesk.orders.payments import CheckoutSession
from paydesk.orders.service import expire_session
from paydesk.orders.tables import orders
from paydesk.payments.stale import settle_stale_intent
from paydesk.store.engine import reading
from paydesk.store.gate import WriteGate
from paydesk.webhooks.dispatch import EVENT_TYPES
from paydesk.webhooks.inbox import inbox_row, known_ids, store_events
from paydesk.webhooks.processor import process_all

log = structlog.get_logger()

_SPAN = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
SWEEP_LIMIT = 500  # one Stripe call each; the next pass takes the rest


def parse_since(text: str) -> timedelta:
    """"3d", "12h", "30m", "90s", "1w" → timedelta; anything else is a clear error."""
    match = _SPAN.match(text.lower())
    if not match:
        raise ValueError(f"--since must look like 3d, 12h, 30m or 90s, not {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT[match.group(2)])


def list_events(ctx: AppContext, since: timedelta) -> Iterator[dict[str, object]]:
    """Every event created in the window, newest first, through the SDK's auto-paging."""
    gte = int(time.time() - since.total_seconds())
    # Only the types the pipeline handles: the rest would be stored just to be ignored.
    page = ctx.stripe.v1.events.list(
        params={"created": {"gte": gte}, "limit": 100, "types": sorted(EVENT_TYPES)}
    )
    for event in page.auto_paging_iter():
        yield event.to_dict(recursive=True)


class Recovered(TypedDict):
    id: str
    type: str
    object_id: str | None


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _json_default(value: object) -> str:
    # The SDK turns Stripe's *_decimal strings into Decimal; put them back as Stripe sent them.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def reconcile(
    ctx: AppContext,
    since: timedelta,
    gate: WriteGate | None = None,
    on_event: Callable[[], None] = lambda: None,
) -> list[Recovered]:
    """Store and process the missing events; returns them (id, type, object_id) oldest first."""
    gate = gate or WriteGate(ctx.engine)
    events = []
    for event in list_events(ctx, since):
        events.append(event)
        on_event()
    with reading(ctx.engine) as conn:
        have = known_ids(conn, [str(e["id"]) for e in events])
    missing = [e for e in events if e["id"] not in have]
    missing.sort(key=lambda e: (_int(e.get("created")), str(e["id"])))
    rows = [
        inbox_row(e, orjson.dumps(e, default=_json_default).decode(), source="reconcile")
        for e in missing
    ]
    if rows:
        with gate.hold(), ctx.engine.begin() as conn:
            store_events(conn, rows)
        process_all(ctx, gate)
    recovered = [Recovered(id=r["id"], type=r["type"], object_id=r["object_id"]) for r in rows]
    for item in recovered:
        log.info("event_recovered", event_id=item["id"], type=item["type"],
                 object_id=item["object_id"])
    log.info("reconcile_done", listed=len(events), recovered=len(recovered))
    sweep_pending(ctx, gate, now=datetime.now(UTC))
    return recovered


def sweep_pending(
    ctx: AppContext, gate: WriteGate | None = None, *, now: datetime
) -> list[str]:
    """Pending orders older than CHECKOUT_SESSION_MINUTES at `now`: a Checkout order's session
    must have expired (its expired event was lost, or is older than the events window), so it
    is read from Stripe and run through the same code as its event would (expired → release
    the stock; complete and paid → fulfil); a pay-page order's PaymentIntent, which never
    expires by itself, is canceled (payments/stale.py). Returns the orders this pass moved."""
    gate = gate or WriteGate(ctx.engine)
    lifetime = session_lifetime(ctx.settings.checkout_session_minutes)
    cutoff = now - timedelta(seconds=lifetime)
    return _sweep_sessions(ctx, gate, cutoff, now) + _sweep_intents(ctx, gate, cutoff, now)


def _stale(
    ctx: AppContext, cutoff: datetime, paid_by: Column[str], *also: ColumnElement[bool]
) -> list[tuple[str, str]]:
    """(order id, `paid_by`) of pending orders created before `cutoff`, oldest first."""
    with reading(ctx.engine) as conn:
        rows = conn.execute(
            select(orders.c.id, paid_by)
            .where(orders.c.status == OrderStatus.PENDING.value, orders.c.created_at < cutoff,
                   paid_by.is_not(None), *also)
            .order_by(orders.c.created_at)
            .limit(SWEEP_LIMIT)
        ).all()
    return [(str(order_id), str(ref)) for order_id, ref in rows]


def _sweep_intents(
    ctx: AppContext, gate: WriteGate, cutoff: datetime, now: datetime
) -> list[str]:
    # A Checkout order's PaymentIntent is the session's to end: only session-less orders here.
    stale = _stale(ctx, cutoff, orders.c.payment_intent_id, orders.c.checkout_session_id.is_(None))
    return [
        order_id for order_id, pi_id in stale
        if settle_stale_intent(ctx, gate, order_id, pi_id, now)
    ]


def _sweep_sessions(
    ctx: AppContext, gate: WriteGate, cutoff: datetime, now: datetime
) -> list[str]:
    moved = []
    for order_id, session_id in _stale(ctx, cutoff, orders.c.checkout_session_id):
        try:
            found = ctx.stripe.v1.checkout.sessions.retrieve(session_id).to_dict()
        except stripe_sdk.InvalidRequestError as exc:
            if exc.code != "resource_missing":
                raise
            # Stripe no longer has it (another account, a wiped sandbox): nobody can pay it,
            # so its stock comes back, and the pass goes on to the next order.
            with gate.hold(), ctx.engine.begin() as conn:
                done = release_abandoned(conn, order_id, session_id)
            if done:
                moved.append(order_id)
                log.warning("pending_order_released", order_id=order_id,
                            checkout_session=session_id, reason="session missing at Stripe")
            continue
        session = CheckoutSession.parse(found)
        if session is None:
            continue
        with gate.hold(), ctx.engine.begin() as conn:
            if session.status == "expired":
                done = expire_session(conn, session)
            elif session.status == "complete":
                done = bool(fulfil_session(conn, ctx, session, now, via="reconcile").fulfilled)
            else:
                done = False
        if done:
            moved.append(order_id)
            log.info("pending_order_swept", order_id=order_id, checkout_session=session_id,
                     session_status=session.status)
    return moved


class ReconcileSchedule:
    """Runs `reconcile` once at start-up (whatever happened while the shop was down), then every
    settings.reconcile_interval_seconds, inside the server; each pass also ends the grace
    periods that time has ended (`billing.grace.sweep_grace`)."""

    def __init__(self, ctx: AppContext, gate: WriteGate) -> None:
        self._ctx = ctx
        self._gate = gate
        self._interval = ctx.settings.reconcile_interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.create_task(self._run(), name="reconcile-schedule")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        # Look back over several intervals so one failed pass loses nothing.
        window = timedelta(seconds=max(3600, 3 * self._interval))
        while True:
            try:
                await asyncio.to_thread(reconcile, self._ctx, window, self._gate)
            except Exception as exc:  # Stripe unreachable: try again next interval
                log.warning("reconcile_failed", error=repr(exc))
            try:  # needs no Stripe: runs whether or not reconcile could
                await asyncio.to_thread(sweep_grace, self._ctx, datetime.now(UTC), self._gate)
            except Exception as exc:
                log.warning("grace_sweep_failed", error=repr(exc))
            await asyncio.sleep(self._interval)
