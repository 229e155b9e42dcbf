"""A webhook chaos setting (a test helper, outside Stripe's API) and how a delivery attempt is
shown on the timeline."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.chaos import CHAOS_OBJECT, Chaos


def webhook_chaos(obj_id: str, endpoint_id: str | None, settings: Chaos) -> Obj:
    return {
        "id": obj_id,
        "object": CHAOS_OBJECT,
        "webhook_endpoint": endpoint_id,
        **settings.as_fields(),
    }


def public(saved: Obj | None, endpoint_id: str | None) -> Obj:
    """What `GET /v1/test_helpers/webhook_chaos` answers: the numbers, and whether it is on."""
    return {
        "object": "webhook_chaos",
        "active": saved is not None,
        **Chaos.from_saved(saved or {}).as_fields(),
        "webhook_endpoint": endpoint_id,
    }


def delivery_view(attempt: Obj) -> Obj:
    """A recorded delivery attempt as the timeline lists it."""
    return {**attempt, "object": "webhook_delivery", "chaos": attempt.get("chaos") or []}
