"""bench/webhooks: unique signed checkout.session.completed deliveries against `paydesk serve`
(SQLite, configured as for real Stripe against a standalone sandbox), then against the naive
baseline (bench/webhooks/naive.py). Prints deliveries/s, ack latency, errors, fulfilled.

    .venv/bin/python -m bench.webhooks [--orders 6000] [--connections 16,64]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, insert, select

from bench._loadgen import Result, fire, post_request
from bench.processes import HOST, free_port, paydesk_cmd, stop, wait_http
from paydesk.catalog.tables import products
from paydesk.orders.tables import order_items, orders
from paydesk.store.engine import make_engine
from paydesk.webhooks.signature import sign

SECRET = "whsec_bench"
ROOT = Path(__file__).resolve().parents[2]


def seed_orders(db_url: str, count: int) -> list[str]:
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    ids = ["ord_" + uuid.uuid4().hex for _ in range(count)]
    with engine.begin() as conn:
        have = select(products.c.id).where(products.c.id == "bench-ebook")
        if conn.execute(have).first() is None:
            conn.execute(
                insert(products).values(
                    id="bench-ebook",
                    name="Bench e-book",
                    description="",
                    unit_amount=1500,
                    currency="usd",
                    stock=10**9,
                    type="digital",
                    resource="https://files.test/b",
                    active=True,
                )
            )
        conn.execute(
            insert(orders),
            [
                {
                    "id": oid,
                    "status": "pending",
                    "email": "buyer@example.com",
                    "currency": "usd",
                    "amount_total": 1500,
                    "amount_refunded": 0,
                    "stock_state": "reserved",
                    "checkout_session_id": "cs_" + oid,
                    "created_at": now,
                    "updated_at": now,
                }
                for oid in ids
            ],
        )
        conn.execute(
            insert(order_items),
            [
                {
                    "order_id": oid,
                    "product_id": "bench-ebook",
                    "name": "Bench e-book",
                    "unit_amount": 1500,
                    "quantity": 1,
                }
                for oid in ids
            ],
        )
    engine.dispose()
    return ids


def _fulfilled(db_url: str) -> int:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(orders).where(orders.c.status == "fulfilled")
        ).scalar_one()
    engine.dispose()
    return int(n)


def completed_event(order_id: str) -> dict[str, Any]:
    """A checkout.session.completed shaped like Stripe's (about 2 KB)."""
    created = int(time.time())
    return {
        "id": "evt_" + uuid.uuid4().hex,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_" + order_id,
                "object": "checkout.session",
                "amount_subtotal": 1500,
                "amount_total": 1500,
                "cancel_url": "http://127.0.0.1/payment/cancel",
                "client_reference_id": order_id,
                "created": created,
                "currency": "usd",
                "customer": None,
                "customer_creation": "if_required",
                "customer_details": {
                    "address": None,
                    "email": "buyer@example.com",
                    "name": "Bench Buyer",
                    "phone": None,
                    "tax_exempt": "none",
                    "tax_ids": [],
                },
                "customer_email": "buyer@example.com",
                "expires_at": created + 86400,
                "livemode": False,
                "locale": None,
                "metadata": {"order_id": order_id},
                "mode": "payment",
                "payment_intent": "pi_" + order_id[4:28],
                "payment_method_types": ["card"],
                "payment_status": "paid",
                "status": "complete",
                "submit_type": None,
                "subscription": None,
                "success_url": "http://127.0.0.1/payment/success?session_id={CHECKOUT_SESSION_ID}",
                "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                "url": None,
            }
        },
    }


def _requests(port: int, order_ids: list[str]) -> list[bytes]:
    out = []
    for order_id in order_ids:
        body = orjson.dumps(completed_event(order_id))
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": sign(body, SECRET),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        out.append(post_request(HOST, port, "/api/webhook", body, headers))
    return out


def _wait_fulfilled(db_url: str, expected: int, timeout: float = 300) -> tuple[int, float]:
    started = time.perf_counter()
    while True:
        done = _fulfilled(db_url)
        if done >= expected or time.perf_counter() - started > timeout:
            return done, time.perf_counter() - started
        time.sleep(0.2)


RATES: dict[tuple[str, int], float] = {}


