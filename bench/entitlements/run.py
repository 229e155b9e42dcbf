"""bench/entitlements: GET /api/entitlements/{email} (and GET /api/orders/{id} beside it)
against `paydesk serve` on SQLite, closed loop, keep-alive, at each concurrency level.

    .venv/bin/python -m bench.entitlements [--subscriptions 10000] [--connections 16,64]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench._loadgen import Result, run_sync
from bench.processes import HOST, free_port, paydesk_cmd, stop, wait_http
from paydesk.billing.tables import subscriptions
from paydesk.orders.tables import orders
from paydesk.store.engine import make_engine
from paydesk.store.migrate import upgrade

TOKEN = "bench-admin-token"
STATUSES = ("active", "trialing", "past_due", "canceled", "unpaid")


def _seed(db_url: str, n: int) -> tuple[list[str], list[str]]:
    """n subscriptions (a tenth of the emails hold two) and n paid orders, straight into the
    database: the read path is what is measured."""
    upgrade(db_url)
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    emails = [f"user{i}@example.com" for i in range(n)]
    subs = [
        {"id": f"sub_{uuid.uuid4().hex}", "customer_id": f"cus_{i}", "email": emails[i % n if
         i < n else i % (n // 10 or 1)], "plan_id": "club", "status": STATUSES[i % 5],
         "quantity": 1, "unit_amount": 4900, "currency": "eur", "interval": "month",
         "interval_count": 1, "current_period_end": now + timedelta(days=i % 30),
         "cancel_at_period_end": False, "event_created": 0, "access": True,
         "grace_until": now + timedelta(days=3) if STATUSES[i % 5] == "past_due" else None,
         "created_at": now, "updated_at": now}
        for i in range(n + n // 10)
    ]
    order_ids = [f"ord_{uuid.uuid4().hex}" for _ in range(n)]
    with engine.begin() as conn:
        conn.execute(insert(subscriptions), subs)
        conn.execute(insert(orders), [
            {"id": oid, "status": "fulfilled", "email": "b@example.com", "currency": "usd",
             "amount_total": 2800, "amount_refunded": 0, "stock_state": "committed",
             "created_at": now, "updated_at": now} for oid in order_ids
        ])
    engine.dispose()
    return emails, order_ids


def _gets(port: int, paths: list[str], auth: bool) -> list[bytes]:
    head = f"Host: {HOST}:{port}\r\n" + (f"Authorization: Bearer {TOKEN}\r\n" if auth else "")
    return [f"GET {p} HTTP/1.1\r\n{head}\r\n".encode() for p in paths]


def _row(name: str, conns: int, r: Result) -> str:
    return (f"| {name:<28} | {conns:>5} | {r.rate:>8.0f} | {r.percentile(50):>6.1f} | "
            f"{r.percentile(99):>6.1f} | {r.errors:>6} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    levels = [int(c) for c in args.connections.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/paydesk.db"
        emails, order_ids = _seed(db_url, args.subscriptions)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": db_url, "STRIPE_SECRET_KEY": "sk_test_bench",
               "STRIPE_WEBHOOK_SECRET": "whsec_bench", "STRIPE_API_BASE": "http://127.0.0.1:9",
               "PAYDESK_ADMIN_TOKEN": TOKEN, "RECONCILE_INTERVAL_SECONDS": "0"}
        logs = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115
        serve = subprocess.Popen([*paydesk_cmd(), "serve", "--host", HOST, "--port", str(port)],
                                 env=env, stdout=logs, stderr=logs, cwd=tmp)
        rows = []
        try:
            wait_http(f"http://{HOST}:{port}/healthz", serve)
            targets = [
                ("GET /api/entitlements/{email}",
                 _gets(port, [f"/api/entitlements/{e}" for e in emails], auth=True)),
                ("GET /api/orders/{id}", _gets(port, [f"/api/orders/{o}" for o in order_ids],
                                               auth=False)),
            ]
            for name, requests in targets:
                for conns in levels:
                    result = run_sync(HOST, port, lambda n, r=requests: r[n % len(r)], conns,
                                      args.duration, 2.0)
                    rows.append(_row(name, conns, result))
                    print(rows[-1], flush=True)
        finally:
            stop(serve)
            logs.close()
    print("\n| target                       | conns |  req/s   | p50 ms | p99 ms | errors |")
    print("|------------------------------|-------|----------|--------|--------|--------|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
