"""Benchmark: a year of monthly billing on test clocks.

Run: `.venv/bin/python -m bench.billing` (see bench/README.md). Starts `paydesk sandbox --db`
as a subprocess and a webhook receiver (aiohttp, verifying every signature), subscribes N
customers (default 1,000; three per test clock, Stripe's limit) to a monthly price with a card,
then advances every clock one year in the two-month steps Stripe allows: 12 renewals per
subscription, each an invoice (draft, finalised an hour later) paid through a PaymentIntent.

Prints: time until every clock is `ready` after each step (the API work), the invoices and
events made, and the time until the receiver had acknowledged every signed delivery.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import socket
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import stripe
from aiohttp import web

from bench.processes import HOST, free_port
from bench.sandbox import sandbox_cmd, server

START = 1767225600  # 2026-01-01T00:00:00Z
# Two months at a time (Stripe's limit for monthly subscriptions), then two hours more so the
# last renewal's draft is finalised and paid.
STEPS = [1772323200, 1777593600, 1782864000, 1788220800, 1793491200, 1798761600, 1798768800]
PER_CLOCK = 3
CLOCK_READY_TIMEOUT = 300.0  # seconds one clock may take to reach `ready` after an advance


class Receiver:
    """A webhook receiver in a process of its own (so it does not take the benchmark client's
    interpreter lock), verifying every signature with `stripe.WebhookSignature.verify_header`,
    the check `stripe.Webhook.construct_event` makes; `--receiver sdk` also builds the SDK's
    event object, as `construct_event` does (≈1.5 ms of CPU a delivery, on the same cores).
    Counts unique, correctly signed deliveries; answers 400 to a bad signature."""

    def __init__(self, parse: str) -> None:
        self.port = free_port()
        self.parse = parse
        context = multiprocessing.get_context("spawn")
        self._secret: Any = context.Array("c", 128)  # a char array: .value is its bytes
        self._seen = context.Value("q", 0)
        self._bad = context.Value("q", 0)
        self._last_ack = context.Value("d", 0.0)
        self._process = context.Process(
            target=_serve,
            args=(self.port, parse, self._secret, self._seen, self._bad, self._last_ack),
            daemon=True,
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def seen(self) -> int:
        return int(self._seen.value)

    @property
    def bad(self) -> int:
        return int(self._bad.value)

    @property
    def last_ack(self) -> float:
        return float(self._last_ack.value)

    def set_secret(self, secret: str) -> None:
        self._secret.value = secret.encode()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        self._process.start()
        try:
            self._wait_listening(30)
            yield
        finally:
            self._process.terminate()
            self._process.join(10)

    def _wait_listening(self, timeout: float) -> None:
        """Until the receiver accepts connections; raises if its process dies or it never does."""
        deadline = time.monotonic() + timeout
        while True:
            if not self._process.is_alive():
                raise RuntimeError(f"the webhook receiver exited with {self._process.exitcode} "
                                   f"before listening on {HOST}:{self.port}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.2):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the webhook receiver was not listening on {HOST}:{self.port} "
                                   f"after {timeout:g} s")
            time.sleep(0.05)


def _serve(port: int, parse: str, secret: Any, seen: Any, bad: Any, last_ack: Any) -> None:
    ids: set[str] = set()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get("Stripe-Signature", "")
        key = secret.value.decode()
        try:
            if parse == "sdk":
                event_id = stripe.Webhook.construct_event(body, header, key)["id"]
            else:
                stripe.WebhookSignature.verify_header(body.decode(), header, key)
                event_id = orjson.loads(body)["id"]
        except (ValueError, stripe.SignatureVerificationError):
            bad.value += 1
            return web.Response(status=400)
        ids.add(event_id)
        seen.value = len(ids)
        last_ack.value = time.monotonic()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    web.run_app(app, host=HOST, port=port, access_log=None, print=None)


def _setup(client: stripe.StripeClient, count: int) -> list[str]:
    """N subscribed customers, three per test clock; returns the clock ids."""
    product = client.v1.products.create(params={"name": "Bench plan"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": 4900,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
    )
    clocks: list[str] = []
    for index in range(count):
        if index % PER_CLOCK == 0:
            clocks.append(
                client.v1.test_helpers.test_clocks.create(params={"frozen_time": START}).id
            )
        customer = client.v1.customers.create(
            params={"email": f"bench{index}@example.com", "test_clock": clocks[-1]}
        )
        pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
        client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
        )
        client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}]}
        )
    return clocks


def _advance_year(client: stripe.StripeClient, clocks: list[str], clients: int) -> list[float]:
    """Seconds per two-month step until every clock is ready again. With `clients` > 1 that
    many threads advance clocks side by side (Stripe answers an advance at once, `advancing`;
    a suite with many clocks starts them all, then waits for `ready`)."""
    steps: list[float] = []
    clock_api = client.v1.test_helpers.test_clocks

    def advance(clock: str, target: int) -> None:
        clock_api.advance(clock, params={"frozen_time": target})
        deadline = time.monotonic() + CLOCK_READY_TIMEOUT
        while (status := clock_api.retrieve(clock).status) != "ready":
            if status == "internal_failure":
                raise RuntimeError(f"test clock {clock} failed advancing to {target} ({status})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"test clock {clock} is still {status!r}, not ready, "
                                   f"{CLOCK_READY_TIMEOUT:g} s after advancing it to {target}")
            time.sleep(0.05)

    with ThreadPoolExecutor(clients) as pool:
        for target in STEPS:
            begun = time.monotonic()
            list(pool.map(advance, clocks, [target] * len(clocks)))
            steps.append(time.monotonic() - begun)
            when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(target))
            print(f"  step to {when}: {steps[-1]:.1f}s", flush=True)
    return steps


def _count(port: int, key: str, path: str, **filters: str) -> int:
    """How many objects `path` lists, paging with plain HTTP (the SDK's objects cost more CPU
    than the sandbox spent making them, on the cores the receiver needs)."""
    total = 0
    after = ""
    while True:
        query = urllib.parse.urlencode(
            {"limit": 100, **filters, **({"starting_after": after} if after else {})}
        )
        request = urllib.request.Request(
            f"http://{HOST}:{port}{path}?{query}", headers={"Authorization": f"Bearer {key}"}
        )
        with urllib.request.urlopen(request, timeout=60) as resp:
            page = orjson.loads(resp.read())
        total += len(page["data"])
        if not page["has_more"]:
            return total
        after = page["data"][-1]["id"]


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_acks(receiver: Receiver, due: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    shown = time.monotonic()
    while receiver.seen < due and time.monotonic() < deadline:
        time.sleep(0.1)
        if time.monotonic() - shown > 30:
            shown = time.monotonic()
            print(f"  acked {receiver.seen}/{due} so far", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--events", default="*", help="the endpoint's enabled_events")
    parser.add_argument("--drain-timeout", type=float, default=1800.0)
    parser.add_argument(
        "--clients", type=int, default=1, help="threads advancing clocks side by side"
    )
    parser.add_argument(
        "--receiver",
        choices=["verify", "sdk"],
        default="verify",
        help="verify: the signature check alone; sdk: stripe.Webhook.construct_event",
    )
    args = parser.parse_args(argv)
    port = free_port()
    receiver = Receiver(args.receiver)
    with tempfile.TemporaryDirectory() as tmp, receiver.running():
        db = str(Path(tmp) / "sandbox.db")
        with server(sandbox_cmd(port, db), port, "paydesk sandbox --db") as proc:
            key = "sk_test_" + uuid.uuid4().hex
            client = stripe.StripeClient(
                key, base_addresses={"api": f"http://{HOST}:{port}"}, max_network_retries=0
            )
            endpoint = client.v1.webhook_endpoints.create(
                params={
                    "url": f"http://{HOST}:{receiver.port}/hook",
                    "enabled_events": args.events.split(","),
                }
            )
            receiver.set_secret(str(endpoint.secret))
            begun = time.monotonic()
            clocks = _setup(client, args.subscriptions)
            setup = time.monotonic() - begun
            print(
                f"  setup: {args.subscriptions} subscriptions on {len(clocks)} clocks in "
                f"{setup:.1f}s",
                flush=True,
            )
            year = time.monotonic()
            cpu = _cpu_seconds(proc.pid), _cpu_seconds(receiver.pid), time.process_time()
            steps = _advance_year(client, clocks, args.clients)
            ready = time.monotonic() - year
            ready_at = time.monotonic()
            print(
                "  CPU seconds during the year (to ready): sandbox "
                f"{_cpu_seconds(proc.pid) - cpu[0]:.1f}, receiver "
                f"{_cpu_seconds(receiver.pid) - cpu[1]:.1f}, benchmark client "
                f"{time.process_time() - cpu[2]:.1f}",
                flush=True,
            )
            invoices = _count(port, key, "/v1/invoices")
            # Deliveries due: the events the endpoint subscribed to (all of them with "*").
            events = _count(port, key, "/v1/events")
            wanted = args.events.split(",")
            due = events
            if wanted != ["*"]:
                due = sum(_count(port, key, "/v1/events", type=kind) for kind in wanted)
            _wait_for_acks(receiver, due, args.drain_timeout)
            _table(
                args, clocks, steps, setup, ready, invoices, events, due, receiver, year, ready_at
            )
    return 0


def _table(
    args: argparse.Namespace,
    clocks: list[str],
    steps: list[float],
    setup: float,
    ready: float,
    invoices: int,
    events: int,
    due: int,
    receiver: Receiver,
    year: float,
    ready_at: float,
) -> None:
    acked = receiver.last_ack - year
    after_ready = receiver.last_ack - ready_at
    print()
    print(
        "| subscriptions | clocks | setup (s) | steps | year to ready (s) | invoices | events | "
        "deliveries acked | all acked (s after the year began / after ready) | bad signatures |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.subscriptions} | {len(clocks)} | {setup:.1f} | {len(steps)} | {ready:.1f} | "
        f"{invoices} | {events} | {receiver.seen}/{due} | {acked:.1f} / {after_ready:.1f} | "
        f"{receiver.bad} |"
    )


if __name__ == "__main__":
    raise SystemExit(main())
