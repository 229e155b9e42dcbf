"""bench.soak: N paid orders delivered to `paydesk serve` the way Stripe can deliver them
(about 30 % duplicates, shuffled, retried until acknowledged) while the shop is killed with
SIGKILL K times; then checks that every order ended fulfilled exactly once.

    .venv/bin/python -m bench.soak --orders 2000 [--pg] [--kills 2] [--serves 2]

Prints orders, duplicates, kills, lost, doubled, p99 acknowledgement and the time from the
last acknowledgement to consistency (every order fulfilled); exits 1 when anything is lost or
doubled. `--pg` uses a fresh database on PAYDESK_BENCH_PG's server (default: the machine's
PostgreSQL); `--serves 2` runs two shop processes on it, deliveries spread over both.
`--backlog` measures processing alone: N events stored at once, drained by the running shop(s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from sqlalchemy import func, select

from bench._loadgen import post_request, read_response
from bench.processes import HOST, free_port, paydesk_cmd, stop, wait_http
from bench.webhooks.run import SECRET, completed_event, seed_orders
from paydesk.fulfilment.tables import access_grants
from paydesk.notify.tables import outbox
from paydesk.orders.tables import orders
from paydesk.store.engine import make_engine
from paydesk.webhooks.inbox import inbox_row, store_events
from paydesk.webhooks.signature import sign

PG_ADMIN = os.environ.get("PAYDESK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
CONSISTENCY_TIMEOUT = 600.0
_ORDER_ID = re.compile(r"ord_[0-9a-f]{32}")


@dataclass
class Delivery:
    order_id: str
    body: bytes  # the event, signed again at each attempt (as Stripe does on a retry)


@dataclass
class Tally:
    acks: list[float] = field(default_factory=list)  # seconds, acknowledged attempts
    attempts: int = 0
    last_ack: float = 0.0


class Shop:
    """One `paydesk serve` process that can be killed with SIGKILL and started again."""

    def __init__(self, db_url: str, workdir: Path, log: Path) -> None:
        self.port = free_port()
        self.db_url, self.workdir, self.log = db_url, workdir, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ, "DATABASE_URL": self.db_url, "STRIPE_SECRET_KEY": "sk_test_soak",
            "STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_API_BASE": "http://127.0.0.1:9",
            "PAYDESK_ADMIN_TOKEN": "soak-admin-token-0123456789abcdef",
            "PAYDESK_ENV": "development", "RECONCILE_INTERVAL_SECONDS": "0",
        }
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [*paydesk_cmd(), "serve", "--host", HOST, "--port", str(self.port)],
                env=env, stdout=out, stderr=out, cwd=self.workdir,
            )
        wait_http(f"http://{HOST}:{self.port}/healthz", self.proc)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop(self.proc, timeout=30)


async def _deliver(port: int, queue: list[Delivery], failed: list[Delivery], tally: Tally) -> None:
    """One keep-alive connection: each delivery once; refused or cut off → `failed` (retried)."""
    reader = writer = None
    while queue:
        item = queue.pop()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            assert reader is not None
            headers = {"Content-Type": "application/json",
                       "Stripe-Signature": sign(item.body, SECRET)}
            started = time.perf_counter()
            tally.attempts += 1
            writer.write(post_request(HOST, port, "/api/webhook", item.body, headers))
            status, _ = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError):
            failed.append(item)
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)  # the shop is down: do not spin
            continue
        if status == 200:
            tally.last_ack = time.perf_counter()
            tally.acks.append(tally.last_ack - started)
        else:
            failed.append(item)
    if writer is not None:
        writer.close()


async def _send(ports: list[int], items: list[Delivery], connections: int,
                tally: Tally) -> list[Delivery]:
    """Send every item once over `connections` sockets spread over the shops; returns the
    items not acknowledged."""
    queue, failed = list(reversed(items)), list[Delivery]()
    await asyncio.gather(*(
        _deliver(ports[i % len(ports)], queue, failed, tally) for i in range(connections)
    ))
    return failed


def _deliveries(order_ids: list[str], duplicates: float, rng: random.Random) -> list[Delivery]:
    events = [Delivery(o, orjson.dumps(completed_event(o))) for o in order_ids]
    copies = [rng.choice(events) for _ in range(int(len(events) * duplicates))]
    everything = events + copies
    rng.shuffle(everything)
    return everything


def _run_deliveries(shops: list[Shop], items: list[Delivery], kills: int, connections: int,
                    tally: Tally) -> int:
    """Deliver everything, killing (and restarting) the first shop `kills` times while
    deliveries are in flight; unacknowledged deliveries are retried, like Stripe does."""
    segments = [items[i::kills + 1] for i in range(kills + 1)]
    ports = [s.port for s in shops]
    pending: list[Delivery] = []
    done = 0
    for number, segment in enumerate(segments):
        if number < kills:
            async def with_kill(batch: list[Delivery] = segment) -> list[Delivery]:
                sending = asyncio.ensure_future(_send(ports, batch, connections, tally))
                await asyncio.sleep(0.3)  # mid-burst
                await asyncio.to_thread(shops[0].kill)
                done_failed = await sending
                return done_failed
            pending += asyncio.run(with_kill())
            done += 1
            shops[0].start()
        else:
            pending += asyncio.run(_send(ports, segment, connections, tally))
    rounds = 0
    while pending and rounds < 20:
        rounds += 1
        time.sleep(0.5)  # Stripe waits before a retry too
        pending = asyncio.run(_send(ports, pending, connections, tally))
    if pending:
        raise SystemExit(f"{len(pending)} deliveries were never acknowledged")
    return done


def _outcome(db_url: str, order_ids: list[str]) -> tuple[int, int]:
    """(orders not fulfilled, orders fulfilled more than once). Doubled is counted from what
    a buyer would see, not from the keys that are meant to prevent it: confirmation emails
    per order id named in their subject, and access grants per order."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        fulfilled = conn.execute(
            select(func.count()).select_from(orders).where(orders.c.status == "fulfilled")
        ).scalar_one()
        subjects = [orjson.loads(p)["subject"] for p in conn.execute(select(outbox.c.payload))
                    .scalars()]
        grants = conn.execute(
            select(access_grants.c.order_id, func.count())
            .group_by(access_grants.c.order_id).having(func.count() > 1)
        ).all()
    engine.dispose()
    emails = Counter(found.group(0) for s in subjects if (found := _ORDER_ID.search(s)))
    doubled = {o for o, n in emails.items() if n > 1} | {row.order_id for row in grants}
    return len(order_ids) - int(fulfilled), len(doubled)


