"""The mail kept when no SMTP server is configured, as JSON for scripts (admin bearer token, or
the admin pages' sign-in cookie); the admin's HTML page reads the same `messages`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from paydesk.admin.auth import AdminDisabled, NotSignedIn, authenticate
from paydesk.admin.throttle import Throttled
from paydesk.context import AppContext
from paydesk.notify.tables import mailbox
from paydesk.store.engine import aware, reading


def _messages(ctx: AppContext, limit: int) -> list[dict[str, object]]:
    return [m | {"created_at": m["created_at"].isoformat()} for m in messages(ctx, limit)]


def messages(ctx: AppContext, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` messages kept in the mailbox, newest first."""
    with reading(ctx.engine) as conn:
        rows = conn.execute(select(mailbox).order_by(mailbox.c.id.desc()).limit(limit)).all()
    return [
        {"id": r.id, "to": r.to_addr, "subject": r.subject, "body": r.body,
         "html": r.html, "created_at": aware(r.created_at)}
        for r in rows
    ]


def message(ctx: AppContext, message_id: int) -> dict[str, Any] | None:
    with reading(ctx.engine) as conn:
        r = conn.execute(select(mailbox).where(mailbox.c.id == message_id)).one_or_none()
    if r is None:
        return None
    return {"id": r.id, "to": r.to_addr, "subject": r.subject, "body": r.body,
            "html": r.html, "created_at": aware(r.created_at)}


def mailbox_endpoint(ctx: AppContext) -> Callable[[Request], Awaitable[Response]]:
    async def read_mailbox(request: Request) -> Response:
        try:
            await run_in_threadpool(authenticate, request, ctx)
        except Throttled as exc:
            return JSONResponse({"error": str(exc)}, status_code=429,
                                headers={"Retry-After": str(exc.retry_after)})
        except AdminDisabled:
            return JSONResponse({"error": "set PAYDESK_ADMIN_TOKEN to open the admin pages"},
                                status_code=404)
        except NotSignedIn:
            return JSONResponse(
                {"error": "admin sign-in required (Authorization: Bearer …, or sign in at /admin)"},
                status_code=401,
            )
        try:
            limit = max(1, min(500, int(request.query_params.get("limit", "100"))))
        except ValueError:
            return JSONResponse({"error": "limit must be an integer"}, status_code=400)
        return JSONResponse({"messages": await run_in_threadpool(_messages, ctx, limit)})

    return read_mailbox
