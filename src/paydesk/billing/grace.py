"""Grace periods end by time alone: a periodic sweep finds `past_due` subscriptions whose grace
is nearly over (the "access ends soon" reminder) or over (access ends, the suspension email),
so neither waits for the next event about the subscription.

Each email goes through the outbox under the same dedupe key the event handlers use, so a
subscription hears each once however many sweeps, processes and events see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from paydesk.billing import emails, records
from paydesk.billing.links import account_url
from paydesk.billing.model import Status
from paydesk.billing.service import REMINDER_DAYS, move_time, world_time
from paydesk.billing.tables import subscriptions
from paydesk.context import AppContext
from paydesk.notify.outbox import queue_emails
from paydesk.store.engine import aware, reading
from paydesk.store.gate import WriteGate

SWEEP_LIMIT = 500


@dataclass
class GraceSwept:
    reminded: list[str] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)


def sweep_grace(ctx: AppContext, now: datetime, gate: WriteGate | None = None) -> GraceSwept:
    """Judge every past-due subscription that still has access by `now` (or by its test
    clock's time, when that is later)."""
    gate = gate or WriteGate(ctx.engine)
    t = subscriptions.c
    with reading(ctx.engine) as conn:
        ids = list(conn.execute(
            select(t.id).where(t.status == Status.PAST_DUE.value, t.access.is_(True),
                               t.grace_until.is_not(None))
            .order_by(t.grace_until).limit(SWEEP_LIMIT)
        ).scalars())
    swept = GraceSwept()
    for sub_id in ids:
        with gate.hold(), ctx.engine.begin() as conn:
            # Read again, locked: an event or another process may have moved it meanwhile.
            row = records.subscription_row(conn, sub_id)
            if row is None or not row["access"] or row["status"] != Status.PAST_DUE.value:
                continue
            grace = aware(row["grace_until"])
            world = world_time(row, now)
            if grace is None or world < grace - timedelta(days=REMINDER_DAYS):
                continue
            if move_time(conn, ctx, row, now, now):
                swept.suspended.append(sub_id)
                continue
            manage = account_url(ctx.client_url, ctx.signing_key, row["email"])
            queue_emails(conn, [emails.suspension_soon(row["email"], sub_id, grace, manage)])
            swept.reminded.append(sub_id)
    return swept