def _wait_consistent(db_url: str, order_ids: list[str], since: float) -> tuple[int, float]:
    while True:
        lost, _ = _outcome(db_url, order_ids)
        waited = time.perf_counter() - since
        if lost == 0 or waited > CONSISTENCY_TIMEOUT:
            return lost, waited
        time.sleep(0.1)


@contextmanager
def _database(pg: bool, tmp: Path) -> Iterator[str]:
    if not pg:
        yield f"sqlite:///{tmp}/soak.db"
        return
    import psycopg

    name = "soak_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _store_backlog(db_url: str, order_ids: list[str]) -> None:
    """The events of `order_ids` straight into the inbox (as if acknowledged while every shop
    was down), in one transaction, for the running shops to process."""
    rows = []
    for order_id in order_ids:
        event = completed_event(order_id)
        rows.append(inbox_row(event, orjson.dumps(event).decode()))
    engine = make_engine(db_url)
    with engine.begin() as conn:
        store_events(conn, rows)
    engine.dispose()


def backlog(args: argparse.Namespace, tmp: Path) -> int:
    """Processing speed alone: a stored backlog drained by the running shop(s)."""
    with _database(args.pg, tmp) as db_url:
        shops = [Shop(db_url, tmp, tmp / f"serve{i}.log") for i in range(args.serves)]
        try:
            for shop in shops:
                shop.start()
            order_ids = seed_orders(db_url, args.orders)
            started = time.perf_counter()
            _store_backlog(db_url, order_ids)
            lost, took = _wait_consistent(db_url, order_ids, started)
            _, doubled = _outcome(db_url, order_ids)
        finally:
            for shop in shops:
                shop.stop()
    print(f"database            {'postgresql' if args.pg else 'sqlite'} "
          f"({args.serves} serve process{'es' if args.serves > 1 else ''})")
    print(f"backlog             {args.orders} stored events")
    print(f"processed in        {took:.2f} s = {args.orders / took:.0f} events/s "
          "(from the commit of the backlog to every order fulfilled)")
    print(f"lost                {lost}")
    print(f"doubled             {doubled}")
    return 1 if lost or doubled else 0


def soak(args: argparse.Namespace, tmp: Path) -> int:
    rng = random.Random(args.seed)
    with _database(args.pg, tmp) as db_url:
        shops = [Shop(db_url, tmp, tmp / f"serve{i}.log") for i in range(args.serves)]
        try:
            for shop in shops:
                shop.start()
            order_ids = seed_orders(db_url, args.orders)
            items = _deliveries(order_ids, args.duplicates, rng)
            tally = Tally()
            started = time.perf_counter()
            kills = _run_deliveries(shops, items, args.kills, args.connections, tally)
            behind, _ = _outcome(db_url, order_ids)
            lost, settle = _wait_consistent(db_url, order_ids, tally.last_ack)
            total = time.perf_counter() - started
            _, doubled = _outcome(db_url, order_ids)
        finally:
            for shop in shops:
                shop.stop()
    acks = sorted(tally.acks)
    p99 = acks[max(0, int(len(acks) * 0.99) - 1)] * 1000 if acks else float("nan")
    print(f"database            {'postgresql' if args.pg else 'sqlite'} "
          f"({args.serves} serve process{'es' if args.serves > 1 else ''})")
    print(f"orders              {args.orders}")
    print(f"duplicates          {len(items) - args.orders}")
    print(f"deliveries          {len(items)} ({tally.attempts} attempts, retries included)")
    print(f"kills               {kills}")
    print(f"lost                {lost}")
    print(f"doubled             {doubled}")
    print(f"p99 ack             {p99:.1f} ms")
    print(f"time to consistency {settle:.2f} s after the last ack "
          f"({behind} orders unfulfilled at the last ack)")
    print(f"orders/s end to end {args.orders / total:.0f} (first delivery to all fulfilled)")
    return 1 if lost or doubled else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--kills", type=int, default=0, help="kill -9 of the shop, mid-burst")
    parser.add_argument("--serves", type=int, default=1, help="shop processes (PostgreSQL)")
    parser.add_argument("--duplicates", type=float, default=0.3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--backlog", action="store_true",
                        help="measure processing alone: store N events, time the drain")
    args = parser.parse_args()
    if args.serves > 1 and not args.pg:
        parser.error("--serves above 1 needs --pg (SQLite is one process's database)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    try:
        code = backlog(args, tmp) if args.backlog else soak(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
