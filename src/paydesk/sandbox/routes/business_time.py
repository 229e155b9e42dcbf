"""The time a request acts at: the test clock's frozen time for a simulated customer."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.clock import business_now
from paydesk.sandbox.routing import Call


def business_time(call: Call, owner: Obj | None) -> int:
    """`now` for changes to `owner` (a customer, or anything with `test_clock`): its test
    clock's frozen time, else the call's wall time."""
    clock_id = owner.get("test_clock") if owner else None
    return business_now(call.account, clock_id, call.now)
