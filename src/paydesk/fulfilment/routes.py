"""GET /access/{token}: the purchased resource, only while its order stands paid."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from paydesk.catalog.tables import products
from paydesk.checkout.tables import orders
from paydesk.context import AppContext
from paydesk.fulfilment.access import OPEN_STATUSES, read_token
from paydesk.fulfilment.tables import access_grants


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


def _lookup(ctx: AppContext, order_id: str, product_id: str) -> tuple[str, str, str | None] | None:
    with ctx.engine.connect() as conn:
        row = conn.execute(
            select(orders.c.status, products.c.name, products.c.resource)
            .select_from(access_grants)
            .join(orders, orders.c.id == access_grants.c.order_id)
            .join(products, products.c.id == access_grants.c.product_id)
            .where(access_grants.c.order_id == order_id, access_grants.c.product_id == product_id)
        ).first()
    return (row.status, row.name, row.resource) if row else None


def access_endpoint(ctx: AppContext) -> Callable[[Request], Awaitable[Response]]:
    async def open_access(request: Request) -> Response:
        ids = read_token(ctx.signing_key, request.path_params["token"])
        if ids is None:
            return _page("Invalid link", "<p>This access link is not valid.</p>", 404)
        found = await run_in_threadpool(_lookup, ctx, *ids)
        if found is None:
            return _page("Invalid link", "<p>This access link is not valid.</p>", 404)
        status, name, resource = found
        if status not in OPEN_STATUSES:
            return _page(
                "Access unavailable",
                f"<p>The order for {html.escape(name)} is {html.escape(status)}.</p>",
                403,
            )
        content = html.escape(resource or "")
        if (resource or "").startswith(("http://", "https://")):
            content = f'<a href="{content}">{content}</a>'
        return _page(name, f'<div class="resource">{content}</div>')

    return open_access
