"""Webhook delivery with the real SDK on both ends: the API creates events, a real receiver on
loopback verifies them with `stripe.Webhook.construct_event`."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
from webhook_receiver import Receiver, free_port, wait_for

from paydesk.sandbox.server import SandboxHandle, start_in_thread


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def own_sandbox() -> Iterator[Callable[..., SandboxHandle]]:
    """A private sandbox, for tests that need their own retry schedule, timeout or database."""
    started: list[SandboxHandle] = []

    def start(retry_delays: str = "0.2,0.2,0.2", db_path: str | None = None) -> SandboxHandle:
        handle = start_in_thread(retry_delays=retry_delays, db_path=db_path)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


def _client(url: str, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": url})


def _endpoint(client: stripe.StripeClient, url: str, events: list[str] | None = None) -> Any:
    return client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": events or ["*"]}
    )


def _event_for(client: stripe.StripeClient, obj_id: str, event_type: str) -> Any:
    events = client.v1.events.list(params={"type": event_type, "limit": 100})
    return next(e for e in events.data if e.data.object["id"] == obj_id)


def _attempts(handle: SandboxHandle, key: str) -> list[dict[str, Any]]:
    return list(handle.app.store.account_for_key(key).newest("webhook_attempt"))


def test_event_is_signed_as_stripe_signs_and_construct_event_accepts_it(
    stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    endpoint = _endpoint(stripe_client, receiver.url, ["customer.created"])
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})

    [got] = wait_for(lambda: receiver.requests, "the delivery")
    event = stripe.Webhook.construct_event(
        got.body.decode(), got.headers["Stripe-Signature"], endpoint.secret
    )
    assert event.type == "customer.created"
    assert event.data.object["id"] == customer.id
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", got.headers["Stripe-Signature"])
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.headers["User-Agent"].startswith("Stripe/1.0 (+https://stripe.com/docs/webhooks)")
    assert got.path == "/webhook"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            got.body.decode(), got.headers["Stripe-Signature"], "whsec_other"
        )
    wait_for(
        lambda: stripe_client.v1.events.retrieve(event.id).pending_webhooks == 0,
        "pending_webhooks to reach 0",
    )


def test_a_500_is_retried_and_the_redelivery_is_accepted(
    stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    failing = True
    receiver.answer = lambda n, r: 500 if failing else 200
    endpoint = _endpoint(stripe_client, receiver.url, ["customer.created"])
    customer = stripe_client.v1.customers.create()
    event = _event_for(stripe_client, customer.id, "customer.created")
    assert event.pending_webhooks == 1

    wait_for(lambda: receiver.bodies_for(event.id), "the first attempt")
    # Still pending after a 500: listed as not delivered, and not as delivered.
    undelivered = stripe_client.v1.events.list(params={"delivery_success": False, "limit": 100})
    delivered = stripe_client.v1.events.list(params={"delivery_success": True, "limit": 100})
    assert event.id in [e.id for e in undelivered.data]
    assert event.id not in [e.id for e in delivered.data]

    failing = False
    wait_for(
        lambda: stripe_client.v1.events.retrieve(event.id).pending_webhooks == 0,
        "the redelivery to be accepted",
    )
    attempts = receiver.bodies_for(event.id)
    assert len(attempts) >= 2
    for got in attempts:  # every attempt is freshly signed and verifies
        stripe.Webhook.construct_event(
            got.body.decode(), got.headers["Stripe-Signature"], endpoint.secret
        )
    delivered = stripe_client.v1.events.list(params={"delivery_success": True, "limit": 100})
    assert event.id in [e.id for e in delivered.data]


def test_a_receiver_that_times_out_is_retried(
    own_sandbox: Callable[..., SandboxHandle], receiver: Receiver
) -> None:
    handle = own_sandbox(retry_delays="0.2,0.2,0.2")
    handle.app.deliverer.timeout = 0.3
    key = "sk_test_" + uuid.uuid4().hex
    client = _client(handle.url, key)
    receiver.hold_seconds = 5.0
    receiver.hold.clear()  # the first request hangs past the sandbox's timeout
    _endpoint(client, receiver.url)
    customer = client.v1.customers.create()
    event = _event_for(client, customer.id, "customer.created")

    wait_for(lambda: any(a["error"] for a in _attempts(handle, key)), "a timed-out attempt")
    [failed] = _attempts(handle, key)
    assert failed["status_code"] is None and "Timeout" in failed["error"]
    receiver.hold.set()
    wait_for(lambda: client.v1.events.retrieve(event.id).pending_webhooks == 0, "a later delivery")
    assert len(receiver.bodies_for(event.id)) >= 2


def test_a_refused_connection_is_retried_until_the_receiver_is_up(
    own_sandbox: Callable[..., SandboxHandle],
) -> None:
    handle = own_sandbox(retry_delays="0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3")
    key = "sk_test_" + uuid.uuid4().hex
    client = _client(handle.url, key)
    port = free_port()
    endpoint = _endpoint(client, f"http://127.0.0.1:{port}/webhook")
    customer = client.v1.customers.create()
    event = _event_for(client, customer.id, "customer.created")

    wait_for(lambda: _attempts(handle, key), "the refused attempt")
    assert _attempts(handle, key)[-1]["error"]
    late = Receiver(port)
    try:
        [got] = wait_for(lambda: late.bodies_for(event.id), "the retry")
        stripe.Webhook.construct_event(
            got.body.decode(), got.headers["Stripe-Signature"], endpoint.secret
        )
        wait_for(lambda: client.v1.events.retrieve(event.id).pending_webhooks == 0, "delivered")
    finally:
        late.close()


def test_only_enabled_matching_endpoints_that_existed_get_an_event(
    stripe_client: stripe.StripeClient,
) -> None:
    customers, charges, disabled, later = (Receiver() for _ in range(4))
    for r in (customers, later):  # held, so pending_webhooks can be read before delivery
        r.hold_seconds = 10.0
        r.hold.clear()
    try:
        _endpoint(stripe_client, customers.url, ["customer.*"])
        _endpoint(stripe_client, charges.url, ["charge.succeeded"])
        off = _endpoint(stripe_client, disabled.url, ["*"])
        stripe_client.v1.webhook_endpoints.update(off.id, params={"disabled": True})
        customer = stripe_client.v1.customers.create()
        created = _event_for(stripe_client, customer.id, "customer.created")
        assert created.pending_webhooks == 1  # only the enabled, matching endpoint counts

        _endpoint(stripe_client, later.url, ["*"])
        stripe_client.v1.customers.update(customer.id, params={"name": "Ada"})
        updated = _event_for(stripe_client, customer.id, "customer.updated")
        assert updated.pending_webhooks == 2
        customers.hold.set()
        later.hold.set()

        wait_for(lambda: len(customers.requests) == 2, "both events at the customer.* endpoint")
        wait_for(lambda: later.requests, "the update at the later endpoint")
        assert [r for r in later.requests if created.id.encode() in r.body] == []
        assert charges.requests == [] and disabled.requests == []
    finally:
        for r in (customers, charges, disabled, later):
            r.close()


def test_deleting_an_endpoint_stops_its_retries(
    own_sandbox: Callable[..., SandboxHandle], receiver: Receiver
) -> None:
    handle = own_sandbox(retry_delays=",".join(["0.3"] * 20))
    client = _client(handle.url, "sk_test_" + uuid.uuid4().hex)
    receiver.answer = lambda n, r: 500
    endpoint = _endpoint(client, receiver.url)
    client.v1.customers.create()
    wait_for(lambda: receiver.requests, "the first attempt")
    client.v1.webhook_endpoints.delete(endpoint.id)

    wait_for(lambda: handle.app.deliverer.pending() == 0, "the retry queue to empty")
    assert len(receiver.requests) <= 2  # at most one retry already under way at deletion


def test_disabling_an_endpoint_pauses_its_retries_and_enabling_it_resumes_them(
    own_sandbox: Callable[..., SandboxHandle], receiver: Receiver
) -> None:
    handle = own_sandbox(retry_delays=",".join(["0.2"] * 15))
    client = _client(handle.url, "sk_test_" + uuid.uuid4().hex)
    failing = True
    receiver.answer = lambda n, r: 500 if failing else 200
    endpoint = _endpoint(client, receiver.url)
    customer = client.v1.customers.create()
    event = _event_for(client, customer.id, "customer.created")
    wait_for(lambda: receiver.requests, "the first attempt")
    client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": True})
    paused_at = len(receiver.bodies_for(event.id))
    failing = False
    client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": False})

    wait_for(lambda: client.v1.events.retrieve(event.id).pending_webhooks == 0, "the retry")
    assert len(receiver.bodies_for(event.id)) >= paused_at + 1


def test_delivery_never_blocks_the_api(
    stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    receiver.hold_seconds = 15.0
    receiver.hold.clear()
    _endpoint(stripe_client, receiver.url)
    stripe_client.v1.customers.create()
    wait_for(lambda: receiver.requests, "the delivery to reach the receiver")
    # The receiver is still holding the delivery: the API answers regardless.
    assert not receiver.hold.is_set()
    more = [stripe_client.v1.customers.create() for _ in range(3)]
    assert stripe_client.v1.customers.retrieve(more[-1].id).id == more[-1].id
    receiver.hold.set()


def test_the_retry_queue_survives_a_restart_with_db(tmp_path: Any) -> None:
    db = str(tmp_path / "sandbox.db")
    key = "sk_test_" + uuid.uuid4().hex
    port = free_port()
    first = start_in_thread(retry_delays="0.2,2", db_path=db)
    try:
        client = _client(first.url, key)
        endpoint = _endpoint(client, f"http://127.0.0.1:{port}/webhook")
        customer = client.v1.customers.create()
        event = _event_for(client, customer.id, "customer.created")
        # Two refused attempts; the last retry is two seconds away when the sandbox stops.
        wait_for(lambda: len(_attempts(first, key)) == 2, "two refused attempts")
    finally:
        first.stop()

    late = Receiver(port)
    second = start_in_thread(retry_delays="0.2,2", db_path=db)
    try:
        [got] = wait_for(lambda: late.bodies_for(event.id), "the retry after the restart")
        stripe.Webhook.construct_event(
            got.body.decode(), got.headers["Stripe-Signature"], endpoint.secret
        )
        client = _client(second.url, key)
        wait_for(lambda: client.v1.events.retrieve(event.id).pending_webhooks == 0, "delivered")
        assert [a["attempt"] for a in _attempts(second, key)] == [3, 2, 1]
    finally:
        second.stop()
        late.close()


def _job_rows(db: str) -> list[list[Any]]:
    """Pending deliveries as [due, account, event, endpoint, attempts made], from the timers."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT due_at, account, object_id FROM timers WHERE kind = 'webhook.delivery'"
        ).fetchall()
        legacy = conn.execute("SELECT value FROM state WHERE name = 'webhook_queue'").fetchall()
        old_rows = conn.execute("SELECT data FROM webhook_jobs").fetchall()
    assert legacy in ([], [(b"[]",)])  # never the whole queue as one blob again
    assert old_rows == []  # nor a table of its own
    jobs = []
    for due, account, object_id in rows:
        event, endpoint, attempt = object_id.split(":")
        jobs.append([due, account, event, endpoint, int(attempt)])
    return sorted(jobs)


