"""Test clocks in Stripe's shape and their status machine."""

from __future__ import annotations

from paydesk.sandbox.account import Obj

DELETES_AFTER = 30 * 24 * 3600  # Stripe removes a test clock 30 days after it is made

TRANSITIONS: dict[str, frozenset[str]] = {
    "ready": frozenset({"advancing"}),
    "advancing": frozenset({"ready", "internal_failure"}),
    "internal_failure": frozenset(),
}


def test_clock(obj_id: str, created: int, frozen_time: int, name: str | None) -> Obj:
    return {
        "id": obj_id,
        "object": "test_helpers.test_clock",
        "created": created,
        "deletes_after": created + DELETES_AFTER,
        "frozen_time": frozen_time,
        "livemode": False,
        "name": name,
        "status": "ready",
        "status_details": {},
    }
