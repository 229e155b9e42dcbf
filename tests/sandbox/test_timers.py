"""The sandbox's one timer queue: replacement, cancel, test-clock draining in due order, the
server's loop firing wall-clock timers, and a restart with `--db` resuming every timer."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import stripe
from webhook_receiver import wait_for

from paydesk.sandbox import timers
from paydesk.sandbox.account import Account
from paydesk.sandbox.clock import business_now
from paydesk.sandbox.server import SandboxHandle, start_in_thread
from paydesk.sandbox.store import Store

FIRED: list[tuple[str, str, int]] = []  # (account, object id, now) per fired test timer


@timers.on_timer("test.record")
def _record(account: Account, object_id: str, now: int) -> None:
    FIRED.append((account.id, object_id, now))


@timers.on_timer("test.chain")
def _chain(account: Account, object_id: str, now: int) -> None:
    """Fires, then schedules its follower 10 s later on the same clock (up to three links)."""
    FIRED.append((account.id, object_id, now))
    link = int(object_id.rsplit("-", 1)[1])
    if link < 3:
        timers.schedule(account, "test.chain", f"chain-{link + 1}", now + 10, clock="clock_a")


def _account() -> Account:
    return Store().account("acct_" + uuid.uuid4().hex[:16])


def _fired_for(account: Account) -> list[tuple[str, int]]:
    return [(obj, now) for acct, obj, now in FIRED if acct == account.id]


def test_a_test_clock_drains_in_due_order_each_at_its_due_time() -> None:
    account = _account()
    timers.schedule(account, "test.record", "b", 200, clock="clock_a")
    timers.schedule(account, "test.record", "a", 100, clock="clock_a")
    timers.schedule(account, "test.record", "late", 900, clock="clock_a")
    timers.schedule(account, "test.record", "other-clock", 50, clock="clock_b")
    timers.schedule(account, "test.record", "wall", 50)

    assert timers.drain_clock(account, "clock_a", 500) == 2
    assert _fired_for(account) == [("a", 100), ("b", 200)]
    # Only that clock, only up to `until`: the rest stay pending.
    assert timers.due_at(account, "test.record", "late") == 900
    assert timers.due_at(account, "test.record", "other-clock") == 50
    assert timers.due_at(account, "test.record", "wall") == 50


def test_timers_scheduled_while_draining_fire_in_the_same_drain() -> None:
    account = _account()
    timers.schedule(account, "test.chain", "chain-1", 1000, clock="clock_a")
    timers.schedule(account, "test.record", "between", 1015, clock="clock_a")

    assert timers.drain_clock(account, "clock_a", 1025) == 4
    assert _fired_for(account) == [
        ("chain-1", 1000),
        ("chain-2", 1010),
        ("between", 1015),
        ("chain-3", 1020),
    ]


def test_scheduling_again_replaces_and_cancel_removes() -> None:
    account = _account()
    timers.schedule(account, "test.record", "x", 100, clock="clock_a")
    timers.schedule(account, "test.record", "x", 300, clock="clock_a")  # replaces
    timers.schedule(account, "test.record", "y", 150, clock="clock_a")
    timers.cancel(account, "test.record", "y")
    timers.cancel(account, "test.record", "never-scheduled")  # nothing to cancel: no error

    assert timers.drain_clock(account, "clock_a", 250) == 0
    assert timers.drain_clock(account, "clock_a", 300) == 1
    assert _fired_for(account) == [("x", 300)]
    assert timers.due_at(account, "test.record", "x") is None


def test_wall_timers_fire_due_soonest_first_with_the_given_now() -> None:
    account = _account()
    timers.schedule(account, "test.record", "second", 20)
    timers.schedule(account, "test.record", "first", 10)
    timers.schedule(account, "test.record", "later", 99)
    timers.schedule(account, "test.record", "on-a-clock", 5, clock="clock_a")

    assert timers.fire_due(account.store, 50) == 2
    assert _fired_for(account) == [("first", 50), ("second", 50)]


def test_business_time_is_the_test_clocks_frozen_time_else_wall() -> None:
    account = _account()
    account.insert(
        {"id": "clock_x", "object": "test_helpers.test_clock", "frozen_time": 1_700_000_000}
    )
    assert business_now(account, "clock_x", 1_800_000_000) == 1_700_000_000
    assert business_now(account, None, 1_800_000_000) == 1_800_000_000


def test_an_event_is_created_at_the_time_it_is_given() -> None:
    account = _account()
    customer = account.insert({"id": "cus_1", "object": "customer"})
    event = account.emit("customer.created", customer, now=1_700_000_123)
    assert event["created"] == 1_700_000_123


def _on_loop(handle: SandboxHandle, action: Callable[[], Any]) -> Any:
    """Run `action` on the server's event loop (where requests run), then commit it."""

    async def run() -> Any:
        result = action()
        await handle.app.store.committed()
        return result

    assert handle.app.loop is not None
    return asyncio.run_coroutine_threadsafe(run(), handle.app.loop).result(timeout=10)


