"""Benchmark: PaymentIntent create+confirm against `paydesk sandbox --db` and localstripe.

Run: `.venv/bin/python -m bench.sandbox` (see bench/README.md). Each target runs as a real
subprocess on loopback; the load comes from bench/_loadgen.py (raw asyncio streams, keep-alive,
one fresh Idempotency-Key per request). Four rows:

1. `paydesk sandbox --db <tmp>` fresh (persistence on);
2. localstripe fresh (`--from-scratch`), same request; then
3. localstripe again, same process (holding row 2's objects);
4. the same paydesk sandbox after its account was given N customers (default 100,000) — seeded
   by running the sandbox's own `POST /v1/customers` handler, in a separate process, against the
   same SQLite file while the server is stopped; the restarted server loads them from disk.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench import _loadgen
from bench.processes import HOST, free_port, paydesk_cmd, stop

API_KEY = "sk_test_bench"
PI_BODY = "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa"
CUSTOMER_BODY = "email=bench%40example.com&name=Bench"


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> float:
    """Seconds until the server answers an authenticated GET (it may be loading a big db)."""
    begun = time.monotonic()
    while time.monotonic() - begun < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            _request(port, "GET", "/v1/customers?limit=1")
            return time.monotonic() - begun
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def _request(port: int, method: str, path: str, body: str | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    req = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=body.encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": f"Bearer {API_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@contextlib.contextmanager
def server(cmd: list[str], port: int, label: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        took = _wait_ready(port, proc)
        print(f"  {label}: ready in {took:.1f}s (pid {proc.pid})", flush=True)
        yield proc
    finally:
        # SIGINT is a graceful stop for both servers (the sandbox flushes and closes its db).
        stop(proc, signal.SIGINT, timeout=30)


def sandbox_cmd(port: int, db: str) -> list[str]:
    return [*paydesk_cmd(), "sandbox", "--host", HOST, "--port", str(port), "--db", db]


def _check(port: int, path: str, body: str) -> str:
    """One request before the load: proves the target does the real work (a succeeded PI)."""
    status, answer = _request(port, "POST", path, body)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}: {answer}")
    return str(answer.get("status") or answer.get("object"))


def seed_customers(db: str, count: int) -> int:
    """Create `count` customers in the bench account with the sandbox's own create handler (so
    each is exactly what `POST /v1/customers` makes, with its `customer.created` event), written
    through the store's normal flush. Returns the account's object count."""
    from paydesk.sandbox.routes import load_all
    from paydesk.sandbox.routing import Call, api
    from paydesk.sandbox.store import Store

    load_all()
    store = Store(db)
    try:
        account = store.account_for_key(API_KEY)
        found = api.match("POST", "/v1/customers")
        assert found is not None
        handler = found[0]
        now = int(time.time())
        for n in range(count):
            params = {"email": f"seed{n}@example.com", "name": f"Seed {n}"}
            handler(Call(account, params, (), f"http://{HOST}", f"req_seed{n}", "POST", "", now))
            if n % 5000 == 4999:
                store.flush()
        store.flush()
        return account.count()
    finally:
        store.close()


def _seed_in_subprocess(db: str, count: int) -> int:
    # Not in this process: the load generator shares two cores with the server and must stay
    # lean (a heap left behind by seeding cost it a third of its pace).
    code = f"from bench.sandbox import seed_customers; print(seed_customers({db!r}, {count}))"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(done.stdout.strip().splitlines()[-1])


def _measure(port: int, path: str, body: str, args: argparse.Namespace) -> _loadgen.Result:
    make = _loadgen.form_post(HOST, port, path, body, API_KEY)
    return _loadgen.run_sync(
        HOST, port, make, connections=args.connections, duration=args.duration, warmup=args.warmup
    )


def _profiler(pid: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    fmt = "raw" if str(args.profile).endswith(".txt") else "flamegraph"
    seconds = str(int(args.warmup + args.duration))
    cmd = [_bin("py-spy"), "record", "-p", str(pid), "-d", seconds, "-r", "200", "--nonblocking"]
    return subprocess.Popen(
        [*cmd, "-f", fmt, "-o", str(args.profile)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _row(target: str, result: _loadgen.Result) -> str:
    return (
        f"| {target:<44} | {result.rate:>9.1f} | {result.percentile(50):>7.1f} "
        f"| {result.percentile(99):>7.1f} | {result.errors:>6} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox", description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--objects", type=int, default=100_000, help="customers to seed")
    parser.add_argument("--no-localstripe", action="store_true")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="record the fresh sandbox run with py-spy into FILE (.svg flame graph, or "
        ".txt collapsed stacks)",
    )
    parser.add_argument(
        "--endpoint",
        choices=["payment_intents", "customers"],
        default="payment_intents",
        help="what to load (customers: the harness alone, cheaper handler)",
    )
    args = parser.parse_args(argv)
    path, body = (
        ("/v1/payment_intents", PI_BODY)
        if args.endpoint == "payment_intents"
        else ("/v1/customers", CUSTOMER_BODY)
    )
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        db = os.path.join(tmp, "sandbox.db")
        port = free_port()
        print(
            f"paydesk sandbox --db {db}, {args.connections} connections, "
            f"{args.warmup:g}s warm-up + {args.duration:g}s, POST {path} {body}",
            flush=True,
        )
        with server(sandbox_cmd(port, db), port, "paydesk sandbox") as proc:
            print(f"  check: {_check(port, path, body)}", flush=True)
            spy = _profiler(proc.pid, args) if args.profile else None
            rows.append(_row("paydesk sandbox --db (fresh)", _measure(port, path, body, args)))
            print(rows[-1], flush=True)
            if spy is not None:
                spy.wait()
                print(f"  profile: {args.profile}", flush=True)

        begun = time.monotonic()
        total = _seed_in_subprocess(db, args.objects)
        print(
            f"  seeded {args.objects} customers in {time.monotonic() - begun:.1f}s "
            "(the create handler, run by a separate process on the same SQLite file); "
            f"the account holds {total} objects",
            flush=True,
        )
        with server(sandbox_cmd(port, db), port, "paydesk sandbox (restarted)"):
            status, page = _request(port, "GET", "/v1/customers?limit=1")
            assert status == 200 and page["data"], "restart did not load the seeded customers"
            result = _measure(port, path, body, args)
            rows.append(_row(f"paydesk sandbox --db (+{args.objects} customers)", result))
            print(rows[-1], flush=True)

        # localstripe last, so it cannot disturb the two sandbox rows: run between them, it left
        # the second one 25-40% slower than the same row without it (seen here; it rewrites a
        # pickle of its whole store on every write).
        if not args.no_localstripe:
            ls_port = free_port()
            cmd = [_bin("localstripe"), "--port", str(ls_port), "--from-scratch"]
            with server(cmd, ls_port, "localstripe"):
                print(f"  check: {_check(ls_port, path, body)}", flush=True)
                result = _measure(ls_port, path, body, args)
                rows.append(_row("localstripe --from-scratch (fresh)", result))
                print(rows[-1], flush=True)
                # It pickles its whole store after every write, so each call costs more than
                # the last; seeding it with 100,000 objects would take hours. Its second run
                # (holding the first run's objects) shows the trend.
                result = _measure(ls_port, path, body, args)
                rows.append(_row("localstripe (second run, same process)", result))
                print(rows[-1], flush=True)

    header = (
        f"| {'target':<44} | {'req/s':>9} | {'p50 ms':>7} | {'p99 ms':>7} | {'errors':>6} |\n"
        f"|{'-' * 46}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 8}|"
    )
    print()
    print(header)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
