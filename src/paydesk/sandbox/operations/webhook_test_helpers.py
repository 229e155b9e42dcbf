"""Webhook test helpers: chaos settings, resend and replay (deliveries: sandbox/delivery.py)."""

from __future__ import annotations

from paydesk.sandbox.account import Account, Obj, event_matches
from paydesk.sandbox.chaos import Chaos, chaos_object
from paydesk.sandbox.delivery import resend
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.objects.webhook_chaos import webhook_chaos

MAX_REPLAY = 10_000  # events one replay may queue


def set_chaos(account: Account, endpoint_id: str | None, settings: Chaos) -> Obj:
    clear_chaos(account, endpoint_id)
    # A new object per setting: its id names the sequence the choices are drawn along, so
    # setting chaos again starts the same seed's sequence again.
    saved = webhook_chaos(account.new_id("whchaos"), endpoint_id, settings)
    account.insert(saved)
    return saved


def clear_chaos(account: Account, endpoint_id: str | None) -> None:
    current = chaos_object(account, endpoint_id)
    if current is not None:
        account.delete(current)


def resend_events(account: Account, events: list[Obj], endpoint: Obj) -> None:
    if endpoint.get("status") != "enabled":
        raise InvalidRequest(
            f"Webhook endpoint {endpoint['id']} is disabled: enable it to send events to it.",
            param="webhook_endpoint",
        )
    resend(account, events, endpoint)


def replay_since(account: Account, endpoint: Obj, since: int) -> list[Obj]:
    """Send again every event since `since` that the endpoint listens to, oldest first."""
    patterns: list[str] = endpoint.get("enabled_events") or []
    events = [
        e
        for e in account.newest("event")
        if e["created"] >= since and event_matches(patterns, e["type"])
    ]
    if len(events) > MAX_REPLAY:
        raise InvalidRequest(
            f"{len(events)} events since {since}: replay at most {MAX_REPLAY} at once "
            "(choose a later `since`).",
            param="since",
        )
    events.reverse()
    resend_events(account, events, endpoint)
    return events
