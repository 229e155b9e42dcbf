"""GET /admin/mailbox: the mail kept when no SMTP server is configured (admin token needed)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from paydesk.context import AppContext
from paydesk.notify.tables import mailbox


def _authorised(ctx: AppContext, request: Request) -> bool:
    expected = ctx.settings.paydesk_admin_token
    if not expected:
        return False  # no token configured: the admin pages stay closed
    auth = request.headers.get("authorization", "")
    given = auth[7:] if auth.lower().startswith("bearer ") else request.query_params.get("token")
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _messages(ctx: AppContext, limit: int) -> list[dict[str, object]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(mailbox).order_by(mailbox.c.id.desc()).limit(limit)).all()
    return [
        {
            "id": r.id, "to": r.to_addr, "subject": r.subject, "body": r.body,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


def mailbox_endpoint(ctx: AppContext) -> Callable[[Request], Awaitable[Response]]:
    async def read_mailbox(request: Request) -> Response:
        if not _authorised(ctx, request):
            return JSONResponse(
                {"error": "admin token required (Authorization: Bearer … or ?token=)"},
                status_code=401,
            )
        try:
            limit = max(1, min(500, int(request.query_params.get("limit", "100"))))
        except ValueError:
            return JSONResponse({"error": "limit must be an integer"}, status_code=400)
        return JSONResponse({"messages": await run_in_threadpool(_messages, ctx, limit)})

    return read_mailbox
