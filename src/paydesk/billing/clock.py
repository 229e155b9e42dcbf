"""Sandbox time control: move the test clocks of the shop's customers forward, so renewals,
failed payments, dunning and suspension can be watched in minutes. Stripe lets a clock move at
most two billing intervals at once, so long moves go in steps."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from paydesk.billing.errors import BillingError, NotFound
from paydesk.billing.tables import billing_customers
from paydesk.context import AppContext
from paydesk.store.engine import reading

DAY = 86400
# Under two intervals of the shortest common plan (a month): one step never skips a renewal's
# events, and Stripe accepts it.
STEP_DAYS = 27
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Advanced:
    clock_id: str
    email: str
    frozen_time: int


def advance_clocks(ctx: AppContext, days: int, email: str | None = None) -> list[Advanced]:
    """Advance the clock of `email`'s customer (or of every customer) by `days`."""
    if not 1 <= days <= MAX_DAYS:
        raise BillingError(f"--days must be 1..{MAX_DAYS}, not {days}")
    query = select(billing_customers.c.email, billing_customers.c.test_clock_id).where(
        billing_customers.c.test_clock_id.is_not(None)
    )
    if email is not None:
        query = query.where(billing_customers.c.email == email.lower())
    with reading(ctx.engine) as conn:
        rows = conn.execute(query).all()
    if email is not None and not rows:
        raise NotFound(f"{email} has no customer on a test clock (only customers made in "
                       "sandbox mode have one)")
    return [_advance(ctx, str(row.test_clock_id), str(row.email), days) for row in rows]


def _advance(ctx: AppContext, clock_id: str, email: str, days: int) -> Advanced:
    clocks = ctx.stripe.v1.test_helpers.test_clocks
    frozen = int(clocks.retrieve(clock_id).frozen_time)
    target = frozen + days * DAY
    while frozen < target:
        frozen = min(target, frozen + STEP_DAYS * DAY)
        clocks.advance(clock_id, {"frozen_time": frozen})
        _wait_ready(ctx, clock_id)
    return Advanced(clock_id, email, frozen)


def _wait_ready(ctx: AppContext, clock_id: str) -> None:
    # Stripe advances in the background (`advancing`, then `ready`); the sandbox is done by the
    # time it answers. Polling with a bound keeps both right.
    for _ in range(600):
        if ctx.stripe.v1.test_helpers.test_clocks.retrieve(clock_id).status == "ready":
            return
        time.sleep(0.1)
    raise BillingError(f"test clock {clock_id} is still advancing after a minute; try again")
