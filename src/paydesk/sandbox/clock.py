"""The sandbox's two clocks, in Unix seconds.

Wall time is the machine's: idempotency expiry, signatures, webhook delivery. Business time is
what an object's own world believes: the frozen time of the test clock it belongs to, else
wall time. Operations receive `now` from their caller; only this module (and the server's
timer loop, through it) reads the system clock, which ruff's banned-api rule enforces.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paydesk.sandbox.account import Account

TEST_CLOCK = "test_helpers.test_clock"


def wall_now() -> int:
    return int(time.time())


def wall_seconds() -> float:
    """Wall time with its fraction: webhook retry delays may be shorter than a second."""
    return time.time()


def business_now(account: Account, clock_id: str | None, wall: int) -> int:
    """The `frozen_time` of test clock `clock_id` when given (and still there), else `wall`."""
    if clock_id is None:
        return wall
    test_clock = account.find(clock_id)
    if test_clock is None or test_clock.get("object") != TEST_CLOCK or test_clock.get("deleted"):
        return wall
    return int(test_clock["frozen_time"])