def _row(name: str, conns: int, r: Result, fulfilled: str, extra: str = "") -> str:
    RATES[(name, conns)] = r.rate
    return (
        f"{name:<16}{conns:>6}{len(r.latencies) + r.errors:>9}{r.rate:>12.0f}"
        f"{r.percentile(50):>10.1f}{r.percentile(99):>10.1f}{r.errors:>8}{fulfilled:>12}{extra}"
    )


def bench_paydesk(tmp: Path, n: int, levels: list[int]) -> list[str]:
    sandbox_port, app_port = free_port(), free_port()
    db_url = f"sqlite:///{tmp}/paydesk.db"
    logs = open(tmp / "serve.log", "wb")  # noqa: SIM115
    sandbox = subprocess.Popen(
        [*paydesk_cmd(), "sandbox", "--port", str(sandbox_port)], stdout=logs, stderr=logs
    )
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "STRIPE_API_BASE": f"http://{HOST}:{sandbox_port}",
        "PAYDESK_ADMIN_TOKEN": "bench",
        "PAYDESK_ENV": "development",
    }
    serve = None
    rows = []
    try:
        try:
            wait_http(f"http://{HOST}:{sandbox_port}/", sandbox)
        except SystemExit as exc:
            # The hot path never calls Stripe, so the figures do not depend on the sandbox.
            print(f"note: standalone sandbox unavailable ({exc}); serving without it", flush=True)
        serve = subprocess.Popen(
            [*paydesk_cmd(), "serve", "--host", HOST, "--port", str(app_port)],
            env=env,
            stdout=logs,
            stderr=logs,
            cwd=tmp,
        )
        wait_http(f"http://{HOST}:{app_port}/healthz", serve)
        total = 0
        # Warm-up: first connections, first statements compiled.
        warm = seed_orders(db_url, 200)
        fire(HOST, app_port, _requests(app_port, warm), 8)
        total += len(warm)
        _wait_fulfilled(db_url, total)
        for conns in levels:
            ids = seed_orders(db_url, n)
            result = fire(HOST, app_port, _requests(app_port, ids), conns)
            total += n
            done, lag = _wait_fulfilled(db_url, total)
            rows.append(
                _row(
                    "paydesk serve",
                    conns,
                    result,
                    f"{done - total + n}/{n}",
                    f"   (all fulfilled {lag:.1f}s after the last ack)",
                )
            )
            print(rows[-1], flush=True)
    finally:
        if serve is not None:
            stop(serve)
        stop(sandbox)
        logs.close()
    return rows


def bench_naive(tmp: Path, n: int, levels: list[int]) -> list[str]:
    port = free_port()
    env = {**os.environ, "DB": str(tmp / "naive.db"), "SECRET": SECRET}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.webhooks.naive:app",
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    rows = []
    try:
        wait_http(f"http://{HOST}:{port}/docs", proc)
        fire(HOST, port, _requests(port, ["ord_warm" + str(i) for i in range(200)]), 8)
        for conns in levels:
            ids = ["ord_" + uuid.uuid4().hex for _ in range(n)]
            result = fire(HOST, port, _requests(port, ids), conns)
            rows.append(_row("naive baseline", conns, result, "n/a"))
            print(rows[-1], flush=True)
    finally:
        stop(proc)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=6000, help="deliveries per level")
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--dir", default=None, help="where the databases go (default: a temp dir)")
    args = parser.parse_args()
    levels = [int(c) for c in args.connections.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-", dir=args.dir))
    header = (
        f"{'target':<16}{'conns':>6}{'sent':>9}{'deliv/s':>12}{'p50 ms':>10}"
        f"{'p99 ms':>10}{'errors':>8}{'fulfilled':>12}"
    )
    print(header, flush=True)
    try:
        ours = bench_paydesk(tmp, args.orders, levels)
        naive = [] if args.skip_naive else bench_naive(tmp, args.orders, levels)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n" + header)
    print("\n".join(ours + naive))
    for conns in levels:
        if ("naive baseline", conns) in RATES:
            ratio = RATES[("paydesk serve", conns)] / max(1.0, RATES[("naive baseline", conns)])
            print(f"throughput vs naive baseline at {conns} connections: {ratio:.1f}x")


if __name__ == "__main__":
    main()
