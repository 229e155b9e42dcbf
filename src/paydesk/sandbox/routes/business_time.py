"""The time a request acts at: the test clock's frozen time for a simulated customer."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import business_now, frozen, wall_now


@contextlib.contextmanager
def acting_for(account: Account, owner: Obj | None) -> Iterator[int]:
    """Yield `now` for changes to `owner` (a customer, or anything with `test_clock`), with
    every `now()` below reading it."""
    clock_id = owner.get("test_clock") if owner else None
    now = business_now(account, clock_id, wall_now())
    with frozen(now if clock_id else None):
        yield now
