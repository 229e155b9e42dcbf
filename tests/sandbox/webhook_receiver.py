"""A real HTTP receiver on loopback for webhook tests: records every request and answers what
the test tells it to (a status, or hold the connection until released)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests import support
from tests.support import free_port as free_port  # the sandbox tests import it from here

WAIT_SECONDS = 20.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Poll until `check()` is truthy; fail naming what never happened."""
    return support.wait_for(check, what, timeout)


class Receiver:
    """`answer(n, request)` picks the status for the n-th request (0-based); the default is 200.
    While `hold` is cleared, requests wait for it before answering (a slow receiver)."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Received] = []
        self.answer: Callable[[int, Received], int] = lambda n, r: 200
        self.hold = threading.Event()
        self.hold.set()
        self.hold_seconds: float | None = None  # how long a held request waits at most
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
                with receiver._lock:
                    n = len(receiver.requests)
                    receiver.requests.append(got)
                receiver.hold.wait(receiver.hold_seconds)
                status = receiver.answer(n, got)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sandbox gave up waiting (a timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def bodies_for(self, event_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if f'"{event_id}"'.encode() in r.body]

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()
