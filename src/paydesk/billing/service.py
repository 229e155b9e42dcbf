"""Billing event handlers: each runs inside the processor's transaction for one verified event,
moves the local subscription/invoice records forward (never back) and queues the emails that
follow, through the outbox, in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy import Connection, RowMapping, select, update
from sqlalchemy.exc import IntegrityError

from paydesk.billing import emails, records
from paydesk.billing.errors import NotOurs
from paydesk.billing.links import account_url
from paydesk.billing.model import (
    GRANTING,
    TERMINAL,
    Move,
    Status,
    decide,
    grace_until,
    has_access,
)
from paydesk.billing.parse import InvoiceInfo, SubscriptionInfo, parse_subscription, when
from paydesk.billing.tables import subscriptions
from paydesk.context import AppContext
from paydesk.notify.outbox import Email, queue_emails
from paydesk.store.engine import aware

log = structlog.get_logger(__name__)

# A failed attempt this close to the end of the grace period also sends the "access ends soon"
# reminder.
REMINDER_DAYS = 3
DUNNING = (Status.PAST_DUE, Status.UNPAID)


def reread_subscription(ctx: AppContext, sub_id: str) -> SubscriptionInfo:
    """Stripe's current state of the subscription: the tie-breaker for events of unknown order."""
    found = ctx.stripe.v1.subscriptions.retrieve(sub_id)
    return parse_subscription(found.to_dict())


class _InsertRaced(Exception):
    """Another process recorded this subscription between our read and our insert."""


def on_subscription(
    conn: Connection, ctx: AppContext, info: SubscriptionInfo, event_created: int
) -> str | None:
    """customer.subscription.created / .updated / .deleted (and re-reads): the entitlement."""
    try:
        return _apply_subscription(conn, ctx, info, event_created)
    except _InsertRaced:
        # Its row exists now (committed: the insert waited for it): judge the event against it.
        return _apply_subscription(conn, ctx, info, event_created)


def _apply_subscription(
    conn: Connection, ctx: AppContext, info: SubscriptionInfo, event_created: int
) -> str | None:
    row = records.subscription_row(conn, info.id)
    move = decide(records.held_of(row), info.snapshot, event_created)
    if move is Move.REREAD:
        info = reread_subscription(ctx, info.id)
        event_created = max(event_created, int(row["event_created"]) if row else 0)
        held = records.held_of(row)
        # Stripe's answer is current: take it unless the record already says the same.
        if held is not None and (held.snapshot.same_as(info.snapshot)
                                 or held.snapshot.status in TERMINAL):
            return None
    elif move is Move.SKIP:
        return None
    plan_id = (row["plan_id"] if row else None) or info.plan_hint or records.plan_for_price(
        conn, info.price_id
    )
    email = (row["email"] if row else None) or _email_for(conn, ctx, info.customer_id)
    if plan_id is None or email is None:
        raise NotOurs(f"subscription {info.id} is for no plan of this shop")
    _write(conn, ctx, row, info, plan_id, email, event_created)
    return None


def _write(
    conn: Connection, ctx: AppContext, row: RowMapping | None, info: SubscriptionInfo,
    plan_id: str, email: str, event_created: int,
) -> None:
    wall = datetime.now(UTC)
    seen = when(event_created) or wall
    clock = world_time(row, seen)
    grace = grace_until(info.status, aware(row["grace_until"]) if row else None, clock,
                        ctx.settings.paydesk_grace_days)
    access = has_access(info.status, grace, max(wall, clock))
    values: dict[str, object] = {
        "customer_id": info.customer_id, "email": email, "plan_id": plan_id,
        "status": info.status.value, "quantity": info.quantity, "unit_amount": info.unit_amount,
        "currency": info.currency, "interval": info.interval,
        "interval_count": info.interval_count,
        "current_period_end": info.snapshot.current_period_end, "trial_end": info.trial_end,
        "cancel_at_period_end": info.snapshot.cancel_at_period_end, "grace_until": grace,
        "clock_time": clock, "test_clock_id": info.test_clock_id,
        "latest_invoice_id": info.latest_invoice_id, "event_created": event_created,
        "access": access, "started_at": info.started_at, "ended_at": info.ended_at,
        "updated_at": wall,
    }
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(subscriptions.insert().values(id=info.id, created_at=wall, **values))
        except IntegrityError as exc:
            raise _InsertRaced(info.id) from exc
    else:
        conn.execute(update(subscriptions).where(subscriptions.c.id == info.id).values(**values))
    if row is not None and row["access"] and not access and _for_non_payment(row, info.status):
        episode = _episode(aware(row["grace_until"]), info.status.value)
        queue_emails(conn, [emails.suspended(email, info.id, episode, _manage_url(ctx, email))])
    log.info("billing.subscription", subscription=info.id, status=info.status.value,
             access=access)


