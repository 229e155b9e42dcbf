"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams.

Why not httpx/aiohttp: on a 2-core machine the client must cost far less than the server it
measures. Here every connection keeps one socket alive and sends pre-built request bytes; the only
per-request work is splicing in a fresh Idempotency-Key (as the Stripe SDKs send one per POST) and
reading one response.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

RequestFactory = Callable[[int], bytes]


def post_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """One complete POST, ready to write to a keep-alive socket."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def form_post(
    host: str, port: int, path: str, body: str, api_key: str, idempotent: bool = True
) -> RequestFactory:
    """A factory of form-encoded POSTs with Bearer auth, each with its own Idempotency-Key.

    The bytes around the key are built once; `factory(n)` only joins three pieces.
    """
    payload = body.encode()
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {api_key}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Stripe-Version: 2026-10-28.endive\r\n"
        f"Content-Length: {len(payload)}\r\n"
    ).encode()
    tail = b"\r\n" + payload
    if not idempotent:
        whole = head + tail
        return lambda _n: whole
    prefix = head + b"Idempotency-Key: bench-" + str(time.time_ns()).encode() + b"-"
    return lambda n: prefix + str(n).encode() + b"\r\n" + tail


@dataclass
class Result:
    duration: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return (self.ok + self.errors) / self.duration if self.duration else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = min(len(ordered), max(1, math.ceil(q / 100 * len(ordered))))
        return ordered[rank - 1] * 1000


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = -1
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                return status, b"".join(parts)
    return status, await reader.readexactly(length) if length > 0 else b""


async def _worker(
    host: str,
    port: int,
    make: RequestFactory,
    counter: itertools.count[int],
    start_measure: float,
    stop: float,
    result: Result,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    clock = time.perf_counter
    try:
        while True:
            begun = clock()
            if begun >= stop:
                return
            writer.write(make(next(counter)))
            status, _body = await read_response(reader)
            ended = clock()
            if begun < start_measure:
                continue  # warm-up: exercised, not counted
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                result.latencies.append(ended - begun)
            else:
                result.errors += 1
    finally:
        writer.close()


async def run(
    host: str,
    port: int,
    make: RequestFactory,
    connections: int = 16,
    duration: float = 10.0,
    warmup: float = 2.0,
) -> Result:
    """Keep `connections` requests in flight for `warmup + duration` seconds; count the last
    `duration` seconds (requests started in that window)."""
    counter = itertools.count()
    now = time.perf_counter()
    start_measure = now + warmup
    stop = start_measure + duration
    result = Result(duration=duration)
    await asyncio.gather(
        *(
            _worker(host, port, make, counter, start_measure, stop, result)
            for _ in range(connections)
        )
    )
    return result


def run_sync(
    host: str,
    port: int,
    make: RequestFactory,
    connections: int = 16,
    duration: float = 10.0,
    warmup: float = 2.0,
) -> Result:
    """`run` on a fresh event loop."""
    return _on_fresh_loop(run(host, port, make, connections, duration, warmup))


async def _send_each(host: str, port: int, queue: list[bytes], result: Result) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while queue:
            request = queue.pop()
            started = time.perf_counter()
            writer.write(request)
            try:
                status, _body = await read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                result.errors += 1  # a dropped connection is an error; carry on with a new one
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                result.latencies.append(time.perf_counter() - started)
            else:
                result.errors += 1
    finally:
        writer.close()


async def _fire(host: str, port: int, requests: list[bytes], connections: int) -> Result:
    result = Result()
    queue = list(reversed(requests))  # pop() from the end keeps the original order
    started = time.perf_counter()
    await asyncio.gather(*(_send_each(host, port, queue, result) for _ in range(connections)))
    result.duration = time.perf_counter() - started
    return result


def fire(host: str, port: int, requests: list[bytes], connections: int) -> Result:
    """Send each request once over `connections` keep-alive sockets, one in flight per socket
    (a fixed set of unique deliveries, where `run` repeats one kind for a fixed time)."""
    return _on_fresh_loop(_fire(host, port, requests, connections))


def _on_fresh_loop(main: Coroutine[Any, Any, Result]) -> Result:
    # uvloop when installed: the client must stay cheap next to the server it measures.
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