def test_the_queue_is_kept_one_row_per_pending_delivery(
    tmp_path: Any, receiver: Receiver, own_sandbox: Callable[..., SandboxHandle]
) -> None:
    db = str(tmp_path / "sandbox.db")
    handle = own_sandbox(retry_delays="60", db_path=db)
    key = "sk_test_" + uuid.uuid4().hex
    client = _client(handle.url, key)
    down = _endpoint(client, f"http://127.0.0.1:{free_port()}/webhook")
    _endpoint(client, receiver.url)
    customers = [client.v1.customers.create() for _ in range(5)]
    events = {_event_for(client, c.id, "customer.created").id for c in customers}
    wait_for(lambda: len(receiver.requests) == 5, "the five deliveries that succeed")

    # Delivered ones are gone; each refused one is a row waiting for its retry a minute away.
    def settled() -> list[list[Any]] | None:
        rows = _job_rows(db)
        return rows if len(rows) == 5 and all(row[4] == 1 for row in rows) else None

    rows = wait_for(settled, "one row per refused delivery, after its first attempt")
    assert {row[2] for row in rows} == events
    assert {row[3] for row in rows} == {down.id}
    assert all(row[0] > time.time() + 30 for row in rows)


@pytest.mark.parametrize("kept_as", ["one blob", "a row per job"])
def test_a_queue_saved_by_an_older_sandbox_is_picked_up(tmp_path: Any, kept_as: str) -> None:
    db = str(tmp_path / "sandbox.db")
    key = "sk_test_" + uuid.uuid4().hex
    port = free_port()
    first = start_in_thread(retry_delays="60", db_path=db)
    try:
        client = _client(first.url, key)
        _endpoint(client, f"http://127.0.0.1:{port}/webhook")
        event = _event_for(client, client.v1.customers.create().id, "customer.created")
        wait_for(lambda: _job_rows(db) and _job_rows(db)[0][4] == 1, "the refused attempt")
    finally:
        first.stop()
    # Rewrite the pending delivery the way older versions kept it: the whole queue in one
    # blob, or (before the timer queue) a row per job in a table of its own.
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        [row] = _job_rows(db)
        row[0] = time.time()
        conn.execute("DELETE FROM timers")
        if kept_as == "one blob":
            blob = json.dumps([row]).encode()
            conn.execute("INSERT INTO state VALUES ('webhook_queue', ?)", (blob,))
        else:
            job_key = f"{row[2]}:{row[3]}"
            conn.execute("INSERT INTO webhook_jobs VALUES (?, ?)", (job_key, json.dumps(row)))

    late = Receiver(port)
    second = start_in_thread(retry_delays="60", db_path=db)
    try:
        wait_for(lambda: late.bodies_for(event.id), "the retry after the upgrade")
        wait_for(lambda: _job_rows(db) == [], "the delivered job's row to go")
    finally:
        second.stop()
        late.close()
