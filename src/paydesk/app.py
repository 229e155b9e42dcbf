"""The FastAPI app: routers, error answers, request ids, and the pipeline's background services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from paydesk.admin.routes import router as admin_router
from paydesk.catalog.routes import router as catalog_router
from paydesk.checkout.routes import router as checkout_router
from paydesk.context import AppContext
from paydesk.ops.logging import RequestIdMiddleware
from paydesk.web.errors import install_error_handlers
from paydesk.web.headers import NoSniff, favicon
from paydesk.web.health import router as health_router
from paydesk.web.limits import BodySizeLimit
from paydesk.web.pages import router as pages_router
from paydesk.web.ratelimit import TokenBucket

if TYPE_CHECKING:
    from paydesk.webhooks.wiring import Service

STATIC = Path(__file__).parent / "web" / "static"


def create_app(ctx: AppContext) -> FastAPI:
    from paydesk.webhooks.wiring import install

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

    app = FastAPI(title="paydesk", lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.ctx = ctx
    settings = ctx.settings
    if settings.checkout_rate_burst > 0:
        app.state.checkout_limiter = TokenBucket(
            settings.checkout_rate_burst, settings.checkout_rate_per_minute
        )
    install_error_handlers(app)
    # The webhook endpoint caps its raw body itself (1 MB: Stripe's events can be large).
    app.add_middleware(BodySizeLimit, exempt=("/api/webhook",))
    app.add_middleware(RequestIdMiddleware)  # outermost: a 413 still gets its request id
    app.include_router(health_router)
    app.include_router(catalog_router)
    app.include_router(checkout_router)
    app.include_router(pages_router)
    app.include_router(admin_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_route("/favicon.ico", favicon((STATIC / "favicon.svg").read_text()),
                  include_in_schema=False)
    services.extend(install(app, ctx))
    app.add_middleware(NoSniff)  # after install: outside the webhook route, so it answers too
    return app
