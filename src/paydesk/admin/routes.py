"""The admin pages: overview, orders, webhook inbox and its retry button (token-protected)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.templating import Jinja2Templates

from paydesk.admin import queries, throttle
from paydesk.admin.auth import (
    AdminDisabled,
    AdminSession,
    NotSignedIn,
    authenticate,
    check_csrf,
    set_session_cookie,
    sign_out,
)
from paydesk.admin.mailbox import mailbox_endpoint, message, messages
from paydesk.admin.retry import retry_event
from paydesk.checkout.release import NotReleasable
from paydesk.context import AppContext
from paydesk.payments.stale import release_order
from paydesk.refunds.admin import refund_panel, submit_refund_form
from paydesk.refunds.service import RefundRefused
from paydesk.settings import secret_matches
from paydesk.store.engine import reading
from paydesk.web.deps import CtxDep
from paydesk.web.templating import shop_templates

router = APIRouter(tags=["admin"], include_in_schema=False)

TEMPLATES = Path(__file__).parent.parent / "web" / "templates"
# Admin pages hold customer data: never cached, never framed, never leaked through Referer.
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
MAILBOX_LIMIT = 200
# Past any real inbox (50 a page), and small enough that OFFSET stays a 64-bit integer.
MAX_PAGE = 1_000_000


@cache
def _templates() -> Jinja2Templates:
    templates = shop_templates(TEMPLATES)
    templates.env.filters["when"] = _when
    templates.env.filters["age"] = _age
    # Jinja's urlencode keeps "/": an id in a path must be one segment whatever it holds.
    templates.env.filters["segment"] = lambda value: quote(str(value), safe="")
    return templates


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _age(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{max(seconds, 0)} s"


def render(request: Request, name: str, code: int = 200, **context: object) -> HTMLResponse:
    response = _templates().TemplateResponse(
        request, "admin/" + name, context, status_code=code, headers=HEADERS
    )
    return response


def _closed(request: Request, status: int, reason: str, **context: object) -> HTMLResponse:
    return render(request, "closed.html", code=status, reason=reason, **context)


def _throttled(request: Request, exc: throttle.Throttled) -> HTMLResponse:
    response = _closed(request, 429, "throttled", retry_after=exc.retry_after)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def guard_form(
    request: Request, ctx: AppContext, csrf: str | None
) -> AdminSession | Response:
    """`guard` for a form post: the session only with its CSRF field."""
    session = guard(request, ctx)
    if isinstance(session, Response) or check_csrf(session, csrf):
        return session
    return _closed(request, 403, "csrf")


def _sign_in(request: Request, ctx: AppContext, given: str, target: str) -> Response:
    """Trade a token (form or `?token=`) for a session cookie and a redirect to `target`;
    wrong tokens are counted per address (429 once there are too many)."""
    expected = ctx.settings.paydesk_admin_token
    try:
        throttle.check(request)
    except throttle.Throttled as exc:
        return _throttled(request, exc)
    if expected is None or not secret_matches(expected, given):
        throttle.failed(request)
        return _closed(request, 403, "wrong")
    redirect = RedirectResponse(target, status_code=303, headers=HEADERS)
    set_session_cookie(redirect, request, ctx)
    return redirect


def guard(request: Request, ctx: AppContext) -> AdminSession | Response:
    """The caller's session, or the page to answer instead (disabled, sign in, redirect)."""
    token = ctx.settings.paydesk_admin_token
    given = request.query_params.get("token")
    if token and given is not None and request.method == "GET":
        # Drop the token from the address bar.
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        return _sign_in(request, ctx, given,
                        request.url.path + ("?" + urlencode(rest) if rest else ""))
    try:
        return authenticate(request, ctx)
    except AdminDisabled:
        return _closed(request, 404, "disabled")
    except throttle.Throttled as exc:
        return _throttled(request, exc)
    except NotSignedIn as exc:
        return _closed(request, 403 if exc.wrong else 401, "wrong" if exc.wrong else "sign-in")


def page_number(value: str | None) -> int:
    try:
        return min(MAX_PAGE, max(1, int(value or 1)))
    except ValueError:
        return 1


