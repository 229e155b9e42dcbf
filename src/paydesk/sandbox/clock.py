"""The sandbox's two clocks, in Unix seconds.

Wall time is the machine's: idempotency expiry, signatures, webhook delivery. Business time is
what an object's own world believes: the frozen time of the test clock it belongs to, else
wall time. Operations receive `now` from their caller; only this module (and the server's
timer loop, through it) reads the system clock, which ruff's banned-api rule enforces.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
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


# Business time for code that does not take `now` yet (PaymentIntents, charges, customers):
# while billing works on a test clock's customer it sets this, so the PaymentIntents, charges
# and events made on the way carry the clock's time. Goes away once they are handed `now`.
_frozen: ContextVar[int | None] = ContextVar("paydesk_sandbox_frozen_now", default=None)


def now() -> int:
    """The name every module imported before operations were handed `now`: business time
    inside `frozen(...)`, else wall time."""
    at = _frozen.get()
    return at if at is not None else wall_now()


@contextlib.contextmanager
def frozen(at: int | None) -> Iterator[None]:
    """Run the block with `now()` reading `at` (None: leave time as it is)."""
    if at is None:
        yield
        return
    token = _frozen.set(at)
    try:
        yield
    finally:
        _frozen.reset(token)


def acting_now(account: Account, clock_id: str | None) -> int:
    """Business time for an object on `clock_id`: the moment being simulated when inside
    `frozen(...)` (a timer firing while its clock advances), else the clock's frozen time."""
    at = _frozen.get()
    return at if at is not None else business_now(account, clock_id, wall_now())
