"""fulfil_checkout and the handlers: exactly once (threads, processes), any order of events,
access links that open only while the order stands paid."""

from __future__ import annotations

import multiprocessing
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import permutations
from typing import Any

import httpx
import orjson
import pytest
import structlog
from sqlalchemy import select
from test_webhook_support import (
    charge_obj,
    checkout_session,
    emails_queued,
    event,
    make_ctx,
    order_row,
    seed_order,
    serve_pipeline,
    session_obj,
    stock_of,
)

from paydesk.context import AppContext
from paydesk.fulfilment.access import access_links, make_token, read_token
from paydesk.fulfilment.service import fulfil_checkout
from paydesk.fulfilment.tables import access_grants
from paydesk.webhooks.inbox import inbox_row, store_events
from paydesk.webhooks.processor import process_all


def _run(ctx: AppContext, *events: dict[str, Any]) -> None:
    """Store events in the given order and process them as the processor would."""
    for evt in events:
        with ctx.engine.begin() as conn:
            store_events(conn, [inbox_row(evt, orjson.dumps(evt).decode())])
        process_all(ctx)
    # Retries (a refund seen before its payment) come due later.
    process_all(ctx, now=datetime.now(UTC) + timedelta(minutes=5))


def test_success_page_and_webhook_fulfil_once(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine, quantity=2)
    assert fulfil_checkout(ctx, checkout_session(order_id)) is True
    assert fulfil_checkout(ctx, checkout_session(order_id)) is False
    _run(ctx, event("checkout.session.completed", session_obj(order_id)))
    assert order_row(ctx.engine, order_id).status == "fulfilled"
    assert stock_of(ctx.engine) == 8 and emails_queued(ctx.engine) == 1


def test_unpaid_session_does_not_fulfil(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine)
    assert fulfil_checkout(ctx, checkout_session(order_id, payment_status="unpaid")) is False
    assert order_row(ctx.engine, order_id).status == "pending"
    _run(ctx, event("checkout.session.async_payment_succeeded", session_obj(order_id)))
    assert order_row(ctx.engine, order_id).status == "fulfilled"


def test_concurrent_calls_fulfil_once(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine, quantity=1)
    with ThreadPoolExecutor(8) as pool:
        session = checkout_session(order_id)
        results = list(pool.map(lambda _: fulfil_checkout(ctx, session), range(16)))
    assert results.count(True) == 1
    assert stock_of(ctx.engine) == 9 and emails_queued(ctx.engine) == 1


def _fulfil_in_process(args: tuple[str, str, Any]) -> bool:
    database_url, order_id, barrier = args
    context = make_ctx(database_url)
    barrier.wait()
    try:
        # (A spawned process did not seed the order: its amount comes from the database.)
        amount = order_row(context.engine, order_id).amount_total
        return fulfil_checkout(context, checkout_session(order_id, amount_total=amount))
    finally:
        context.engine.dispose()


def _deliver_and_process_in_process(args: tuple[str, list[str], Any]) -> int:
    """One app process: its own copy of each completed event arrives, then its processor runs."""
    database_url, order_ids, barrier = args
    context = make_ctx(database_url)
    try:
        evts = [
            event("checkout.session.completed",
                  session_obj(o, amount_total=order_row(context.engine, o).amount_total))
            for o in order_ids
        ]
        barrier.wait()
        with context.engine.begin() as conn:
            store_events(conn, [inbox_row(e, orjson.dumps(e).decode()) for e in evts])
        return process_all(context)
    finally:
        context.engine.dispose()


@pytest.fixture(scope="module")
def pool() -> Any:
    mp = multiprocessing.get_context("spawn")
    with mp.Manager() as manager, mp.Pool(4) as workers:
        yield manager, workers


# Several app processes share one database on PostgreSQL only (SQLite serves one process).
postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@postgresql_only
def test_four_processes_fulfil_once(ctx: AppContext, database_url: str, pool: Any) -> None:
    manager, workers = pool
    order_ids = [seed_order(ctx.engine, quantity=1) for _ in range(3)]
    for order_id in order_ids:
        barrier = manager.Barrier(4)
        results = workers.map(_fulfil_in_process, [(database_url, order_id, barrier)] * 4, 1)
        assert results.count(True) == 1, results
    assert stock_of(ctx.engine) == 7 and emails_queued(ctx.engine) == 3


