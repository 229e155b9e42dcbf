"""bench.shop_billing: N subscriptions advanced a year by the sandbox's test clock, the shop
receiving every event; how long until every entitlement is right after the clock is ready.

    .venv/bin/python -m bench.shop_billing [--subscriptions 1000] [--months 12]

A standalone sandbox and `paydesk serve` (SQLite, configured as for real Stripe) run as
subprocesses; the sandbox delivers its signed webhooks to the shop. N customers share one test
clock (each with a card), each subscribes to a monthly plan; the clock moves a month at a time.
After each step: how long the sandbox took to advance, and how long after the clock was ready the
shop's local record matched Stripe's for every subscription (status and current period end).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import stripe
from sqlalchemy import insert, select

from bench.processes import HOST, free_port, paydesk_cmd, stop, wait_http
from paydesk.billing.tables import subscriptions
from paydesk.catalog.tables import products
from paydesk.store.engine import aware, make_engine
from paydesk.store.migrate import upgrade

KEY = "sk_test_bench_shop_billing"
MONTH_STEP = 31 * 86400


def _setup(client: stripe.StripeClient, db_url: str, n: int) -> tuple[str, list[str]]:
    product = client.v1.products.create({"name": "The Club"})
    price = client.v1.prices.create({"product": product.id, "unit_amount": 4900,
                                     "currency": "eur", "recurring": {"interval": "month"}})
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(insert(products).values(
            id="club", name="The Club", description="", unit_amount=4900, currency="eur",
            type="recurring", interval="month", interval_count=1, stripe_product_id=product.id,
            stripe_price_id=price.id, active=True, stock=None))
    engine.dispose()
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": int(time.time())})

    def subscribe(i: int) -> str:
        customer = client.v1.customers.create(
            {"email": f"member{i}@example.com", "test_clock": clock.id})
        pm = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
        sub = client.v1.subscriptions.create({
            "customer": customer.id, "items": [{"price": price.id}],
            "default_payment_method": pm.id, "metadata": {"plan_id": "club"}})
        return str(sub.id)

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(subscribe, range(n)))
    return str(clock.id), ids


def _truth(client: stripe.StripeClient) -> dict[str, tuple[str, int]]:
    found = {}
    for sub in client.v1.subscriptions.list({"limit": 100, "status": "all"}).auto_paging_iter():
        found[sub.id] = (sub.status, int(sub["items"].data[0].current_period_end))
    return found


def _local(db_url: str) -> dict[str, tuple[str, int]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(subscriptions.c.id, subscriptions.c.status,
                                       subscriptions.c.current_period_end)).all()
    finally:
        engine.dispose()
    return {r.id: (r.status, int(aware(r.current_period_end).timestamp()))  # type: ignore[union-attr]
            for r in rows if r.current_period_end is not None}


def _consistent_after(client: stripe.StripeClient, db_url: str, timeout: float) -> float:
    """Seconds from now until the shop's record equals Stripe's for every subscription."""
    started = time.monotonic()
    truth = _truth(client)
    while time.monotonic() - started < timeout:
        local = _local(db_url)
        if all(local.get(k) == v for k, v in truth.items()):
            return time.monotonic() - started
        time.sleep(0.2)
    wrong = sum(_local(db_url).get(k) != v for k, v in truth.items())
    raise SystemExit(f"not consistent after {timeout:.0f}s: {wrong} subscriptions differ")


def _serve(tmp: Path, n: int, months: int) -> list[str]:
    sandbox_port, app_port = free_port(), free_port()
    db_url = f"sqlite:///{tmp}/paydesk.db"
    upgrade(db_url)
    logs = open(tmp / "serve.log", "wb")  # noqa: SIM115
    sandbox = subprocess.Popen([*paydesk_cmd(), "sandbox", "--port", str(sandbox_port),
                                "--webhook-retry-delays", "1,2,5"], stdout=logs, stderr=logs)
    serve = None
    rows: list[str] = []
    try:
        wait_http(f"http://{HOST}:{sandbox_port}/", sandbox)
        client = stripe.StripeClient(KEY, base_addresses={"api": f"http://{HOST}:{sandbox_port}"})
        endpoint = client.v1.webhook_endpoints.create(
            {"url": f"http://{HOST}:{app_port}/api/webhook", "enabled_events": ["*"]})
        env = {**os.environ, "DATABASE_URL": db_url, "STRIPE_SECRET_KEY": KEY,
               "STRIPE_WEBHOOK_SECRET": str(endpoint.secret), "PAYDESK_ADMIN_TOKEN": "bench",
               "STRIPE_API_BASE": f"http://{HOST}:{sandbox_port}",
               "RECONCILE_INTERVAL_SECONDS": "0"}
        serve = subprocess.Popen([*paydesk_cmd(), "serve", "--host", HOST, "--port", str(app_port)],
                                 env=env, stdout=logs, stderr=logs, cwd=tmp)
        wait_http(f"http://{HOST}:{app_port}/healthz", serve)
        begun = time.monotonic()
        clock_id, _ids = _setup(client, db_url, n)
        lag = _consistent_after(client, db_url, 600)
        rows.append(_row("subscribe", time.monotonic() - begun - lag, lag))
        print(rows[-1], flush=True)
        frozen = int(client.v1.test_helpers.test_clocks.retrieve(clock_id).frozen_time)
        total_lag = 0.0
        for month in range(1, months + 1):
            frozen += MONTH_STEP
            t0 = time.monotonic()
            client.v1.test_helpers.test_clocks.advance(clock_id, {"frozen_time": frozen})
            advanced = time.monotonic() - t0
            lag = _consistent_after(client, db_url, 600)
            total_lag += lag
            rows.append(_row(f"month {month}", advanced, lag))
            print(rows[-1], flush=True)
        rows.append(_row(f"{months} months in all", None, total_lag))
    finally:
        if serve is not None:
            stop(serve)
        stop(sandbox)
        logs.close()
    return rows


def _row(step: str, advanced: float | None, lag: float) -> str:
    took = "—" if advanced is None else f"{advanced:.1f}"  # the total has no single advance
    return f"| {step:<18} | {took:>12} | {lag:>22.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    print(f"{args.subscriptions} subscriptions, {args.months} months, "
          f"{datetime.now(UTC):%Y-%m-%d}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        rows = _serve(Path(tmp), args.subscriptions, args.months)
    print("\n| step               | sandbox s    | shop consistent after s |")
    print("|--------------------|--------------|------------------------|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
