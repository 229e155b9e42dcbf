"""Verified Stripe events → billing handlers: the event is parsed here into typed records (no
code past this point reads the payload), then one service call does the work.

Each returns the processor's outcome: ("processed" | "ignored", note)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from paydesk.billing import service
from paydesk.billing.parse import NotASubscription, parse_invoice, parse_subscription, when
from paydesk.context import AppContext

Outcome = tuple[str, str | None]


def _parts(event: dict[str, Any]) -> tuple[dict[str, Any], int]:
    obj = (event.get("data") or {}).get("object")
    created = event.get("created")
    if not isinstance(obj, dict) or not isinstance(created, int) or isinstance(created, bool):
        raise NotASubscription("event without data.object or created")
    return obj, created


def subscription_changed(conn: Connection, ctx: AppContext, event: dict[str, Any]) -> Outcome:
    obj, created = _parts(event)
    try:
        note = service.on_subscription(conn, ctx, parse_subscription(obj), created)
    except service.NotOurs as exc:
        return "ignored", str(exc)
    return "processed", note


def trial_will_end(conn: Connection, ctx: AppContext, event: dict[str, Any]) -> Outcome:
    obj, created = _parts(event)
    try:
        note = service.on_trial_will_end(conn, ctx, parse_subscription(obj), created)
    except service.NotOurs as exc:
        return "ignored", str(exc)
    return "processed", note


def invoice_event(kind: str) -> Any:
    def handle(conn: Connection, ctx: AppContext, event: dict[str, Any]) -> Outcome:
        obj, created = _parts(event)
        try:
            note = service.on_invoice(conn, ctx, kind, parse_invoice(obj), created)
        except service.NotOurs as exc:
            return "ignored", str(exc)
        return ("ignored", note) if note else ("processed", None)

    return handle


def clock_ready(conn: Connection, ctx: AppContext, event: dict[str, Any]) -> Outcome:
    obj, _ = _parts(event)
    frozen = when(obj.get("frozen_time"))
    clock_id = obj.get("id")
    if frozen is None or not isinstance(clock_id, str):
        return "ignored", "test clock without id or frozen_time"
    service.on_clock_ready(conn, ctx, clock_id, frozen)
    return "processed", None
