"""The webhook endpoint over real HTTP (uvicorn on loopback), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from test_webhook_support import (
    OLD_SECRET,
    SECRET,
    charge_obj,
    count,
    emails_queued,
    event,
    inbox_count,
    order_row,
    post,
    seed_order,
    serve_pipeline,
    session_obj,
    signed,
    stock_of,
    wait_until,
)

from paydesk.context import AppContext
from paydesk.webhooks.inbox import inbox_row, store_events
from paydesk.webhooks.tables import inbox_events
from tests.support import stripe_signature


def _fulfilled(ctx: AppContext, order_id: str) -> bool:
    return bool(order_row(ctx.engine, order_id).status == "fulfilled")


def test_completed_delivery_fulfils_the_order(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine, quantity=2)
    with serve_pipeline(ctx) as base:
        response = post(base, *signed(event("checkout.session.completed", session_obj(order_id))))
        assert response.status_code == 200 and response.json() == {"received": True}
        # In front of the framework's stack (app.ShopApp), it sets this header itself.
        assert response.headers["x-content-type-options"] == "nosniff"
        wait_until(lambda: _fulfilled(ctx, order_id))
    order = order_row(ctx.engine, order_id)
    assert order.stock_state == "committed" and order.payment_intent_id == "pi_" + order_id
    assert stock_of(ctx.engine) == 8
    assert emails_queued(ctx.engine) == 1


def test_duplicate_deliveries_fulfil_once(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine, quantity=3)
    evt = event("checkout.session.completed", session_obj(order_id))
    other_evt = event("checkout.session.completed", session_obj(order_id))  # same session again
    with serve_pipeline(ctx) as base:
        def deliver(i: int) -> int:
            return post(base, *signed(evt if i % 2 else other_evt)).status_code

        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(deliver, range(40)))
        assert codes == [200] * 40
        wait_until(lambda: _fulfilled(ctx, order_id))
        wait_until(lambda: count(ctx.engine, inbox_events, inbox_events.c.status == "received")
                   == 0)
    assert inbox_count(ctx.engine) == 2
    assert stock_of(ctx.engine) == 7  # reserved once at checkout, never taken again
    assert order_row(ctx.engine, order_id).stock_state == "committed"
    assert emails_queued(ctx.engine) == 1


def test_rotated_secrets_both_verify(ctx: AppContext) -> None:
    with serve_pipeline(ctx) as base:
        for secret in (SECRET, OLD_SECRET):
            evt = event("customer.created", {"id": "cus_1", "object": "customer"})
            assert post(base, *signed(evt, secret)).status_code == 200
    assert inbox_count(ctx.engine) == 2


def _hostile(order_id: str) -> list[tuple[str, bytes, dict[str, str], int]]:
    evt = event("checkout.session.completed", session_obj(order_id))
    body, headers = signed(evt)
    tampered = body.replace(b'"paid"', b'"PAID"')
    stale_body, stale_headers = signed(evt, timestamp=int(time.time()) - 301)
    forged_body, forged_headers = signed(evt, secret="whsec_attacker")
    huge = orjson.dumps(event("x.y", {"id": "x", "pad": "a" * (1024 * 1024)}))
    return [
        ("forged", forged_body, forged_headers, 400),
        ("tampered", tampered, headers, 400),
        ("stale", stale_body, stale_headers, 400),
        ("unsigned", body, {"Content-Type": "application/json"}, 400),
        ("garbage-header", body, {"Stripe-Signature": "t=1,v1=zz"}, 400),
        ("oversized", huge, {"Stripe-Signature": stripe_signature(huge, SECRET)}, 413),
        ("not-json", b"{nope", {"Stripe-Signature": stripe_signature(b"{nope", SECRET)}, 400),
        ("not-an-event", b"[1]", {"Stripe-Signature": stripe_signature(b"[1]", SECRET)}, 400),
    ]


def test_hostile_deliveries_are_refused_and_store_nothing(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine)
    with serve_pipeline(ctx) as base:
        for name, body, headers, expected in _hostile(order_id):
            response = post(base, body, headers)
            assert response.status_code == expected, name
            assert response.headers["x-content-type-options"] == "nosniff", name
            assert SECRET not in response.text
    assert inbox_count(ctx.engine) == 0
    assert order_row(ctx.engine, order_id).status == "pending"


def test_oversized_body_without_content_length_is_refused(ctx: AppContext) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 32768

    with serve_pipeline(ctx) as base:
        response = httpx.post(f"{base}/api/webhook", content=chunks(),
                              headers={"Stripe-Signature": "t=1,v1=00"}, timeout=10)
    assert response.status_code == 413
    assert inbox_count(ctx.engine) == 0


def test_unhandled_event_types_are_stored_and_ignored(ctx: AppContext) -> None:
    evt = event("payment_intent.created", {"id": "pi_1", "object": "payment_intent"})
    with serve_pipeline(ctx) as base:
        assert post(base, *signed(evt)).status_code == 200
        wait_until(lambda: count(ctx.engine, inbox_events, inbox_events.c.status == "ignored")
                   == 1)


def test_event_stored_but_never_processed_is_picked_up_on_restart(ctx: AppContext) -> None:
    """A crash after the commit (acknowledged) but before processing loses nothing."""
    order_id = seed_order(ctx.engine)
    evt = event("checkout.session.completed", session_obj(order_id))
    with ctx.engine.begin() as conn:
        store_events(conn, [inbox_row(evt, orjson.dumps(evt).decode())])
    assert order_row(ctx.engine, order_id).status == "pending"
    with serve_pipeline(ctx):  # a fresh process's services start
        wait_until(lambda: _fulfilled(ctx, order_id))


def test_failed_processing_keeps_its_traceback_is_retried_then_dead(ctx: AppContext) -> None:
    """An event that fails every time (a refund amount that is not a number) keeps its
    traceback, is retried with backoff, and after MAX_ATTEMPTS stops as `dead` instead of being
    retried forever; the admin's retry still brings it back."""
    from datetime import UTC, datetime, timedelta

    from paydesk.admin.retry import retry_event
    from paydesk.webhooks.processor import MAX_ATTEMPTS, process_all

    order_id = seed_order(ctx.engine)
    broken = event("charge.refunded", {**charge_obj(order_id, 0), "amount_refunded": "lots"})
    with ctx.engine.begin() as conn:
        store_events(conn, [inbox_row(broken, orjson.dumps(broken).decode())])

    def row() -> Any:
        with ctx.engine.connect() as conn:
            return conn.execute(
                select(inbox_events).where(inbox_events.c.id == broken["id"])
            ).one()

    process_all(ctx)
    assert row().status == "failed" and row().attempts == 1
    assert "amount_refunded must be an integer" in row().last_error
    assert "Traceback" in row().last_error
    assert process_all(ctx) == 0  # not due yet: backoff
    later = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS - 1):
        later += timedelta(hours=2)
        assert process_all(ctx, now=later) == 1
    assert row().status == "dead" and row().attempts == MAX_ATTEMPTS
    assert process_all(ctx, now=later + timedelta(days=30)) == 0  # never again on its own
    assert retry_event(ctx.engine, broken["id"], now=later) is True
    assert process_all(ctx, now=later) == 1 and row().attempts == MAX_ATTEMPTS + 1


