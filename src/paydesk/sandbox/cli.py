"""`paydesk listen` and `paydesk trigger`: the sandbox's counterparts of `stripe listen` and
`stripe trigger`. Both talk to a running sandbox through its HTTP API only, like any client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast

import aiohttp
import httpx
import stripe
from aiohttp import web

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
    return stripe.StripeClient(api_key, base_addresses={"api": api_base})


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
    """What went wrong reaching the target, in words (aiohttp's own text names `ssl:default`
    even for a plain http URL)."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return "connection refused (is the target running?)"
        return f"cannot connect ({exc.os_error.strerror or exc.os_error})"
    if isinstance(exc, TimeoutError):
        return f"no answer within {_FORWARD_TIMEOUT:.0f} s"
    return f"{type(exc).__name__}: {exc}"


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
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
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
        sock.close()
        _fail(_no_sandbox(api_base), 1)
        return
    except stripe.StripeError as exc:
        sock.close()
        _fail(f"Could not create a webhook endpoint at {api_base}: {exc.user_message}", 1)
        return
    _say(f"Ready! Your webhook signing secret is {endpoint.secret} (^C to quit)")
    if replay_seconds is not None:
        _replay(client, endpoint.id, replay_seconds)
    try:
        asyncio.run(_serve(sock, forward_to))
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


async def _serve(sock: socket.socket, forward_to: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=_FORWARD_TIMEOUT)
    ) as session:
        app = web.Application()
        app.router.add_post("/", _forwarder(session, forward_to))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


def _forwarder(
    session: aiohttp.ClientSession, target: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        event_id, event_type = _describe(body)
        headers = {name: request.headers[name] for name in _FORWARDED if name in request.headers}
        stamp = datetime.fromtimestamp(wall_seconds()).strftime("%Y-%m-%d %H:%M:%S")
        chaos = request.headers.get(CHAOS_HEADER)
        event_type = f"{event_type} ({chaos})" if chaos else event_type
        try:
            async with session.post(
                target, data=body, headers=headers, allow_redirects=False
            ) as resp:
                status = resp.status
                await resp.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            _say(f"{stamp}  {event_type} [{event_id}] → error: {_forward_error(exc)} "
                 f"POST {target}")
            return web.Response(status=502, text="forward failed")
        _say(f"{stamp}  {event_type} [{event_id}] → {status} POST {target}")
        return web.Response(status=status, text="forwarded")

    return forward


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