@postgresql_only
def test_four_processors_share_duplicate_deliveries(
    ctx: AppContext, database_url: str, pool: Any
) -> None:
    manager, workers = pool
    order_ids = [seed_order(ctx.engine, quantity=1) for _ in range(40)]
    barrier = manager.Barrier(4)
    args = [(database_url, order_ids, barrier)] * 4
    taken = workers.map(_deliver_and_process_in_process, args, 1)
    assert sum(taken) == 160  # every copy processed once, by one of the processes
    assert {order_row(ctx.engine, o).status for o in order_ids} == {"fulfilled"}
    assert {order_row(ctx.engine, o).stock_state for o in order_ids} == {"committed"}
    assert stock_of(ctx.engine) == 10 - 40  # taken once at checkout, never again
    assert emails_queued(ctx.engine) == 40


def _outcome(ctx: AppContext, order_id: str) -> tuple[str, int, str]:
    order = order_row(ctx.engine, order_id)
    return order.status, order.amount_refunded, order.stock_state


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_completed_expired_refunded_in_any_order(ctx: AppContext, order: tuple[int, ...]) -> None:
    order_id = seed_order(ctx.engine, quantity=2)
    events = [
        event("checkout.session.completed", session_obj(order_id)),
        event("checkout.session.expired", {**session_obj(order_id), "payment_status": "unpaid"}),
        event("charge.refunded", charge_obj(order_id, 3000)),
    ]
    _run(ctx, *[events[i] for i in order])
    assert _outcome(ctx, order_id) == ("refunded", 3000, "committed")
    assert stock_of(ctx.engine) == 8  # the units were sold once (refunds don't restock)
    assert emails_queued(ctx.engine) == 1


def test_partial_refund_before_payment_ends_partially_refunded(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine, quantity=2)
    _run(ctx, event("charge.refunded", charge_obj(order_id, 1000, with_metadata=True)),
         event("checkout.session.completed", session_obj(order_id)))
    assert _outcome(ctx, order_id)[:2] == ("partially_refunded", 1000)


def test_refund_totals_never_shrink(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine, quantity=2)
    _run(ctx, event("checkout.session.completed", session_obj(order_id)),
         event("charge.refunded", charge_obj(order_id, 3000)),
         event("charge.refunded", charge_obj(order_id, 1000)))  # older event, delivered late
    assert _outcome(ctx, order_id)[:2] == ("refunded", 3000)


def test_expired_never_moves_a_paid_order_back(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine, quantity=2)
    _run(ctx, event("checkout.session.completed", session_obj(order_id)),
         event("checkout.session.expired", session_obj(order_id, "unpaid")))
    assert _outcome(ctx, order_id) == ("fulfilled", 0, "committed")
    assert stock_of(ctx.engine) == 8


def test_expired_releases_stock_of_pending_order(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine, quantity=2)
    _run(ctx, event("checkout.session.async_payment_failed", session_obj(order_id, "unpaid")))
    assert _outcome(ctx, order_id) == ("expired", 0, "released")
    assert stock_of(ctx.engine) == 10