def _for_non_payment(row: RowMapping, status: Status) -> bool:
    """Access lost because payment failed (not a cancellation the customer asked for)."""
    return Status(row["status"]) in DUNNING or status in (*DUNNING, Status.PAUSED)


def _episode(grace: datetime | None, fallback: str) -> str:
    """What a suspension email is once per: the grace period it ended (whether time or an event
    ended it), else the status that took access away."""
    return f"grace-{int(grace.timestamp())}" if grace is not None else fallback


def _email_for(conn: Connection, ctx: AppContext, customer_id: str) -> str | None:
    email = records.email_of_customer(conn, customer_id)
    if email is not None:
        return email
    # A customer this shop did not make (a subscription started elsewhere): ask Stripe once.
    customer = ctx.stripe.v1.customers.retrieve(customer_id)
    found = getattr(customer, "email", None)
    if not isinstance(found, str) or not found:
        return None
    records.remember_customer(conn, found, customer_id)
    return found.lower()


def _manage_url(ctx: AppContext, email: str) -> str:
    return account_url(ctx.client_url, ctx.signing_key, email)


def on_trial_will_end(
    conn: Connection, ctx: AppContext, info: SubscriptionInfo, event_created: int
) -> str | None:
    note = on_subscription(conn, ctx, info, event_created)
    row = records.subscription_row(conn, info.id)
    if row is not None:
        queue_emails(conn, [emails.trial_ending(row["email"], info.id, info.trial_end,
                                                _manage_url(ctx, row["email"]))])
    return note


def on_invoice(
    conn: Connection, ctx: AppContext, kind: str, info: InvoiceInfo, event_created: int
) -> str | None:
    """invoice.finalized / .paid / .payment_failed / .payment_action_required."""
    sub = records.subscription_row(conn, info.subscription_id) if info.subscription_id else None
    email = (sub["email"] if sub else None) or records.email_of_customer(conn, info.customer_id)
    email = email or (info.customer_email.lower() if info.customer_email else None)
    before = records.save_invoice(conn, info, email, event_created, datetime.now(UTC))
    if email is None:
        return "no customer of this shop"
    was_past_due = _was_past_due(sub, info.id)
    if sub is not None and _follow_subscription(conn, ctx, kind, sub, event_created):
        sub = records.subscription_row(conn, sub["id"])
    if sub is not None and sub["grace_until"] is not None:
        # Only a grace period ends by time alone: the event says how far its world has come.
        wall = datetime.now(UTC)
        move_time(conn, ctx, sub, when(event_created) or wall, wall)
        sub = records.subscription_row(conn, sub["id"])
    mails = _invoice_emails(ctx, kind, info, email, sub, before, was_past_due)
    if kind == "paid" and any(m.dedupe_key.startswith("email:recovered:") for m in mails):
        records.mark_recovered(conn, info.id)
    queue_emails(conn, mails)
    return None


