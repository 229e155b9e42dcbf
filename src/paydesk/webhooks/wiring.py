"""Mounts the webhook pipeline, access links and the mailbox on an app; returns its services.

`install` only adds routes and builds objects; the caller's lifespan runs `start`/`stop`.
"""

from __future__ import annotations

from typing import Protocol

from starlette.applications import Starlette

from paydesk.context import AppContext
from paydesk.fulfilment.routes import access_endpoint
from paydesk.notify.worker import OutboxWorker
from paydesk.reconcile.service import ReconcileSchedule
from paydesk.webhooks.gate import WriteGate
from paydesk.webhooks.inbox import InboxWriter
from paydesk.webhooks.processor import Processor
from paydesk.webhooks.routes import WebhookRoute


class Service(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def install(app: Starlette, ctx: AppContext) -> list[Service]:
    """Add POST /api/webhook, GET /access/{token}; return the services
    (start in this order, stop in reverse): processor, inbox writer, outbox worker, reconcile."""
    gate = WriteGate(ctx.engine)
    processor = Processor(ctx, gate)
    writer = InboxWriter(ctx.engine, gate, on_commit=processor.wake)
    # Outermost, so deliveries skip the framework's layers (see webhooks/routes.py).
    app.add_middleware(WebhookRoute, writer=writer, secrets=lambda: ctx.webhook_secrets)
    app.router.add_route("/access/{token}", access_endpoint(ctx), methods=["GET"])
    app.router.add_route("/access/{token}/file", access_endpoint(ctx, file=True), methods=["GET"])
    services: list[Service] = [processor, writer]
    if ctx.settings.inline_worker:
        services.append(OutboxWorker(ctx.engine, ctx.settings.smtp_url, gate))
    services.append(ReconcileSchedule(ctx, gate))
    return services