def test_the_servers_loop_fires_wall_timers_when_due() -> None:
    handle = start_in_thread()
    try:
        account = handle.app.store.account("acct_" + uuid.uuid4().hex[:16])
        soon = time.time() + 0.3
        _on_loop(handle, lambda: timers.schedule(account, "test.record", "soon", soon))
        wait_for(lambda: _fired_for(account), "the timer to fire")
        assert [obj for obj, _now in _fired_for(account)] == ["soon"]
        assert _fired_for(account)[0][1] >= int(soon)
    finally:
        handle.stop()


def test_a_restart_with_db_resumes_every_timer(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    account_id = "acct_" + uuid.uuid4().hex[:16]
    first = start_in_thread(db_path=db)
    try:
        account = first.app.store.account(account_id)
        soon = time.time() + 1.0

        def plan() -> None:
            timers.schedule(account, "test.record", "wall", soon)
            timers.schedule(account, "test.record", "clocked", 500, clock="clock_a")
            timers.schedule(account, "test.record", "gone", soon)
            timers.cancel(account, "test.record", "gone")

        _on_loop(first, plan)
    finally:
        first.stop()
    assert all(acct != account_id for acct, _obj, _now in FIRED)  # stopped before they fired

    second = start_in_thread(db_path=db)
    try:
        account = second.app.store.account(account_id)
        wait_for(lambda: _fired_for(account), "the wall timer after the restart")
        assert _on_loop(second, lambda: timers.drain_clock(account, "clock_a", 1000)) == 1
        assert [obj for obj, _now in _fired_for(account)] == ["wall", "clocked"]
    finally:
        second.stop()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        left = conn.execute("SELECT * FROM timers WHERE account = ?", (account_id,)).fetchall()
    assert left == []  # fired timers are gone from the database too


def _session(client: stripe.StripeClient, **extra: Any) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        params={
            **extra,
            "mode": "payment",
            "success_url": "https://example.com/ok",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 500,
                        "product_data": {"name": "Tea"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )


def _expired_ids(client: stripe.StripeClient) -> list[str]:
    events = client.v1.events.list(params={"type": "checkout.session.expired"}).data
    return sorted(e.data.object["id"] for e in events)


def test_checkout_expiry_survives_restarts_and_an_older_database_gets_its_timers(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "sandbox.db")
    key = "sk_test_" + uuid.uuid4().hex
    first = start_in_thread(db_path=db)
    try:
        client = stripe.StripeClient(key, base_addresses={"api": first.url})
        legacy = _session(client, expires_at=int(time.time()) + 3600)
    finally:
        first.stop()
    # As a sandbox from before the timer queue left it: the session open, no timer anywhere.
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP TABLE timers")

    second = start_in_thread(db_path=db)
    try:
        client = stripe.StripeClient(key, base_addresses={"api": second.url})
        kept = _session(client)  # expires in 24 hours, after `legacy`
        assert second.fire_timers(legacy.expires_at - 1) == 0
        second.fire_timers(legacy.expires_at)
        assert _expired_ids(client) == [legacy.id]
    finally:
        second.stop()

    third = start_in_thread(db_path=db)  # `kept`'s timer comes back from the database
    try:
        client = stripe.StripeClient(key, base_addresses={"api": third.url})
        assert client.v1.checkout.sessions.retrieve(kept.id).status == "open"
        third.fire_timers(kept.expires_at)
        assert _expired_ids(client) == sorted([kept.id, legacy.id])
    finally:
        third.stop()


def test_a_timers_table_keyed_by_object_is_kept_when_upgraded(tmp_path: Path) -> None:
    """The first timer queue keyed its rows by (account, kind, object_id); they carry over."""
    db = str(tmp_path / "sandbox.db")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "CREATE TABLE timers (account TEXT NOT NULL, kind TEXT NOT NULL, object_id TEXT NOT "
            "NULL, due_at NUMERIC NOT NULL, clock TEXT, PRIMARY KEY (account, kind, object_id))"
        )
        conn.execute("INSERT INTO timers VALUES ('acct_old', 'test.record', 'kept', 700, 'c')")
    store = Store(db)
    try:
        account = store.account("acct_old")
        assert timers.due_at(account, "test.record", "kept") == 700
        timers.schedule(account, "test.record", "kept", 800, clock="c")  # replaces the row
        store.flush()
        with contextlib.closing(sqlite3.connect(db)) as conn:
            rows = conn.execute("SELECT object_id, due_at FROM timers").fetchall()
        assert rows == [("kept", 800)]
        assert timers.drain_clock(account, "c", 900) == 1
    finally:
        store.close()


def test_firing_timers_ahead_with_a_webhook_pending_takes_its_delivery_once() -> None:
    """A delivery's lease counts from the moment fired for, not the wall clock: otherwise the
    lease is already due in that drain and the drain takes the delivery again, forever."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: every attempt is refused
    handle = start_in_thread(retry_delays="60")
    try:
        client = stripe.StripeClient("sk_test_" + uuid.uuid4().hex,
                                     base_addresses={"api": handle.url})
        client.v1.webhook_endpoints.create({
            "url": f"http://127.0.0.1:{closed.getsockname()[1]}/hook", "enabled_events": ["*"],
        })
        client.v1.customers.create({"email": "a@example.com"})  # one event, one delivery
        assert handle.fire_timers(time.time() + 3600) <= 2  # returns: the delivery, at most twice
    finally:
        handle.stop()
        closed.close()
