"""The shop's Stripe client talks over httpx (the one HTTP client paydesk ships), with the same
retries as before: a 5xx is retried with the same idempotency key."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from paydesk.settings import load_settings
from paydesk.stripe_gateway import make_stripe_client


class _Stripe(BaseHTTPRequestHandler):
    """Answers 503 to the first POST, then a customer; keeps every request's headers."""

    seen: list[dict[str, str]] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append(dict(self.headers))
        first = len(self.seen) == 1
        body = json.dumps({"error": {"type": "api_error", "message": "busy"}} if first else
                          {"id": "cus_1", "object": "customer"}).encode()
        self.send_response(503 if first else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def stripe_url() -> Iterator[str]:
    _Stripe.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stripe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_stripe_client_uses_httpx_and_retries_a_5xx(stripe_url: str) -> None:
    settings = load_settings(_env_file=None, stripe_secret_key="sk_test_gateway",
                             stripe_api_base=stripe_url)
    customer = make_stripe_client(settings).v1.customers.create(
        options={"idempotency_key": "idem-1"}
    )
    assert customer.id == "cus_1"
    first, retry = _Stripe.seen
    assert json.loads(first["X-Stripe-Client-User-Agent"])["httplib"] == "httpx"
    assert first["Idempotency-Key"] == retry["Idempotency-Key"] == "idem-1"
    assert first["Authorization"] == "Bearer sk_test_gateway"