def test_access_link_opens_only_while_paid(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine)
    pending_token = make_token(ctx.signing_key, order_id, "ebook")
    from paydesk.app import create_app

    with serve_pipeline(ctx, create_app) as base:
        assert httpx.get(f"{base}/access/{pending_token}").status_code == 404  # no grant yet
        fulfil_checkout(ctx, checkout_session(order_id))
        with ctx.engine.connect() as conn:
            links = access_links(ctx, conn, order_id)
        assert [link["product_id"] for link in links] == ["ebook"]
        path = links[0]["url"].removeprefix(ctx.client_url)
        page = httpx.get(base + path)
        assert page.status_code == 200 and "https://files.test/ebook" in page.text
        # The shop's own layout, like every other page.
        assert "shop.css" in page.text and "Paydesk Coffee" in page.text
        invalid = httpx.get(f"{base}/access/not-a-token")
        assert "shop.css" in invalid.text and "not valid" in invalid.text
        forged = make_token(b"x" * 32, order_id, "ebook")
        assert httpx.get(f"{base}/access/{forged}").status_code == 404
        tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
        assert httpx.get(base + tampered).status_code == 404
        _run(ctx, event("charge.refunded", charge_obj(order_id, 1000)))
        assert httpx.get(base + path).status_code == 200  # partially refunded: still theirs
        _run(ctx, event("charge.refunded", charge_obj(order_id, 3000)))
        closed = httpx.get(base + path)
        assert closed.status_code == 403 and "shop.css" in closed.text
        assert "is refunded" in closed.text


def test_confirmation_email_carries_the_access_links(ctx: AppContext) -> None:
    from sqlalchemy import select

    from paydesk.notify.tables import outbox

    order_id = seed_order(ctx.engine)
    fulfil_checkout(ctx, checkout_session(order_id))
    with ctx.engine.connect() as conn:
        payload = orjson.loads(conn.execute(select(outbox.c.payload)).scalar_one())
        links = access_links(ctx, conn, order_id)
    assert payload["to"] == "buyer@example.com" and order_id in payload["subject"]
    assert "$30.00" in payload["body"]
    # The email's link names the same order and product as the order page's (each rendering
    # carries its own timestamp, so the two tokens need not be equal).
    emailed = re.findall(re.escape(ctx.client_url) + r"/access/(\S+)", payload["body"])
    shown = [link["url"].rsplit("/access/", 1)[1] for link in links]
    assert [read_token(ctx.signing_keys, t, 3600) for t in emailed] == [
        read_token(ctx.signing_keys, t, 3600) for t in shown] == [(order_id, "ebook")]


def test_batch_of_payments_ends_each_order_right(ctx: AppContext) -> None:
    """Several paid sessions processed together (the batch path) after a refund and an expiry
    were already seen, with a duplicate in the same batch."""
    refunded, expired, plain = (seed_order(ctx.engine, quantity=1) for _ in range(3))
    _run(ctx, event("charge.refunded", charge_obj(refunded, 3000, with_metadata=True)),
         event("checkout.session.expired", session_obj(expired, "unpaid")))
    assert stock_of(ctx.engine) == 8  # the expired order's unit came back
    batch = [event("checkout.session.completed", session_obj(o))
             for o in (refunded, expired, plain, plain)]
    with ctx.engine.begin() as conn:
        store_events(conn, [inbox_row(e, orjson.dumps(e).decode()) for e in batch])
    with structlog.testing.capture_logs() as logs:
        assert process_all(ctx) == 4
    assert [entry["event"] for entry in logs] == ["orders_fulfilled"]  # one batch, no fallback
    assert _outcome(ctx, refunded) == ("refunded", 3000, "committed")
    assert _outcome(ctx, expired) == ("fulfilled", 0, "committed")
    assert _outcome(ctx, plain) == ("fulfilled", 0, "committed")
    assert stock_of(ctx.engine) == 7 and emails_queued(ctx.engine) == 3
    with ctx.engine.connect() as conn:
        grants = conn.execute(select(access_grants.c.order_id)).scalars().all()
    assert sorted(grants) == sorted([refunded, expired, plain])


def _event_row(ctx: AppContext, event_id: str) -> Any:
    from paydesk.webhooks.tables import inbox_events

    with ctx.engine.connect() as conn:
        return conn.execute(select(inbox_events).where(inbox_events.c.id == event_id)).one()


