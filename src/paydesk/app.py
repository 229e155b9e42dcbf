"""The FastAPI app: every route, middleware and background service of the shop, mounted here and
nowhere else. `bootstrap` builds the AppContext this takes; nothing here reads settings files,
opens databases or calls Stripe at import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from paydesk.admin.billing import router as billing_admin_pages_router
from paydesk.admin.private import ADMIN_IN_PRODUCTION, openapi_router
from paydesk.admin.routes import router as admin_router
from paydesk.context import AppContext
from paydesk.notify.worker import OutboxWorker
from paydesk.ops.logging import RequestIdMiddleware
from paydesk.reconcile.service import ReconcileSchedule
from paydesk.store.gate import WriteGate
from paydesk.web.access import access_endpoint
from paydesk.web.account import router as account_router
from paydesk.web.admin_api import router as admin_api_router
from paydesk.web.billing import router as billing_router
from paydesk.web.catalog import router as catalog_router
from paydesk.web.checkout import router as checkout_router
from paydesk.web.entitlements import EntitlementsRoute
from paydesk.web.errors import install_error_handlers
from paydesk.web.headers import NoSniff, favicon
from paydesk.web.health import metrics_router
from paydesk.web.health import router as health_router
from paydesk.web.limits import BodySizeLimit
from paydesk.web.pages import router as pages_router
from paydesk.web.payments import router as payments_router
from paydesk.web.ratelimit import TokenBucket
from paydesk.webhooks.inbox import InboxWriter
from paydesk.webhooks.processor import Processor
from paydesk.webhooks.routes import WebhookRoute

STATIC = Path(__file__).parent / "web" / "static"


class Service(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class ShopApp(FastAPI):
    """FastAPI with raw routes in front of its whole middleware stack.

    POST /api/webhook and GET /api/entitlements/… are asked thousands of times a second; the
    stack FastAPI builds around user middleware (error page, telemetry, body limit) and ours
    (nosniff, request id, body size) would run on each of them for nothing: they answer with
    fixed JSON, cap their own bodies, set their own headers (ops/raw.py) and catch their own
    errors."""

    def __init__(
        self, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]], production: bool
    ) -> None:
        # Production: no interactive docs, and the API description only for the admin.
        super().__init__(
            title="paydesk", lifespan=lifespan, redoc_url=None,
            docs_url=None if production else "/api/docs",
            openapi_url=None if production else "/openapi.json",
        )
        self.hot_routes: list[Callable[[ASGIApp], ASGIApp]] = []

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        for route in reversed(self.hot_routes):  # the first added answers first
            app = route(app)
        return app


def create_app(ctx: AppContext) -> ShopApp:
    services: list[Service] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        started: list[Service] = []
        try:
            for service in services:
                await service.start()
                started.append(service)
            yield
        finally:
            for service in reversed(started):
                await service.stop()

    settings = ctx.settings
    production = settings.paydesk_env == "production"
    app = ShopApp(lifespan, production)
    app.state.ctx = ctx
    if settings.checkout_rate_burst > 0:
        app.state.checkout_limiter = TokenBucket(
            settings.checkout_rate_burst, settings.checkout_rate_per_minute
        )
    app.state.admin_login_limiter = TokenBucket(
        settings.paydesk_admin_login_burst, settings.paydesk_admin_login_per_minute
    )
    install_error_handlers(app)
    # (The webhook route, in front of all this, caps its own body: 1 MB, Stripe's events are large.)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(RequestIdMiddleware)  # outside the limit: a 413 still gets its request id
    app.add_middleware(NoSniff)  # outermost of ours: on every response, error pages included
    app.include_router(health_router)
    app.include_router(metrics_router, dependencies=ADMIN_IN_PRODUCTION)
    app.include_router(catalog_router)
    app.include_router(checkout_router)
    app.include_router(payments_router)
    app.include_router(pages_router)
    app.include_router(admin_router)
    app.include_router(billing_router)
    app.include_router(account_router)
    app.include_router(admin_api_router)
    app.include_router(billing_admin_pages_router)
    app.router.add_route("/access/{token}", access_endpoint(ctx), methods=["GET"])
    app.router.add_route("/access/{token}/file", access_endpoint(ctx, file=True), methods=["GET"])
    if production:
        app.include_router(openapi_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_route("/favicon.ico", favicon((STATIC / "favicon.svg").read_text()),
                  include_in_schema=False)
    services.extend(_pipeline(app, ctx))
    return app


def _pipeline(app: ShopApp, ctx: AppContext) -> list[Service]:
    """POST /api/webhook and the services behind it, in start order (stopped in reverse):
    processor, inbox writer, outbox worker (unless a separate `paydesk worker` runs), reconcile."""
    gate = WriteGate(ctx.engine)
    processor = Processor(ctx, gate)
    writer = InboxWriter(ctx.engine, gate, on_commit=processor.wake)
    # In front of everything, so deliveries skip the framework's layers (webhooks/routes.py).
    app.hot_routes.append(
        lambda inner: WebhookRoute(inner, writer=writer, secrets=lambda: ctx.webhook_secrets)
    )
    # Also raw, for the same reason: apps ask it on every request of their own users.
    app.hot_routes.append(
        lambda inner: EntitlementsRoute(
            inner, engine=ctx.engine, token=lambda: ctx.settings.paydesk_admin_token
        )
    )
    services: list[Service] = [processor, writer]
    if ctx.settings.inline_worker:
        services.append(OutboxWorker(ctx.engine, ctx.settings.smtp_url, gate))
    services.append(ReconcileSchedule(ctx, gate))
    return services
