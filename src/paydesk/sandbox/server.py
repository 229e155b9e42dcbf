"""Builds and runs the sandbox: the `/v1` API, hosted pages, and webhook delivery."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse

from paydesk.sandbox import pages, timers
from paydesk.sandbox.api import ApiApp
from paydesk.sandbox.chaos import Chaos
from paydesk.sandbox.delivery import Deliverer, parse_delays
from paydesk.sandbox.headers import NoSniff, favicon
from paydesk.sandbox.limits import BodySizeLimit
from paydesk.sandbox.operations.balance import schedule_pending_funds
from paydesk.sandbox.operations.checkout_sessions import schedule_open_sessions
from paydesk.sandbox.operations.dunning import Dunning, configure
from paydesk.sandbox.routes import load_all
from paydesk.sandbox.routing import api
from paydesk.sandbox.store import Store

log = logging.getLogger("paydesk.sandbox")

FREEZE_SECONDS = 0.1


class SandboxApp:
    """`/v1/…` goes straight to the API; everything else to the Starlette page app."""

    def __init__(
        self, store: Store, deliverer: Deliverer, freeze_gc: bool = False,
        business_name: str = pages.BUSINESS_NAME,
    ) -> None:
        load_all()
        self.store = store
        if store.timers_are_new:  # a database from before the timer queue: schedule its work
            schedule_open_sessions(store)
            schedule_pending_funds(store)
            store.flush()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.deliverer = deliverer
        self.freeze_gc = freeze_gc
        self.api = ApiApp(store, api)
        self.pages = Starlette(routes=pages.routes(store, business_name), lifespan=self._lifespan)
        self.pages.add_route("/", self._index)
        self.pages.add_route("/favicon.ico", favicon((pages.STATIC / "favicon.svg").read_text()))
        # /v1 parses its own form bodies; the hosted pages' forms get the size cap.
        self.pages.add_middleware(BodySizeLimit)
        self.pages.add_middleware(NoSniff)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            await self.api(scope, receive, send)
        else:
            await self.pages(scope, receive, send)

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        self.loop = asyncio.get_running_loop()
        await self.deliverer.start()
        purge = asyncio.create_task(self._purge_loop())
        freezer = asyncio.create_task(_freeze_loop()) if self.freeze_gc else None
        sweep = asyncio.create_task(timers.run(self.store))
        try:
            yield
        finally:
            purge.cancel()
            if freezer is not None:
                freezer.cancel()
            sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweep
            await self.deliverer.stop()
            self.store.close()

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(3600)
            self.store.purge_idempotency()

    async def _index(self, _request: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><title>paydesk sandbox</title><body style='font-family:system-ui;"
            "max-width:40rem;margin:3rem auto'><h1>paydesk sandbox</h1><p>An offline, "
            "stateful Stripe-compatible API. Point any Stripe SDK's base URL here and use any "
            "<code>sk_test_…</code> key; each key is its own account.</p></body>"
        )


def create_app(
    db_path: str | None = None,
    retry_delays: str | None = None,
    dunning: Dunning | None = None,
    chaos: Chaos | None = None,
    business_name: str = pages.BUSINESS_NAME,
) -> SandboxApp:
    store = Store(db_path)
    configure(store, dunning or Dunning())
    return SandboxApp(store, Deliverer(store, parse_delays(retry_delays), chaos),
                      business_name=business_name)


async def _freeze_loop() -> None:
    """Move what survived so far out of the cyclic GC's reach, ten times a second.

    The store is acyclic JSON dicts that live as long as the process; full collections rescanned
    all of them (pauses of 0.2-1 s after a few hundred thousand objects, the whole p99 of the
    benchmark), and even a second's worth of survivors cost tens of milliseconds. Only the
    standalone server does this: it owns its process. The price: a reference cycle that
    outlives the young generations (collected within milliseconds) is never collected; the
    request path makes almost none. `gc.freeze()` only splices lists, it costs nothing.
    """
    while True:
        gc.freeze()
        await asyncio.sleep(FREEZE_SECONDS)


class PortInUse(OSError):
    """The port is taken; the message names it (the caller knows which option moves it)."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port), bound before anything says "listening"; connections
    made before the server runs wait in its backlog rather than being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(exc.errno, f"port {port} is already in use") from exc
        raise
    sock.listen(2048)
    return sock


def run(
    host: str,
    port: int,
    db_path: str | None,
    retry_delays: str | None,
    dunning: Dunning | None = None,
    chaos: Chaos | None = None,
    business_name: str = pages.BUSINESS_NAME,
) -> None:
    try:
        sock = bind(host, port)
    except PortInUse:
        print(f"paydesk sandbox: port {port} is already in use: stop what listens there or "
              "pick another with --port", file=sys.stderr)
        raise SystemExit(1) from None
    store = Store(db_path)
    store.base_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    configure(store, dunning or Dunning())
    app = SandboxApp(store, Deliverer(store, parse_delays(retry_delays), chaos), freeze_gc=True,
                     business_name=business_name)
    print(f"paydesk sandbox listening on http://{host}:{port}  (state: {db_path or 'memory'})",
          flush=True)
    if chaos is not None:
        print(f"webhook chaos for every account: {chaos.describe()}")
    # uvloop and httptools (uvicorn[standard]) named outright: "auto" would quietly fall back
    # to the pure-Python loop and parser, at a fraction of the throughput.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, loop="uvloop", http="httptools"
    )
    uvicorn.Server(config).run(sockets=[sock])


@dataclass
class SandboxHandle:
    url: str
    app: SandboxApp
    server: uvicorn.Server
    thread: threading.Thread

    def fire_timers(self, now: float) -> int:
        """Fire, on the server's own loop, every wall-clock timer due by `now` (a moment to come:
        tests see what the sandbox does then without waiting or patching a clock)."""

        async def fire() -> int:
            fired = timers.fire_due(self.app.store, now)
            await self.app.store.committed()
            return fired

        assert self.app.loop is not None
        return asyncio.run_coroutine_threadsafe(fire(), self.app.loop).result(timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    db_path: str | None = None,
    retry_delays: str | None = None,
    dunning: Dunning | None = None,
    chaos: Chaos | None = None,
    business_name: str = pages.BUSINESS_NAME,
) -> SandboxHandle:
    """Run a sandbox on a background thread (embedded in `paydesk serve`, and in tests).

    Raises PortInUse before anything else is started."""
    sock = bind(host, port)
    app = create_app(db_path, retry_delays, dunning, chaos, business_name)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="paydesk-sandbox", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.01)
    app.store.base_url = f"http://{host}:{bound_port}"
    return SandboxHandle(app.store.base_url, app, server, thread)
