"""Test clocks: frozen business time for the customers created on them; advancing runs every
timer of the clock in due order, with events stamped at each timer's due time."""

from __future__ import annotations

from paydesk.sandbox import timers
from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.objects import check_transition
from paydesk.sandbox.objects import test_clock as shapes
from paydesk.sandbox.operations import renewals
from paydesk.sandbox.operations.periods import add_interval
from paydesk.sandbox.operations.subscriptions import interval_of, on_clock


def create(account: Account, wall: int, frozen_time: int, name: str | None) -> Obj:
    clock = shapes.test_clock(account.new_id("clock"), wall, frozen_time, name)
    account.insert(clock)
    account.emit("test_helpers.test_clock.created", clock, now=frozen_time)
    return clock


def check_step(account: Account, clock: Obj, target: int) -> None:
    """Stripe refuses to move a clock more than two intervals of its shortest subscription
    at once, and never backwards."""
    if target <= clock["frozen_time"]:
        raise InvalidRequest(
            "The test clock can only be advanced to a time later than its current frozen_time "
            f"({clock['frozen_time']}).",
            param="frozen_time",
        )
    limits = [
        add_interval(clock["frozen_time"], interval, 2 * count)
        for interval, count in (interval_of(s) for s in on_clock(account, clock["id"]))
    ]
    if limits and target > min(limits):
        raise InvalidRequest(
            "Cannot advance the test clock more than two intervals past the shortest "
            f"subscription interval: advance to {min(limits)} or earlier, in several steps.",
            param="frozen_time",
        )


def advance(account: Account, clock: Obj, target: int) -> Obj:
    """Run the clock to `target`; answers the clock as it was while advancing (Stripe's
    answer says `advancing`; by the time anyone asks again it is `ready`)."""
    check_transition(shapes.TRANSITIONS, "test clock", clock["status"], "advancing")
    account.update(clock, {"status": "advancing"})
    account.emit("test_helpers.test_clock.advancing", clock, now=clock["frozen_time"])
    answer = dict(clock)
    timers.drain_clock(account, clock["id"], target)
    account.update(clock, {"status": "ready", "frozen_time": target})
    account.emit("test_helpers.test_clock.ready", clock, now=target)
    return answer


def delete(account: Account, clock: Obj) -> Obj:
    """Deleting a clock deletes its customers and ends their subscriptions."""
    now = int(clock["frozen_time"])
    for sub in on_clock(account, clock["id"]):
        renewals.cancel(account, now, sub)
    for customer in list(account.newest("customer", lambda c: c.get("test_clock") == clock["id"])):
        account.emit("customer.deleted", customer, now=now)
        account.delete(customer)
    account.emit("test_helpers.test_clock.deleted", clock, now=now)
    return account.delete(clock)
