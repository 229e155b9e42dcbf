"""The only place Stripe event names appear: event type → domain handler.

A handler runs inside the processor's transaction (a savepoint per event) and returns the
outcome recorded on the inbox row: its status ("processed" or "ignored") and a note for the
admin (kept in last_error), or None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from paydesk.billing import handlers as billing
from paydesk.billing.parse import NotASubscription
from paydesk.context import AppContext
from paydesk.fulfilment import service

Outcome = tuple[str, str | None]
Handler = Callable[[Connection, AppContext, dict[str, Any]], Outcome]
# Billing handlers take the whole event: its `created` orders what they record.
EventHandler = Callable[[Connection, AppContext, dict[str, Any]], Outcome]


def _completed(conn: Connection, ctx: AppContext, session: dict[str, Any]) -> Outcome:
    result = service.fulfil_session(conn, ctx, session, via="webhook")
    order_id = result.order_of.get(str(session.get("id")))
    return "processed", result.held.get(order_id) if order_id else None


def _expired(conn: Connection, ctx: AppContext, session: dict[str, Any]) -> Outcome:
    service.expire_session(conn, session)
    return "processed", None


def _refunded(conn: Connection, ctx: AppContext, charge: dict[str, Any]) -> Outcome:
    service.record_refund(conn, charge)
    return "processed", None


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _completed,
    "checkout.session.async_payment_failed": _expired,
    "checkout.session.expired": _expired,
    "charge.refunded": _refunded,
}


BILLING_HANDLERS: dict[str, EventHandler] = {
    "customer.subscription.created": billing.subscription_changed,
    "customer.subscription.updated": billing.subscription_changed,
    "customer.subscription.deleted": billing.subscription_changed,
    "customer.subscription.paused": billing.subscription_changed,
    "customer.subscription.resumed": billing.subscription_changed,
    "customer.subscription.trial_will_end": billing.trial_will_end,
    "invoice.finalized": billing.invoice_event("finalized"),
    "invoice.paid": billing.invoice_event("paid"),
    "invoice.payment_failed": billing.invoice_event("payment_failed"),
    "invoice.payment_action_required": billing.invoice_event("payment_action_required"),
    "invoice.voided": billing.invoice_event("voided"),
    "invoice.marked_uncollectible": billing.invoice_event("marked_uncollectible"),
    "test_helpers.test_clock.ready": billing.clock_ready,
}


def dispatch(conn: Connection, ctx: AppContext, event: dict[str, Any]) -> Outcome:
    billing_handler = BILLING_HANDLERS.get(event.get("type", ""))
    if billing_handler is not None:
        try:
            return billing_handler(conn, ctx, event)
        except NotASubscription as exc:
            return "ignored", str(exc)
    handler = HANDLERS.get(event.get("type", ""))
    if handler is None:
        return "ignored", None  # stored for the record and for replay; nothing to do
    obj = (event.get("data") or {}).get("object") or {}
    try:
        return handler(conn, ctx, obj)
    except service.UnknownOrder as exc:
        # Not ours (another integration on the same account): retrying never changes that.
        return "ignored", str(exc)
