"""GET /access/{token}: the purchased resource, and GET /access/{token}/file: its file, both
only while the order stands paid."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from paydesk.catalog.tables import products
from paydesk.context import AppContext
from paydesk.fulfilment.access import OPEN_STATUSES, read_token
from paydesk.fulfilment.files import file_for, files_root, is_url
from paydesk.fulfilment.tables import access_grants
from paydesk.orders.tables import orders
from paydesk.store.engine import reading
from paydesk.web.templating import render_page


def _page(
    request: Request, title: str, message: str = "", resource: str | None = None,
    status: int = 200, download: str | None = None,
) -> HTMLResponse:
    context = {"title": title, "message": message, "resource": resource,
               "download": download, "is_url": is_url(resource or "")}
    return render_page(request, "access.html", status, **context)


def _lookup(ctx: AppContext, order_id: str, product_id: str) -> tuple[str, str, str | None] | None:
    with reading(ctx.engine) as conn:
        row = conn.execute(
            select(orders.c.status, products.c.name, products.c.resource)
            .select_from(access_grants)
            .join(orders, orders.c.id == access_grants.c.order_id)
            .join(products, products.c.id == access_grants.c.product_id)
            .where(access_grants.c.order_id == order_id, access_grants.c.product_id == product_id)
        ).first()
    return (row.status, row.name, row.resource) if row else None


def access_endpoint(
    ctx: AppContext, file: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """The access page (or, with `file`, the file itself) for a signed token."""
    root = files_root(ctx.settings)

    async def open_access(request: Request) -> Response:
        ids = read_token(ctx.signing_keys, request.path_params["token"],
                         ctx.settings.paydesk_access_link_days * 86400)
        found = await run_in_threadpool(_lookup, ctx, *ids) if ids is not None else None
        if found is None:
            return _page(request, "Invalid link", "This access link is not valid.", status=404)
        status, name, resource = found
        if status not in OPEN_STATUSES:
            return _page(request, "Access unavailable", f"The order for {name} is {status}.",
                         status=403)
        path = file_for(root, resource)
        if file:
            if path is None:
                return _page(request, "File unavailable", "The shop has no file for this "
                             "purchase; please contact the shop.", status=404)
            # FileResponse guesses the content type from the name and sends it as a download.
            return FileResponse(path, filename=path.name)
        download = request.url.path.rstrip("/") + "/file" if path is not None else None
        return _page(request, name, resource=resource or "", download=download)

    return open_access