def _sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_received_rejected_processed_and_fulfilled(ctx: AppContext) -> None:
    """Through the shop's own app (create_app), so the route and /metrics are the real ones."""
    from paydesk.app import create_app
    from paydesk.ops.metrics import metrics

    metrics()
    order_id = seed_order(ctx.engine)
    before = {
        "received": _sample("paydesk_webhooks_received_total"),
        "rejected": _sample("paydesk_webhooks_rejected_total", reason="signature"),
        "processed": _sample("paydesk_webhooks_processed_total",
                             type="checkout.session.completed", outcome="processed"),
    }
    with serve_pipeline(ctx, create_app) as base:
        evt = event("checkout.session.completed", session_obj(order_id))
        assert post(base, *signed(evt)).status_code == 200
        assert post(base, *signed(evt, secret="whsec_attacker")).status_code == 400
        wait_until(lambda: _fulfilled(ctx, order_id))
        wait_until(lambda: _sample("paydesk_webhooks_processed_total",
                                   type="checkout.session.completed", outcome="processed")
                   == before["processed"] + 1)
        text = httpx.get(f"{base}/metrics").text
    assert _sample("paydesk_webhooks_received_total") == before["received"] + 1
    assert _sample("paydesk_webhooks_rejected_total", reason="signature") == before["rejected"] + 1
    for name in ("paydesk_webhooks_received_total", "paydesk_webhook_processing_seconds_bucket",
                 "paydesk_fulfilments_total"):
        assert name in text


def test_logs_never_carry_secrets_or_signatures(ctx: AppContext) -> None:
    import structlog

    order_id = seed_order(ctx.engine)
    evt = event("checkout.session.completed", session_obj(order_id))
    body, headers = signed(evt)
    forged_body, forged_headers = signed(evt, secret="whsec_attacker")
    with structlog.testing.capture_logs() as logs, serve_pipeline(ctx) as base:
        post(base, forged_body, forged_headers)
        post(base, body, headers)
        wait_until(lambda: _fulfilled(ctx, order_id))
    text = repr(logs)
    assert "webhook_rejected" in text and order_id in text
    for secret in (SECRET, OLD_SECRET, "whsec_attacker", headers["Stripe-Signature"],
                   forged_headers["Stripe-Signature"].split("v1=")[1]):
        assert secret not in text


def test_delivery_that_cannot_be_stored_is_not_acknowledged(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine)
    with serve_pipeline(ctx) as base:
        inbox_events.drop(ctx.engine)  # the database refuses the write
        response = post(base, *signed(event("checkout.session.completed", session_obj(order_id))))
    assert response.status_code == 503  # Stripe will deliver it again
    assert order_row(ctx.engine, order_id).status == "pending"


def test_database_errors_never_quote_the_payload(ctx: AppContext) -> None:
    """A failed inbox insert is logged with its error: that must not carry the buyer's data."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    evt = event("checkout.session.completed", {"customer_details": {"email": "private@x.test"}})
    row = inbox_row(evt, orjson.dumps(evt).decode())
    with ctx.engine.begin() as conn:
        conn.execute(insert(inbox_events).values(**row))
    with pytest.raises(IntegrityError) as failure, ctx.engine.begin() as conn:
        conn.execute(insert(inbox_events).values(**row))
    assert "private@x.test" not in str(failure.value)
