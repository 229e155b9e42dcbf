"""Closed-loop HTTP/1.1 load on raw asyncio streams: keep-alive sockets, pre-built request bytes.

On a 2-core machine the client must cost far less than the server it measures, so the only
per-request work is one write of ready bytes and reading one response.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    duration: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, 2xx only
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return (len(self.latencies) + self.errors) / self.duration if self.duration else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = min(len(ordered) - 1, max(0, int(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000


def post_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _connection(host: str, port: int, requests: list[bytes], result: Result) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while requests:
            request = requests.pop()
            started = time.perf_counter()
            writer.write(request)
            try:
                status = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                result.errors += 1
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
    await asyncio.gather(*(_connection(host, port, queue, result) for _ in range(connections)))
    result.duration = time.perf_counter() - started
    return result


def fire(host: str, port: int, requests: list[bytes], connections: int) -> Result:
    """Send every request over `connections` keep-alive sockets; one outstanding per socket."""
    try:
        import uvloop

        return uvloop.run(_fire(host, port, requests, connections))
    except ImportError:
        return asyncio.run(_fire(host, port, requests, connections))
