"""`paydesk listen` and `paydesk trigger`: the sandbox's counterparts of `stripe listen` and
`stripe trigger`. Both talk to a running sandbox through its HTTP API only, like any client."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import httpx
import stripe

from paydesk.sandbox.clock import wall_seconds
from paydesk.sandbox.triggers import FIXTURES, TriggerFailed, run_fixture

__all__ = ["listen", "trigger"]

# What the sandbox sends that the target needs to verify and parse the event; the rest (Host,
# Content-Length) is the forwarding hop's own business.
_FORWARDED = ("Stripe-Signature", "Content-Type", "User-Agent")
_FORWARD_TIMEOUT = 30.0
# Set by the sandbox on a delivery that chaos touched (what it did); never forwarded.
CHAOS_HEADER = "Paydesk-Chaos"


def _client(api_base: str, api_key: str) -> stripe.StripeClient:
    # httpx, the one HTTP client paydesk ships with (the SDK would otherwise pick requests).
    return stripe.StripeClient(api_key, base_addresses={"api": api_base},
                               http_client=stripe.HTTPXClient(allow_sync_methods=True))


def _say(line: str) -> None:
    print(line, flush=True)


def _fail(message: str, code: int) -> None:
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(code)


def _no_sandbox(api_base: str) -> str:
    return (f"No sandbox answers at {api_base}: start one with `paydesk sandbox` (or "
            "`paydesk serve`, which runs one inside), or point --api-base / STRIPE_API_BASE "
            "at the one you run.")


def _forward_error(exc: BaseException) -> str:
    """What went wrong reaching the target, in words rather than an exception's repr."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"no answer within {_FORWARD_TIMEOUT:.0f} s"
    if isinstance(exc, httpx.ConnectError):
        cause = _os_error(exc)
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused (is the target running?)"
        return f"cannot connect ({cause.strerror or cause if cause else exc})"
    return f"{type(exc).__name__}: {exc}"


def _os_error(exc: BaseException) -> OSError | None:
    """The operating system's error under httpx's (it wraps httpcore's, which wraps it)."""
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, OSError):
        seen = seen.__cause__ or seen.__context__
    return seen


# -- listen ------------------------------------------------------------------------------------


def parse_since(text: str) -> int:
    """`90s`, `30m`, `1h`, `2d` as seconds; a usage error names the forms it takes."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = text.strip()[:-1], text.strip()[-1:].lower()
    if unit not in units or not number.isascii() or not number.isdigit() or len(number) > 9:
        _fail(f"Invalid --replay-since {text!r}: use a number and s, m, h or d (e.g. 1h)", 2)
    return int(number) * units[unit]


def listen(
    forward_to: str, events: str, api_base: str, api_key: str, replay_since: str | None = None
) -> None:
    """Receive the sandbox's deliveries on a local port and forward each one, unchanged, to
    `forward_to`; answer the sandbox with the target's status so failures are retried. With
    `replay_since`, the events of that past period are sent again first, oldest first."""
    enabled = [name.strip() for name in events.split(",") if name.strip()] or ["*"]
    replay_seconds = parse_since(replay_since) if replay_since else None
    server = _Listener(forward_to)
    port = server.server_address[1]
    client = _client(api_base, api_key)
    try:
        endpoint = client.v1.webhook_endpoints.create(
            # `Any`: the SDK types enabled_events as its known names; the user may pass any.
            params=cast(
                Any,
                {
                    "url": f"http://127.0.0.1:{port}/",
                    "enabled_events": enabled,
                    "description": f"paydesk listen --forward-to {forward_to}",
                },
            )
        )
    except stripe.APIConnectionError:
        server.close()
        _fail(_no_sandbox(api_base), 1)
        return
    except stripe.StripeError as exc:
        server.close()
        _fail(f"Could not create a webhook endpoint at {api_base}: {exc.user_message}", 1)
        return
    _say(f"Ready! Your webhook signing secret is {endpoint.secret} (^C to quit)")
    if replay_seconds is not None:
        _replay(client, endpoint.id, replay_seconds)
    try:
        server.run_until_signalled()
    finally:
        # Leave no endpoint behind: the sandbox would keep retrying a port nobody listens on.
        with contextlib.suppress(stripe.StripeError):
            client.v1.webhook_endpoints.delete(endpoint.id)


def _replay(client: stripe.StripeClient, endpoint_id: str, seconds: int) -> None:
    since = int(wall_seconds()) - seconds
    try:
        done = client.raw_request(
            "post",
            f"/v1/test_helpers/webhook_endpoints/{endpoint_id}/replay",
            since=since,
        )
    except stripe.StripeError as exc:
        _say(f"Could not replay past events: {exc}")
        return
    count = len(getattr(client.deserialize(done, api_mode="V1"), "events", None) or [])
    _say(f"Replaying {count} event(s) from the last {seconds} s, oldest first")


class _Listener(ThreadingHTTPServer):
    """The local port the sandbox delivers to; each delivery is forwarded on its own thread."""

    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.target = target
        self.http = httpx.Client(timeout=_FORWARD_TIMEOUT, follow_redirects=False)

    def run_until_signalled(self) -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        threading.Thread(target=self.serve_forever, daemon=True).start()
        try:
            while not stop.wait(timeout=1):
                pass
        finally:
            self.shutdown()
            self.close()

    def close(self) -> None:
        self.server_close()
        self.http.close()


class _Forward(BaseHTTPRequestHandler):
    server: _Listener

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = _forward(self.server, body, self.headers)
        self.send_response(status)
        text = b"" if status in (204, 304) else b"forwarded" if status != 502 else b"forward failed"
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: each delivery has its own line (`_forward`), not the server's access log."""


