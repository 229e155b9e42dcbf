"""The admin's billing pages: the overview (MRR, subscribers, churn, recovered revenue, 90 days
of revenue), the subscriptions with their access, grace, invoices and event timeline, and in
sandbox mode the time control."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import desc, select

from paydesk.admin import customers
from paydesk.admin.customer_queries import invoice_view
from paydesk.admin.customer_timeline import billing_timeline
from paydesk.admin.routes import HEADERS, guard, guard_form, render
from paydesk.billing.clock import advance_clocks
from paydesk.billing.errors import BillingError
from paydesk.billing.idempotency import Answer, run_once
from paydesk.billing.invoicing import InvoiceLine, create_one_off_invoice
from paydesk.billing.metrics import overview
from paydesk.billing.model import access_now
from paydesk.billing.records import entitlement_of
from paydesk.billing.tables import invoices, subscriptions
from paydesk.core.address import address_or_none
from paydesk.core.money import AmountError, parse_major
from paydesk.refunds.service import new_request_token
from paydesk.store.engine import reading
from paydesk.web.deps import CtxDep

router = APIRouter(tags=["admin"], include_in_schema=False)
router.include_router(customers.router)
LIST_LIMIT = 200


@router.get("/admin/billing", response_class=HTMLResponse)
def admin_billing(
    request: Request, ctx: CtxDep, moved: str = "", invoice: str = "", error: str = ""
) -> Response:
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    with reading(ctx.engine) as conn:
        data = overview(conn, datetime.now(UTC))
        subs = conn.execute(
            select(subscriptions).order_by(desc(subscriptions.c.updated_at)).limit(LIST_LIMIT)
        ).mappings().all()
    return render(request, "billing.html", session=session, nav="billing", subs=subs,
                   test_clocks=ctx.test_clocks, moved=moved, invoice=invoice,
                   error=INVOICE_ERRORS.get(error), form_token=new_request_token(), **data)


@router.get("/admin/billing/subscriptions/{sub_id}", response_class=HTMLResponse)
def admin_subscription(request: Request, ctx: CtxDep, sub_id: str) -> Response:
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    with reading(ctx.engine) as conn:
        sub = conn.execute(
            select(subscriptions).where(subscriptions.c.id == sub_id)
        ).mappings().one_or_none()
        if sub is None:
            return render(request, "missing.html", code=404, session=session, nav="billing",
                          what="subscription", id=sub_id)
        bills = conn.execute(
            select(invoices).where(invoices.c.subscription_id == sub_id)
            .order_by(desc(invoices.c.created))
        ).mappings().all()
        steps = billing_timeline(conn, [sub_id, *(b["id"] for b in bills)],
                                 {sub_id: sub["plan_id"]})
    return render(request, "subscription.html", session=session, nav="billing", sub=sub,
                   access=access_now(entitlement_of(sub), datetime.now(UTC)),
                   bills=[invoice_view(b) for b in bills], timeline=steps)


@router.post("/admin/billing/clock")
def admin_clock(
    request: Request, ctx: CtxDep, days: Annotated[int, Form(ge=1, le=1098)] = 1,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    session = guard_form(request, ctx, csrf)
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


INVOICE_ERRORS = {
    "email": "Enter the customer's email address.",
    "amount": "Enter the amount in major units, e.g. 150.00.",
    "stripe": "Stripe refused the invoice; see the log for its message.",
}


@router.post("/admin/billing/invoices")
def admin_invoice(
    request: Request, ctx: CtxDep,
    email: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "", currency: Annotated[str, Form()] = "eur",
    days_until_due: Annotated[int, Form(ge=1, le=365)] = 30,
    token: Annotated[str, Form()] = "", csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """The form of the one-off invoice API: its request token makes a resubmit harmless."""
    session = guard_form(request, ctx, csrf)
    if isinstance(session, Response):
        return session
    if address_or_none(email.strip()) is None or not description.strip():
        return _back("error=email")
    cur = currency.strip().lower()[:3]
    try:
        minor = parse_major(amount, cur)
    except AmountError:
        return _back("error=amount")
    lines = [InvoiceLine(description.strip()[:500], minor, cur)]
    body = {"email": email.strip().lower(), "lines": [description, minor, cur],
            "days": days_until_due}

    def work(request_id: str) -> Answer:
        made = create_one_off_invoice(ctx, request_id, email.strip(), lines, days_until_due)
        return Answer(201, made)

    try:
        made = run_once(ctx, "invoice-form", token or None, body, work).body
    except BillingError:
        return _back("error=stripe")
    return _back(f"invoice={made['invoice_id']}")


def _back(query: str) -> Response:
    return RedirectResponse(f"/admin/billing?{query}", status_code=303, headers=HEADERS)
