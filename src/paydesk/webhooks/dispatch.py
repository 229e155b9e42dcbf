"""The only place Stripe event names appear: event type → domain handler.

A handler runs inside the processor's transaction (a savepoint per event) and returns the
outcome recorded on the inbox row: "processed" or "ignored".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from paydesk.context import AppContext
from paydesk.fulfilment import service

Handler = Callable[[Connection, AppContext, dict[str, Any]], str]


def _completed(conn: Connection, ctx: AppContext, session: dict[str, Any]) -> str:
    service.fulfil_session(conn, ctx, session, via="webhook")
    return "processed"


def _expired(conn: Connection, ctx: AppContext, session: dict[str, Any]) -> str:
    service.expire_session(conn, session)
    return "processed"


def _refunded(conn: Connection, ctx: AppContext, charge: dict[str, Any]) -> str:
    service.record_refund(conn, charge)
    return "processed"


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _completed,
    "checkout.session.async_payment_failed": _expired,
    "checkout.session.expired": _expired,
    "charge.refunded": _refunded,
}


def dispatch(conn: Connection, ctx: AppContext, event: dict[str, Any]) -> str:
    handler = HANDLERS.get(event.get("type", ""))
    if handler is None:
        return "ignored"  # stored for the record and for replay; nothing to do
    obj = (event.get("data") or {}).get("object") or {}
    try:
        return handler(conn, ctx, obj)
    except service.UnknownOrder:
        # A session that is not ours never becomes ours; a charge may (payment not seen yet).
        if event.get("type") == "charge.refunded":
            raise
        return "ignored"
