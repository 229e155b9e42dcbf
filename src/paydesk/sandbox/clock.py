"""The sandbox's idea of now, in Unix seconds (one place, so time can be simulated).

`wall_now` is the system clock. `business_now` is the time an object lives in: the frozen time
of its test clock, or the wall clock. While a test clock's timers run, `frozen` makes every
`now()` below it (PaymentIntents, charges, events made on the way) read that clock's time, so
objects and events of simulated customers carry simulated timestamps.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paydesk.sandbox.account import Account

_frozen: ContextVar[int | None] = ContextVar("paydesk_sandbox_frozen_now", default=None)


def wall_now() -> int:
    return int(time.time())


def now() -> int:
    """Business time when a simulated clock is being worked on, else the wall clock."""
    frozen = _frozen.get()
    return frozen if frozen is not None else wall_now()


def business_now(account: Account, clock_id: str | None, wall: int) -> int:
    """The frozen time of test clock `clock_id` when given, else `wall`."""
    if not clock_id:
        return wall
    clock = account.find(clock_id)
    if clock is None or clock.get("deleted"):
        return wall
    return int(clock["frozen_time"])


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
