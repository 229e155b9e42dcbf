"""Grace periods end by time alone (SQLite and PostgreSQL): the sweep, given `now`, sends the
"access ends soon" reminder near the end of the grace period and the suspension email when it
is over, each once, with no event arriving; the shop's background schedule runs it."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import stripe
from billing_support import JAN, invoice_obj, seed_customer, seed_plan, sub_obj
from sqlalchemy import select, update
from test_webhook_support import (
    count,
    dedupe_keys,
    event,
    make_ctx,
    post,
    serve_pipeline,
    signed,
    wait_until,
)

from paydesk.billing.grace import sweep_grace
from paydesk.billing.tables import subscriptions
from paydesk.context import AppContext
from paydesk.reconcile.service import ReconcileSchedule
from paydesk.store.gate import WriteGate
from paydesk.webhooks.tables import inbox_events
from tests.support import free_port, wait_for

EMAIL = "ada@example.com"


def _past_due(ctx: AppContext, t: int) -> datetime:
    """sub_1 active, then past_due after one failed payment at `t`; returns its grace_until."""
    seed_plan(ctx.engine)
    seed_customer(ctx.engine, EMAIL, "cus_ada")
    evts = [
        event("customer.subscription.created", sub_obj("sub_1", "cus_ada", "active", JAN),
              created=t - 60),
        event("customer.subscription.updated", sub_obj("sub_1", "cus_ada", "past_due", JAN),
              created=t),
        event("invoice.payment_failed", invoice_obj("in_0001", "cus_ada", "sub_1", "open", 1),
              created=t),
    ]
    with serve_pipeline(ctx) as base:
        for evt in evts:
            assert post(base, *signed(evt)).status_code == 200
        wait_until(lambda: _handled(ctx) == len(evts))
    with ctx.engine.connect() as conn:
        row = conn.execute(select(subscriptions).where(subscriptions.c.id == "sub_1")).one()
    assert row.status == "past_due" and row.access is True
    grace = row.grace_until.replace(tzinfo=UTC)
    assert grace == datetime.fromtimestamp(t, UTC) + timedelta(days=7)
    return grace


def _handled(ctx: AppContext) -> int:
    return count(ctx.engine, inbox_events, inbox_events.c.status.in_(("processed", "ignored")))


def test_the_reminder_then_the_suspension_by_time_alone_once_each(ctx: AppContext) -> None:
    t = int(time.time())
    grace = _past_due(ctx, t)
    soon = f"email:suspension-soon:sub_1:{int(grace.timestamp())}"
    suspended = f"email:suspended:sub_1:grace-{int(grace.timestamp())}"
    before = dedupe_keys(ctx.engine)
    assert soon not in before and not any(k.startswith("email:suspended:") for k in before)

    early = sweep_grace(ctx, grace - timedelta(days=5))
    assert (early.reminded, early.suspended) == ([], [])
    assert dedupe_keys(ctx.engine) == before

    near = sweep_grace(ctx, grace - timedelta(days=2))
    assert near.reminded == ["sub_1"] and near.suspended == []
    sweep_grace(ctx, grace - timedelta(days=1))
    assert dedupe_keys(ctx.engine).count(soon) == 1

    # Four sweeps at once, each with a gate of its own as separate processes would have.
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: sweep_grace(ctx, grace + timedelta(seconds=1),
                                                      WriteGate(ctx.engine)), range(4)))
    assert sum(len(r.suspended) for r in results) == 1
    assert dedupe_keys(ctx.engine).count(suspended) == 1
    with ctx.engine.connect() as conn:
        assert conn.execute(select(subscriptions.c.access)).scalar() is False
    assert sweep_grace(ctx, grace + timedelta(days=1)).suspended == []

    # The subscription's own event comes later: its access had ended already, no second email.
    with serve_pipeline(ctx) as base:
        late = event("customer.subscription.updated",
                     sub_obj("sub_1", "cus_ada", "unpaid", JAN), created=t + 9 * 86400)
        assert post(base, *signed(late)).status_code == 200
        wait_until(lambda: _handled(ctx) == 4)
    assert sum(k.startswith("email:suspended:") for k in dedupe_keys(ctx.engine)) == 1


def test_a_subscription_in_grace_keeps_its_access_until_grace_ends(ctx: AppContext) -> None:
    grace = _past_due(ctx, int(time.time()))
    assert sweep_grace(ctx, grace - timedelta(seconds=1)).suspended == []
    with ctx.engine.connect() as conn:
        assert conn.execute(select(subscriptions.c.access)).scalar() is True


def test_the_background_schedule_runs_the_sweep(database_url: str) -> None:
    # Reconcile finds no Stripe there (a closed loopback port): the sweep runs all the same.
    nowhere = stripe.StripeClient("sk_test_unused",
                                  base_addresses={"api": f"http://127.0.0.1:{free_port()}"})
    ctx = dataclasses.replace(make_ctx(database_url, reconcile_interval_seconds=1),
                              stripe=nowhere)
    try:
        grace = _past_due(ctx, int(time.time()))
        ended = datetime.now(UTC) - timedelta(minutes=1)
        with ctx.engine.begin() as conn:  # a grace period that ended a minute ago
            conn.execute(update(subscriptions).values(grace_until=ended))

        def suspended() -> list[str]:
            return [k for k in dedupe_keys(ctx.engine) if k.startswith("email:suspended:")]

        async def run() -> None:
            schedule = ReconcileSchedule(ctx, WriteGate(ctx.engine))
            await schedule.start()
            try:
                await asyncio.to_thread(wait_for, suspended, "the schedule to sweep", 30, 0.1)
            finally:
                await schedule.stop()

        asyncio.run(run())
        # The sweep judged the rewritten grace period (its email is once per that period), not
        # the one the events set, which is still a week away.
        assert suspended() == [f"email:suspended:sub_1:grace-{int(ended.timestamp())}"]
        assert int(ended.timestamp()) != int(grace.timestamp())
        with ctx.engine.connect() as conn:
            assert conn.execute(select(subscriptions.c.access)).scalar() is False
    finally:
        ctx.engine.dispose()