def pagination(total: int, page: int) -> dict[str, int]:
    last = max(1, -(-total // queries.PAGE_SIZE))
    return {"page": min(page, last), "last": last, "total": total}


@router.get("/admin", response_class=HTMLResponse)
def admin_overview(request: Request, ctx: CtxDep) -> Response:
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    with reading(ctx.engine) as conn:
        data = queries.overview(conn, datetime.now(UTC))
    return render(request, "overview.html", session=session, nav="overview", **data)


@router.post("/admin/login", response_class=HTMLResponse)
def admin_login(request: Request, ctx: CtxDep, token: Annotated[str, Form()] = "") -> Response:
    if not ctx.settings.paydesk_admin_token:
        return _closed(request, 404, "disabled")
    return _sign_in(request, ctx, token, "/admin")


@router.post("/admin/logout")
def admin_logout(request: Request, ctx: CtxDep) -> Response:
    response = RedirectResponse("/admin", status_code=303, headers=HEADERS)
    sign_out(request, response, ctx)
    return response


@router.get("/admin/orders", response_class=HTMLResponse)
def admin_orders(request: Request, ctx: CtxDep, status: str = "", page: str = "1") -> Response:
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    with reading(ctx.engine) as conn:
        rows, total = queries.list_orders(conn, status or None, page_number(page))
    return render(
        request, "orders.html", session=session, nav="orders", orders=rows, status=status,
        statuses=queries.ORDER_STATUSES, **pagination(total, page_number(page)),
    )


@router.get("/admin/orders/{order_id}", response_class=HTMLResponse)
def admin_order(
    request: Request, ctx: CtxDep, order_id: str, refund: str = "", released: str = ""
) -> Response:
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    return _order_page(request, ctx, session, order_id, flash_id=refund,
                       released=released == "1")


def _order_page(
    request: Request, ctx: AppContext, session: AdminSession, order_id: str, code: int = 200,
    flash_id: str | None = None, refund_error: str | None = None,
    form: dict[str, str] | None = None, released: bool = False, release_error: str | None = None,
) -> Response:
    with reading(ctx.engine) as conn:
        order = queries.order_detail(conn, order_id)
        refunds = refund_panel(conn, order_id, flash_id, form) if order else None
    if order is None:
        return render(request, "missing.html", code=404, session=session, nav="orders",
                       what="order", id=order_id)
    return render(request, "order.html", code=code, session=session, nav="orders", order=order,
                   refunds=refunds, refund_error=refund_error, released=released,
                   release_error=release_error)


@router.post("/admin/orders/{order_id}/release", response_class=HTMLResponse)
def admin_release_order(
    request: Request, ctx: CtxDep, order_id: str, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """End a pending order's checkout now, so its stock is for sale again."""
    session = guard_form(request, ctx, csrf)
    if isinstance(session, Response):
        return session
    try:
        release_order(ctx, order_id, datetime.now(UTC))
    except NotReleasable as exc:
        return _order_page(request, ctx, session, order_id, code=409, release_error=str(exc))
    return RedirectResponse(
        f"/admin/orders/{quote(order_id, safe='')}?released=1", status_code=303, headers=HEADERS
    )


@router.post("/admin/orders/{order_id}/refunds", response_class=HTMLResponse)
def admin_refund_order(
    request: Request, ctx: CtxDep, order_id: str,
    csrf: Annotated[str | None, Form()] = None, amount: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "", token: Annotated[str, Form()] = "",
) -> Response:
    session = guard_form(request, ctx, csrf)
    if isinstance(session, Response):
        return session
    try:
        result = submit_refund_form(ctx, order_id, amount, reason, token)
    except RefundRefused as exc:
        # Shown again with what was typed and the same token: nothing was recorded or sent.
        form = {"amount": amount, "reason": reason, "token": token}
        return _order_page(request, ctx, session, order_id, code=400, refund_error=str(exc),
                           form=form)
    return RedirectResponse(
        f"/admin/orders/{quote(order_id, safe='')}?refund={result['id']}", status_code=303,
        headers=HEADERS,
    )


@router.get("/admin/events", response_class=HTMLResponse)
def admin_events(
    request: Request, ctx: CtxDep, status: str = "", type: str = "", page: str = "1"
) -> Response:
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    with reading(ctx.engine) as conn:
        rows, total = queries.list_events(conn, status or None, type or None, page_number(page))
        types = queries.event_types(conn)
    return render(
        request, "events.html", session=session, nav="events", events=rows, status=status,
        type=type, types=types, statuses=queries.EVENT_STATUSES,
        **pagination(total, page_number(page)),
    )


@router.get("/admin/events/{event_id:path}", response_class=HTMLResponse)
def admin_event(request: Request, ctx: CtxDep, event_id: str, retried: str = "") -> Response:
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    with reading(ctx.engine) as conn:
        evt = queries.event_detail(conn, event_id)
    if evt is None:
        return render(request, "missing.html", code=404, session=session, nav="events",
                       what="event", id=event_id)
    return render(request, "event.html", session=session, nav="events", event=evt,
                   retried=retried == "1")


@router.post("/admin/events/{event_id:path}/retry", response_class=HTMLResponse)
def admin_retry_event(
    request: Request, ctx: CtxDep, event_id: str, csrf: Annotated[str | None, Form()] = None
) -> Response:
    session = guard_form(request, ctx, csrf)
    if isinstance(session, Response):
        return session
    if not retry_event(ctx.engine, event_id):
        return render(request, "missing.html", code=409, session=session, nav="events",
                       what="failed event", id=event_id)
    return RedirectResponse(
        f"/admin/events/{quote(event_id, safe='')}?retried=1", status_code=303, headers=HEADERS
    )


@router.get("/admin/mailbox", response_class=HTMLResponse)
async def admin_mailbox(request: Request, ctx: CtxDep) -> Response:
    """The mail kept without SMTP: a page for a browser, JSON for anything else (scripts)."""
    if "text/html" not in request.headers.get("accept", ""):
        return await mailbox_endpoint(ctx)(request)
    return await run_in_threadpool(_mailbox_page, request, ctx, None)


@router.get("/admin/mailbox/{message_id}", response_class=HTMLResponse)
def admin_mail(request: Request, ctx: CtxDep, message_id: int) -> Response:
    return _mailbox_page(request, ctx, message_id)


def _mailbox_page(request: Request, ctx: AppContext, message_id: int | None) -> Response:
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    listed = messages(ctx, MAILBOX_LIMIT)
    shown = message(ctx, message_id) if message_id is not None else None
    if message_id is not None and shown is None:
        return render(request, "missing.html", code=404, session=session, nav="mailbox",
                       what="email", id=str(message_id))
    return render(request, "mailbox.html", session=session, nav="mailbox", messages=listed,
                   shown=shown, smtp=bool(ctx.settings.smtp_url))