def _forward(server: _Listener, body: bytes, received: Message) -> int:
    """Send one delivery on to the target; its status (502 when unreachable) goes back to the
    sandbox, so a failure is retried like any other."""
    event_id, event_type = _describe(body)
    headers = {name: received[name] for name in _FORWARDED if received.get(name) is not None}
    stamp = datetime.fromtimestamp(wall_seconds()).strftime("%Y-%m-%d %H:%M:%S")
    chaos = received.get(CHAOS_HEADER)
    event_type = f"{event_type} ({chaos})" if chaos else event_type
    target = server.target
    try:
        status = server.http.post(target, content=body, headers=headers).status_code
    except (httpx.HTTPError, OSError) as exc:
        _say(f"{stamp}  {event_type} [{event_id}] → error: {_forward_error(exc)} POST {target}")
        return 502
    _say(f"{stamp}  {event_type} [{event_id}] → {status} POST {target}")
    return status


def _describe(body: bytes) -> tuple[str, str]:
    try:
        event = json.loads(body)
        return str(event.get("id")), str(event.get("type"))
    except (ValueError, AttributeError):
        return "?", "?"


# -- trigger -----------------------------------------------------------------------------------


def trigger(event: str, api_base: str, api_key: str) -> None:
    """Create, through the API, the objects that make the sandbox emit `event`."""
    if event not in FIXTURES:
        supported = "\n  ".join(sorted(FIXTURES))
        _fail(f"Unsupported event: {event}\nSupported events:\n  {supported}", 2)
    client = _client(api_base, api_key)
    try:
        made = run_fixture(event, client)
    except (stripe.APIConnectionError, httpx.ConnectError):
        _fail(_no_sandbox(api_base), 1)
        return
    except stripe.StripeError as exc:
        _fail(f"Trigger failed: {exc.user_message}", 1)
        return
    except (TriggerFailed, httpx.HTTPError) as exc:
        _fail(f"Trigger failed: {exc}", 1)
        return
    for line in made.lines:
        _say(line)
    recent = client.v1.events.list(params={"type": event, "limit": 20}).data
    found = [e for e in recent if getattr(e.data.object, "id", None) == made.subject]
    if not found:
        _fail(f"Trigger failed: the sandbox emitted no {event} event for {made.subject}", 1)
    _say(f"Trigger succeeded! {event} [{found[0].id}]")
