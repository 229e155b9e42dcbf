"""The only place Stripe event names appear: event type → domain handler.

A handler runs inside the processor's transaction (a savepoint per event) and returns the
outcome recorded on the inbox row: its status ("processed" or "ignored") and a note for the
admin (kept in last_error), or None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from paydesk.context import AppContext
from paydesk.fulfilment import service
from paydesk.payments import service as payments

Outcome = tuple[str, str | None]
Handler = Callable[[Connection, AppContext, dict[str, Any]], Outcome]


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


def _intent_succeeded(conn: Connection, ctx: AppContext, pi: dict[str, Any]) -> Outcome:
    try:
        result = payments.fulfil_intent(conn, ctx, pi, via="webhook")
    except service.UnknownOrder:
        return "ignored", None  # Checkout's own PaymentIntents: their session pays the order
    order_id = result.order_of.get(str(pi.get("id")))
    return "processed", result.held.get(order_id) if order_id else None


def _intent_failed(conn: Connection, ctx: AppContext, pi: dict[str, Any]) -> Outcome:
    try:
        return "processed", payments.payment_failed(conn, pi)
    except service.UnknownOrder:
        return "ignored", None


def _intent_canceled(conn: Connection, ctx: AppContext, pi: dict[str, Any]) -> Outcome:
    try:
        payments.intent_canceled(conn, pi)
    except service.UnknownOrder:
        return "ignored", None
    return "processed", None


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _completed,
    "checkout.session.async_payment_failed": _expired,
    "checkout.session.expired": _expired,
    "charge.refunded": _refunded,
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "payment_intent.canceled": _intent_canceled,
}


def dispatch(conn: Connection, ctx: AppContext, event: dict[str, Any]) -> Outcome:
    handler = HANDLERS.get(event.get("type", ""))
    if handler is None:
        return "ignored", None  # stored for the record and for replay; nothing to do
    obj = (event.get("data") or {}).get("object") or {}
    try:
        return handler(conn, ctx, obj)
    except service.UnknownOrder as exc:
        # Not ours (another integration on the same account): retrying never changes that.
        return "ignored", str(exc)
