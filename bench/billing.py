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
import asyncio
import contextlib
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import stripe
from aiohttp import web

from bench.sandbox import HOST, _free_port, _sandbox_cmd, _server

START = 1767225600  # 2026-01-01T00:00:00Z
# Two months at a time (Stripe's limit for monthly subscriptions), then two hours more so the
# last renewal's draft is finalised and paid.
STEPS = [1772323200, 1777593600, 1782864000, 1788220800, 1793491200, 1798761600, 1798768800]
PER_CLOCK = 3


class Receiver:
    """Counts unique, correctly signed deliveries; answers 400 to a bad signature."""

    def __init__(self) -> None:
        self.secret = ""
        self.seen: set[str] = set()
        self.bad = 0
        self.last_ack = 0.0
        self.port = _free_port()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = stripe.Webhook.construct_event(
                body, request.headers.get("Stripe-Signature", ""), self.secret
            )
        except (ValueError, stripe.SignatureVerificationError):
            self.bad += 1
            return web.Response(status=400)
        self.seen.add(event["id"])
        self.last_ack = time.monotonic()
        return web.Response(text="ok")

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_post("/hook", self.handle)
            runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, HOST, self.port).start())
            started.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        started.wait(10)
        try:
            yield
        finally:
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._loop.stop)
            thread.join(10)


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


def _advance_year(client: stripe.StripeClient, clocks: list[str]) -> list[float]:
    """Seconds per two-month step until every clock is ready again."""
    steps: list[float] = []
    clock_api = client.v1.test_helpers.test_clocks
    for target in STEPS:
        begun = time.monotonic()
        for clock in clocks:
            clock_api.advance(clock, params={"frozen_time": target})
        for clock in clocks:
            while clock_api.retrieve(clock).status != "ready":
                time.sleep(0.01)
        steps.append(time.monotonic() - begun)
        print(
            f"  step to {time.strftime('%Y-%m-%d %H:%M', time.gmtime(target))}: {steps[-1]:.1f}s",
            flush=True,
        )
    return steps


def _count(kind: Any, **filters: Any) -> int:
    total = 0
    page = kind.list(params={"limit": 100, **filters})
    while True:
        total += len(page.data)
        if not page.has_more:
            return total
        page = kind.list(params={"limit": 100, "starting_after": page.data[-1].id, **filters})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--events", default="*", help="the endpoint's enabled_events")
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    port = _free_port()
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp, receiver.running():
        db = str(Path(tmp) / "sandbox.db")
        with _server(_sandbox_cmd(port, db), port, "paydesk sandbox --db"):
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
            receiver.secret = str(endpoint.secret)
            begun = time.monotonic()
            clocks = _setup(client, args.subscriptions)
            print(
                f"  setup: {args.subscriptions} subscriptions on {len(clocks)} clocks in "
                f"{time.monotonic() - begun:.1f}s",
                flush=True,
            )
            begun = time.monotonic()
            steps = _advance_year(client, clocks)
            ready = time.monotonic() - begun
            invoices = _count(client.v1.invoices)
            events = _count(client.v1.events)
            # Deliveries due: the events the endpoint subscribed to (all of them with "*").
            wanted = args.events.split(",")
            due = events if wanted == ["*"] else _count(client.v1.events, types=wanted)
            deadline = time.monotonic() + args.drain_timeout
            while len(receiver.seen) < due and time.monotonic() < deadline:
                time.sleep(0.1)
            acked = receiver.last_ack - begun
            print()
            print(
                "| subscriptions | clocks | steps | to ready (s) | invoices | events | "
                "deliveries acked | all acked after (s) | bad signatures |"
            )
            print("|---|---|---|---|---|---|---|---|---|")
            print(
                f"| {args.subscriptions} | {len(clocks)} | {len(steps)} | {ready:.1f} | "
                f"{invoices} | {events} | {len(receiver.seen)}/{due} | {acked:.1f} | "
                f"{receiver.bad} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
