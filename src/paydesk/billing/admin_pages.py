"""The admin's billing pages: the overview (MRR, subscribers, churn, recovered revenue, 90 days
of revenue), the subscriptions with their access, grace, invoices and event timeline, and in
sandbox mode the time control."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import desc, or_, select

from paydesk.admin.routes import HEADERS, _guard, _guard_form, _render
from paydesk.billing.clock import advance_clocks
from paydesk.billing.errors import BillingError
from paydesk.billing.metrics import overview
from paydesk.billing.tables import invoices, subscriptions
from paydesk.web.deps import CtxDep
from paydesk.webhooks.tables import inbox_events

router = APIRouter(tags=["admin"], include_in_schema=False)
LIST_LIMIT = 200


@router.get("/admin/billing", response_class=HTMLResponse)
def admin_billing(request: Request, ctx: CtxDep, moved: str = "") -> Response:
    session = _guard(request, ctx)
    if isinstance(session, Response):
        return session
    with ctx.engine.connect() as conn:
        data = overview(conn, datetime.now(UTC))
        subs = conn.execute(
            select(subscriptions).order_by(desc(subscriptions.c.updated_at)).limit(LIST_LIMIT)
        ).mappings().all()
    return _render(request, "billing.html", session=session, nav="billing", subs=subs,
                   test_clocks=ctx.test_clocks, moved=moved, **data)


@router.get("/admin/billing/subscriptions/{sub_id}", response_class=HTMLResponse)
def admin_subscription(request: Request, ctx: CtxDep, sub_id: str) -> Response:
    session = _guard(request, ctx)
    if isinstance(session, Response):
        return session
    with ctx.engine.connect() as conn:
        sub = conn.execute(
            select(subscriptions).where(subscriptions.c.id == sub_id)
        ).mappings().one_or_none()
        if sub is None:
            return _render(request, "missing.html", code=404, what="subscription", id=sub_id)
        bills = conn.execute(
            select(invoices).where(invoices.c.subscription_id == sub_id)
            .order_by(desc(invoices.c.created))
        ).mappings().all()
        ids = [sub_id, *(b["id"] for b in bills)]
        timeline = conn.execute(
            select(inbox_events.c.id, inbox_events.c.type, inbox_events.c.stripe_created,
                   inbox_events.c.status)
            .where(or_(inbox_events.c.object_id.in_(ids)))
            .order_by(inbox_events.c.stripe_created, inbox_events.c.received_at)
        ).all()
    return _render(request, "subscription.html", session=session, nav="billing", sub=sub,
                   invoices=bills, timeline=[
                       (t.id, t.type, datetime.fromtimestamp(t.stripe_created, UTC), t.status)
                       for t in timeline])


@router.post("/admin/billing/clock")
def admin_clock(
    request: Request, ctx: CtxDep, days: Annotated[int, Form(ge=1, le=1098)] = 1,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    session = _guard_form(request, ctx, csrf)
    if isinstance(session, Response):
        return session
    if not ctx.test_clocks:
        return RedirectResponse("/admin/billing?moved=off", status_code=303, headers=HEADERS)
    try:
        moved = advance_clocks(ctx, days)
    except BillingError:
        return RedirectResponse("/admin/billing?moved=failed", status_code=303, headers=HEADERS)
    return RedirectResponse(f"/admin/billing?moved={days}d:{len(moved)}", status_code=303,
                            headers=HEADERS)
