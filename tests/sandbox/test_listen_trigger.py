"""`paydesk sandbox`, `paydesk listen` and `paydesk trigger` as real processes, the way a developer
runs them side by side, with a receiver that verifies signatures with the secret listen prints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import stripe
from webhook_receiver import Receiver, free_port, wait_for

BIN = Path(sys.executable).parent
PAYDESK = str(BIN / "paydesk")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
ENV.pop("STRIPE_API_BASE", None)
ENV.pop("STRIPE_SECRET_KEY", None)


class Process:
    """A child process whose output lines are collected as they come."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [PAYDESK, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def line_matching(self, pattern: str) -> re.Match[str]:
        def find() -> re.Match[str] | None:
            if self.proc.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"process ended: {self.lines}")
            return next((m for line in self.lines if (m := re.search(pattern, line))), None)

        found: re.Match[str] = wait_for(find, f"a line matching {pattern!r} in {self.lines}")
        return found

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    port = free_port()
    proc = Process("sandbox", "--port", str(port), "--webhook-retry-delays", "0.2,0.3,0.5")
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/").status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, "the sandbox to listen")
    yield url
    proc.stop()


@pytest.fixture
def key() -> str:
    return "sk_test_" + uuid.uuid4().hex


def _api(sandbox: str, key: str) -> list[str]:
    return ["--api-base", sandbox, "--api-key", key]


def _trigger(sandbox: str, key: str, event: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PAYDESK, "trigger", event, *_api(sandbox, key)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )


@pytest.fixture
def listening(sandbox: str, key: str) -> Iterator[tuple[Process, Receiver, str]]:
    receiver = Receiver()
    listen = Process("listen", "--forward-to", receiver.url, *_api(sandbox, key))
    secret = listen.line_matching(
        r"^Ready! Your webhook signing secret is (whsec_\S+) \(\^C to quit\)$"
    ).group(1)
    yield listen, receiver, secret
    listen.stop()
    receiver.close()


def test_trigger_checkout_completed_reaches_the_target_through_listen(
    sandbox: str, key: str, listening: tuple[Process, Receiver, str]
) -> None:
    listen, receiver, secret = listening
    done = _trigger(sandbox, key, "checkout.session.completed")
    assert done.returncode == 0, done.stderr
    session_id = re.search(r"Created checkout.session (cs_\w+)", done.stdout)
    assert session_id, done.stdout
    event_id = re.search(
        r"Trigger succeeded! checkout.session.completed \[(evt_\w+)\]", done.stdout
    )
    assert event_id, done.stdout

    [got] = wait_for(lambda: receiver.bodies_for(event_id.group(1)), "the forwarded event")
    event = stripe.Webhook.construct_event(
        got.body.decode(), got.headers["Stripe-Signature"], secret
    )
    assert event.type == "checkout.session.completed"
    assert event.data.object["id"] == session_id.group(1)
    assert event.data.object["payment_status"] == "paid"
    assert got.headers["Content-Type"].startswith("application/json")
    listen.line_matching(
        rf"\d\d:\d\d:\d\d\s+checkout.session.completed \[{event_id.group(1)}\] → 200 POST "
    )


def test_listen_answers_the_sandbox_with_the_target_status_so_a_500_is_retried(
    sandbox: str, key: str, listening: tuple[Process, Receiver, str]
) -> None:
    listen, receiver, secret = listening
    receiver.answer = lambda n, r: 500 if n == 0 else 200
    client = stripe.StripeClient(key, base_addresses={"api": sandbox})
    customer = client.v1.customers.create()
    [event] = client.v1.events.list(params={"type": "customer.created"}).data

    listen.line_matching(rf"customer.created \[{event.id}\] → 500 ")
    listen.line_matching(rf"customer.created \[{event.id}\] → 200 ")
    attempts = receiver.bodies_for(event.id)
    assert len(attempts) == 2
    for got in attempts:
        verified = stripe.Webhook.construct_event(
            got.body.decode(), got.headers["Stripe-Signature"], secret
        )
        assert verified.data.object["id"] == customer.id
    wait_for(lambda: client.v1.events.retrieve(event.id).pending_webhooks == 0, "delivered")


def test_listen_reports_an_unreachable_target_and_lets_the_sandbox_retry(
    sandbox: str, key: str
) -> None:
    listen = Process(
        "listen", "--forward-to", f"http://127.0.0.1:{free_port()}/hook", *_api(sandbox, key)
    )
    try:
        listen.line_matching(r"^Ready! ")
        client = stripe.StripeClient(key, base_addresses={"api": sandbox})
        client.v1.customers.create()
        [event] = client.v1.events.list(params={"type": "customer.created"}).data
        # Two error lines for the same event: the 502 listen answered made the sandbox retry.
        wait_for(
            lambda: sum(f"[{event.id}] → error" in line for line in listen.lines) >= 2,
            f"two failed forwards in {listen.lines}",
        )
        assert client.v1.events.retrieve(event.id).pending_webhooks == 1
        failed = next(line for line in listen.lines if f"[{event.id}] → error" in line)
        assert "connection refused" in failed
        assert "ssl:default" not in failed and "ClientConnectorError" not in failed
    finally:
        listen.stop()


