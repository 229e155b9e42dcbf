"""Webhook chaos, the delivery timeline and replay, through the sandbox's HTTP API with a real
receiver on loopback. Choices come from the seed alone, so each test can say exactly which
deliveries chaos must have touched."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from paydesk.sandbox.chaos import Chaos
from paydesk.sandbox.testing import Sandbox, Webhooks
from tests.sandbox.webhook_receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()
    yield got
    got.close()


@pytest.fixture
def sandbox(sandbox_url: str) -> Sandbox:
    return Sandbox(sandbox_url)


def _customers(sandbox: Sandbox, count: int) -> list[str]:
    client = sandbox.client()
    return [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(count)]


def test_chaos_is_set_read_and_turned_off(sandbox: Sandbox) -> None:
    shown = sandbox.chaos(duplicate=0.3, reorder=0.2, delay_ms="0-5000", fail=0.05, seed=42)
    assert shown["object"] == "webhook_chaos" and shown["active"] is True
    read = sandbox.api("GET", "/v1/test_helpers/webhook_chaos")
    assert (read["duplicate"], read["reorder"], read["fail"], read["seed"]) == (0.3, 0.2, 0.05, 42)
    assert read["delay_ms"] == {"min": 0, "max": 5000}

    off = sandbox.calm()
    assert off["deleted"] is True
    assert sandbox.api("GET", "/v1/test_helpers/webhook_chaos")["active"] is False


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"duplicate": "2"}, "duplicate"),
        ({"delay_ms": "9-1"}, "delay_ms"),
        ({"seed": "abc"}, "seed"),
        ({"flood": "1"}, "flood"),
        ({"webhook_endpoint": "we_missing"}, "webhook_endpoint"),
    ],
)
def test_a_bad_setting_is_a_400_naming_it(sandbox: Sandbox, params: dict, param: str) -> None:
    with pytest.raises(AssertionError, match="answered 400|answered 404"):
        sandbox.api("POST", "/v1/test_helpers/webhook_chaos", params)
    assert sandbox.api("GET", "/v1/test_helpers/webhook_chaos")["active"] is False


def test_duplicates_are_exactly_the_ones_the_seed_chose(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    hooks = Webhooks(sandbox)
    hooks.register(receiver.url, ["customer.created"])
    sandbox.chaos(duplicate=0.4, seed=11)

    ids = _customers(sandbox, 30)
    hooks.wait_until_settled()

    expected = [Chaos(duplicate=0.4, seed=11).decide(n).copies for n in range(30)]
    deliveries = hooks.deliveries()
    events = {e["data"]["object"]["id"]: e["id"] for e in hooks.events("customer.created")}
    for n, customer in enumerate(ids):
        sent = [d for d in deliveries if d["event"] == events[customer]]
        assert len(sent) == expected[n], (n, sent)
    wire = [r for r in receiver.requests]
    assert len(wire) == sum(expected) > 30  # each copy went over the wire, signed afresh
    # The copies leave the event's own count alone: every event ends with nothing pending.
    assert all(e["pending_webhooks"] == 0 for e in hooks.events())


def test_the_same_seed_and_requests_give_the_same_timeline(sandbox_url: str) -> None:
    def run() -> list[list[str]]:
        sandbox = Sandbox(sandbox_url)
        got = Receiver()
        try:
            hooks = Webhooks(sandbox)
            hooks.register(got.url, ["customer.created"])
            sandbox.chaos(duplicate=0.3, reorder=0.3, fail=0.2, delay_ms="0-50", seed=5)
            _customers(sandbox, 12)
            hooks.wait_until_settled(timeout=20)
            order = {e["id"]: i for i, e in enumerate(reversed(hooks.events()))}
            firsts = sorted(
                (d for d in hooks.deliveries() if d["attempt"] == 1),
                key=lambda d: (order[d["event"]], d["chaos"]),
            )
            return [d["chaos"] for d in firsts]
        finally:
            got.close()

    assert run() == run()


def test_a_held_delivery_arrives_after_the_next_one(sandbox: Sandbox, receiver: Receiver) -> None:
    # Find a seed whose first delivery is held and whose second is not.
    seed = next(
        s
        for s in range(1000)
        if Chaos(reorder=0.5, seed=s).decide(0).hold
        and not Chaos(reorder=0.5, seed=s).decide(1).hold
    )
    hooks = Webhooks(sandbox)
    hooks.register(receiver.url, ["customer.created"])
    sandbox.chaos(reorder=0.5, seed=seed)

    first, second = _customers(sandbox, 2)
    hooks.wait_until_settled()

    arrived = [r.body for r in receiver.requests]
    assert first.encode() in arrived[1] and second.encode() in arrived[0]
    held = [d for d in hooks.deliveries() if "reordered" in d["chaos"]]
    assert len(held) == 1


def test_a_failed_first_attempt_runs_the_retry_schedule(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    hooks = Webhooks(sandbox)
    endpoint = hooks.register(receiver.url, ["customer.created"])
    sandbox.chaos(fail=1.0, webhook_endpoint=endpoint.id)

    _customers(sandbox, 1)
    hooks.wait_until_settled()

    attempts = hooks.deliveries()
    assert [(d["attempt"], d["delivered"]) for d in attempts] == [(1, False), (2, True)]
    assert attempts[0]["chaos"] == ["failed first attempt"] and attempts[1]["chaos"] == []
    assert len(receiver.requests) == 1  # the failed attempt never reached the receiver


def test_the_timeline_filters_by_event_and_endpoint(sandbox: Sandbox, receiver: Receiver) -> None:
    hooks = Webhooks(sandbox)
    one = hooks.register(receiver.url, ["customer.created"])
    two = hooks.register(receiver.url + "?second", ["customer.created"])
    _customers(sandbox, 2)
    hooks.wait_until_settled()

    assert len(hooks.deliveries()) == 4
    assert {d["webhook_endpoint"] for d in hooks.deliveries(webhook_endpoint=two.id)} == {two.id}
    event = hooks.events()[0]["id"]
    assert {d["webhook_endpoint"] for d in hooks.deliveries(event=event)} == {one.id, two.id}
    row = hooks.deliveries()[0]
    assert row["object"] == "webhook_delivery" and row["status_code"] == 200
    assert row["response_body"] == "ok" and row["duration_ms"] >= 0


def test_resend_and_replay_send_events_again_in_order(sandbox: Sandbox, receiver: Receiver) -> None:
    hooks = Webhooks(sandbox)
    endpoint = hooks.register(receiver.url, ["customer.created"])
    ids = _customers(sandbox, 3)
    hooks.wait_until_settled()
    receiver.requests.clear()
    first_event = hooks.events()[-1]

    sandbox.api("POST", f"/v1/events/{first_event['id']}/retry", {"webhook_endpoint": endpoint.id})
    replay = sandbox.api(
        "POST",
        f"/v1/test_helpers/webhook_endpoints/{endpoint.id}/replay",
        {"since": first_event["created"]},
    )

    assert len(replay["events"]) == 3
    hooks.wait_for("customer.created", count=7)  # 3 first deliveries, 1 resend, 3 replayed
    bodies = [r.body for r in receiver.requests]
    assert len(bodies) == 4
    replayed = bodies[1:] if ids[0].encode() in bodies[0] else bodies
    assert [next(i for i in ids if i.encode() in b) for b in replayed[-3:]] == ids
    assert all(e["pending_webhooks"] == 0 for e in hooks.events())


def test_the_cli_refuses_bad_chaos_naming_the_option() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "paydesk"), "sandbox", "--chaos", "duplicate=7"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "duplicate" in result.stderr and "Traceback" not in result.stderr


def test_the_deliveries_page_is_served(sandbox_url: str) -> None:
    with urllib.request.urlopen(sandbox_url + "/test_helpers/deliveries") as resp:
        page = resp.read().decode()
    assert "Webhook deliveries" in page and "/static/deliveries.js" in page