@pytest.mark.parametrize("batch", [False, True])
def test_email_stripe_collected_gets_the_confirmation(ctx: AppContext, batch: bool) -> None:
    """An order placed without an email is confirmed to the address Stripe collected; an
    address given at checkout wins."""
    from paydesk.notify.tables import outbox

    bare, given = seed_order(ctx.engine, email=None), seed_order(ctx.engine)
    events = [event("checkout.session.completed", session_obj(o, email="stripe@example.com"))
              for o in (bare, given)]
    if batch:
        with ctx.engine.begin() as conn:
            store_events(conn, [inbox_row(e, orjson.dumps(e).decode()) for e in events])
        process_all(ctx)
    else:
        _run(ctx, *events)
    assert order_row(ctx.engine, bare).email == "stripe@example.com"
    assert order_row(ctx.engine, given).email == "buyer@example.com"
    with ctx.engine.connect() as conn:
        recipients = {orjson.loads(p)["to"] for p in conn.execute(select(outbox.c.payload))
                      .scalars()}
    assert recipients == {"stripe@example.com", "buyer@example.com"}


@pytest.mark.parametrize("batch", [False, True])
def test_payment_that_does_not_match_the_order_is_held(ctx: AppContext, batch: bool) -> None:
    """Paid 1 cent, or in another currency, for a $30.00 order: paid, not fulfilled, with the
    reason on the event; the right payment beside them is fulfilled as usual."""
    cheap, foreign, right = (seed_order(ctx.engine) for _ in range(3))
    events = [
        event("checkout.session.completed", session_obj(cheap, amount_total=1)),
        event("checkout.session.completed", session_obj(foreign, amount_total=3000,
                                                        currency="eur")),
        event("checkout.session.completed", session_obj(right, amount_total=3000)),
    ]
    if batch:
        with ctx.engine.begin() as conn:
            store_events(conn, [inbox_row(e, orjson.dumps(e).decode()) for e in events])
        process_all(ctx)
    else:
        _run(ctx, *events)
    for order_id, evt in zip((cheap, foreign), events, strict=False):
        assert order_row(ctx.engine, order_id).status == "paid"
        row = _event_row(ctx, evt["id"])
        assert row.status == "processed" and "payment mismatch" in row.last_error
    assert "$0.01" in _event_row(ctx, events[0]["id"]).last_error
    assert order_row(ctx.engine, right).status == "fulfilled"
    assert _event_row(ctx, events[2]["id"]).last_error is None
    assert emails_queued(ctx.engine) == 1
    with ctx.engine.connect() as conn:
        assert conn.execute(select(access_grants.c.order_id)).scalars().all() == [right]


def test_success_page_path_does_not_fulfil_a_mismatched_payment(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine)
    assert fulfil_checkout(ctx, checkout_session(order_id, amount_total=2999)) is False
    assert order_row(ctx.engine, order_id).status == "paid" and emails_queued(ctx.engine) == 0
    # The webhook that follows still tells the admin why.
    evt = event("checkout.session.completed", session_obj(order_id, amount_total=2999))
    _run(ctx, evt)
    assert "payment mismatch" in _event_row(ctx, evt["id"]).last_error


@pytest.mark.parametrize("batch", [False, True])
def test_sessions_and_charges_not_ours_are_ignored_with_a_note(
    ctx: AppContext, batch: bool
) -> None:
    """Another integration's objects on the same account: ignored at once, never retried, the
    same on the batch path as one at a time."""
    mine = seed_order(ctx.engine)
    foreign = {**session_obj("ord_elsewhere"), "metadata": {}, "client_reference_id": None}
    events = [event("checkout.session.completed", foreign),
              event("checkout.session.completed", session_obj(mine)),
              event("charge.refunded", charge_obj("ord_elsewhere", 3000)),
              event("charge.refunded", charge_obj("ord_elsewhere", 3000, with_metadata=False))]
    if batch:
        with ctx.engine.begin() as conn:
            store_events(conn, [inbox_row(e, orjson.dumps(e).decode()) for e in events])
        process_all(ctx)
    else:
        _run(ctx, *events)
    for evt in (events[0], events[2], events[3]):
        row = _event_row(ctx, evt["id"])
        assert row.status == "ignored" and row.attempts == 1
        assert "names no order of this shop" in row.last_error or "no order of this shop" in (
            row.last_error)
    assert _event_row(ctx, events[1]["id"]).status == "processed"
    assert order_row(ctx.engine, mine).status == "fulfilled"