def _follow_subscription(
    conn: Connection, ctx: AppContext, kind: str, sub: RowMapping, event_created: int
) -> bool:
    """An invoice event hints that the subscription moved (paid: back to active; failed: to
    past_due); the subscription's own event may be late, so read it when the hint disagrees."""
    status = Status(sub["status"])
    # A first invoice paid (incomplete → active) is the subscription's own event's to tell.
    recovering = status in (*DUNNING, Status.PAUSED)
    if (kind == "paid" and recovering) or (kind == "payment_failed" and status in GRANTING):
        on_subscription(conn, ctx, reread_subscription(ctx, sub["id"]), event_created)
        return True
    return False


def _invoice_emails(
    ctx: AppContext, kind: str, info: InvoiceInfo, email: str, sub: RowMapping | None,
    before: RowMapping | None, was_past_due: bool,
) -> list[Email]:
    manage = _manage_url(ctx, email)
    grace = aware(sub["grace_until"]) if sub is not None else None
    if kind == "payment_failed":
        attempt = max(info.attempt_count, 1)
        mails = [emails.payment_failed(email, info.id, attempt, info.amount_due, info.currency,
                                       info.hosted_invoice_url, manage, grace)]
        if grace is not None and sub is not None:
            failed_at = aware(sub["clock_time"]) or info.created
            # From the second failed attempt on (Stripe's retries are days apart, the grace a
            # week), or whenever little of the grace is left.
            if (grace - failed_at).days < REMINDER_DAYS or attempt >= 2:
                mails.append(emails.suspension_soon(email, sub["id"], grace, manage))
        return mails
    if kind == "payment_action_required":
        return [emails.action_required(email, info.id, max(info.attempt_count, 1),
                                       info.hosted_invoice_url)]
    failed_before = info.attempt_count > 1 or (
        before is not None and int(before["attempt_count"]) > 1
    )
    if kind == "paid" and (failed_before or was_past_due):
        return [emails.recovered(email, info.id, info.amount_paid, info.currency)]
    return []


def _was_past_due(sub: RowMapping | None, invoice_id: str) -> bool:
    """The subscription was in dunning over this invoice (its latest, as far as the record
    knows). Events come in any order: a later renewal's `invoice.paid` handled while the record
    still says past_due recovered nothing, and must not send a second "access is back"."""
    return (sub is not None and sub["status"] in DUNNING
            and sub["latest_invoice_id"] in (None, invoice_id))


def on_clock_ready(conn: Connection, ctx: AppContext, clock_id: str, frozen: datetime) -> None:
    """A test clock finished advancing: its subscriptions' world is now at `frozen`, so grace
    periods that ended on the way are seen (and their suspension email sent)."""
    rows = conn.execute(
        select(subscriptions).where(subscriptions.c.test_clock_id == clock_id)
    ).mappings().all()
    wall = datetime.now(UTC)
    for row in rows:
        move_time(conn, ctx, row, frozen, wall)


def world_time(row: RowMapping | None, moment: datetime) -> datetime:
    """The subscription's time: its test clock's, when that is later than `moment`."""
    return max(filter(None, [aware(row["clock_time"]) if row else None, moment]))


def move_time(
    conn: Connection, ctx: AppContext, row: RowMapping, moment: datetime, now: datetime
) -> bool:
    """The subscription's world has reached `moment` (ours is at `now`): re-judge its access by
    the later of the two; True when that ended its access (the suspension email is queued)."""
    clock = world_time(row, moment)
    grace = aware(row["grace_until"])
    access = has_access(Status(row["status"]), grace, max(clock, now))
    # Only from the access read: when another process got there first, it sent the email.
    changed = conn.execute(update(subscriptions).where(
        subscriptions.c.id == row["id"], subscriptions.c.access.is_(bool(row["access"]))
    ).values(clock_time=clock, access=access)).rowcount
    if not (changed and row["access"] and not access):
        return False
    queue_emails(conn, [emails.suspended(row["email"], row["id"], _episode(grace, "grace-ended"),
                                         _manage_url(ctx, row["email"]))])
    return True
