"""A webhook endpoint as Stripe shapes it (its `secret` is only ever shown on create)."""

from __future__ import annotations

from paydesk.sandbox.account import Obj

STATUSES = ("enabled", "disabled")


def webhook_endpoint(obj_id: str, created: int, url: str, secret: str) -> Obj:
    return {
        "id": obj_id,
        "object": "webhook_endpoint",
        "api_version": None,
        "application": None,
        "created": created,
        "description": None,
        "enabled_events": [],
        "livemode": False,
        "metadata": {},
        "secret": secret,
        "status": "enabled",
        "url": url,
    }


def public(endpoint: Obj) -> Obj:
    """The endpoint as every answer but the create shows it: without its signing secret."""
    return {k: v for k, v in endpoint.items() if k != "secret"}