def test_listen_only_asks_for_the_events_given_and_removes_its_endpoint_on_exit(
    sandbox: str, key: str
) -> None:
    client = stripe.StripeClient(key, base_addresses={"api": sandbox})
    receiver = Receiver()
    listen = Process(
        "listen",
        "--forward-to",
        receiver.url,
        "--events",
        "charge.succeeded,customer.*",
        *_api(sandbox, key),
    )
    try:
        listen.line_matching(r"^Ready! ")
        [endpoint] = client.v1.webhook_endpoints.list().data
        assert endpoint.enabled_events == ["charge.succeeded", "customer.*"]
        assert endpoint.status == "enabled"
    finally:
        assert listen.stop() == 0
        receiver.close()
    assert client.v1.webhook_endpoints.list().data == []


@pytest.mark.parametrize(
    ("event", "subject"),
    [
        ("customer.created", "cus_"),
        ("payment_intent.created", "pi_"),
        ("payment_intent.succeeded", "pi_"),
        ("payment_intent.payment_failed", "pi_"),
        ("charge.succeeded", "ch_"),
        ("charge.refunded", "ch_"),
        ("refund.created", "re_"),
        ("checkout.session.completed", "cs_"),
        ("checkout.session.expired", "cs_"),
        ("customer.subscription.created", "sub_"),
        ("customer.subscription.updated", "sub_"),
        ("customer.subscription.deleted", "sub_"),
        ("customer.subscription.trial_will_end", "sub_"),
        ("invoice.paid", "in_"),
        ("invoice.payment_failed", "in_"),
    ],
)
def test_trigger_makes_the_sandbox_emit_the_event(
    sandbox: str, key: str, event: str, subject: str
) -> None:
    done = _trigger(sandbox, key, event)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(rf"Created \S+ {subject}\w+", done.stdout), done.stdout
    found = re.search(rf"Trigger succeeded! {re.escape(event)} \[(evt_\w+)\]", done.stdout)
    assert found, done.stdout
    client = stripe.StripeClient(key, base_addresses={"api": sandbox})
    emitted = client.v1.events.retrieve(found.group(1))
    assert emitted.type == event
    assert emitted.data.object["id"].startswith(subject)


def test_trigger_refuses_an_unknown_event_listing_the_supported_ones(
    sandbox: str, key: str
) -> None:
    done = _trigger(sandbox, key, "invoice.teleported")
    assert done.returncode == 2
    assert "Unsupported event: invoice.teleported" in done.stderr
    for supported in ("checkout.session.completed", "payment_intent.succeeded", "charge.refunded"):
        assert supported in done.stderr
    client = stripe.StripeClient(key, base_addresses={"api": sandbox})
    assert client.v1.events.list().data == []  # nothing was created


def test_listen_replays_the_recent_past_first_and_shows_chaos(sandbox: str, key: str) -> None:
    client = stripe.StripeClient(key, base_addresses={"api": sandbox})
    earlier = client.v1.customers.create(params={"name": "before listen"})
    receiver = Receiver()
    listen = Process(
        "listen", "--forward-to", receiver.url, "--replay-since", "1h", *_api(sandbox, key)
    )
    try:
        listen.line_matching(r"^Replaying 1 event\(s\) from the last 3600 s")
        wait_for(lambda: receiver.bodies_for(earlier.id), "the replayed customer.created")
        httpx.post(
            sandbox + "/v1/test_helpers/webhook_chaos",
            data={"duplicate": "1", "seed": "3"},
            headers={"Authorization": f"Bearer {key}"},
        ).raise_for_status()
        later = client.v1.customers.create(params={"name": "after"})
        wait_for(lambda: len(receiver.bodies_for(later.id)) >= 2, "the duplicated delivery")
        listen.line_matching(r"customer.created \(duplicate x\d\) \[evt_\w+\] → 200 ")
    finally:
        listen.stop()
        receiver.close()


def test_listen_refuses_a_bad_replay_period(sandbox: str, key: str) -> None:
    done = subprocess.run(
        [PAYDESK, "listen", "--forward-to", "http://127.0.0.1:9/", "--replay-since", "soon",
         *_api(sandbox, key)],
        capture_output=True, text=True, env=ENV, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--replay-since" in done.stderr and "Traceback" not in done.stderr
