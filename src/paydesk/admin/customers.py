"""The admin's customers pages: every billing customer (searchable by email, a page at a time)
and one customer's subscriptions, access, invoices and event timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from paydesk.admin.customer_queries import customer_detail, list_customers
from paydesk.admin.routes import guard, page_number, pagination, render
from paydesk.store.engine import reading
from paydesk.web.deps import CtxDep

router = APIRouter(tags=["admin"], include_in_schema=False)


@router.get("/admin/billing/customers", response_class=HTMLResponse)
def admin_customers(request: Request, ctx: CtxDep, q: str = "", page: str = "1") -> Response:
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    search = q.strip()[:320]
    number = page_number(page)
    with reading(ctx.engine) as conn:
        rows, total = list_customers(conn, search or None, number, datetime.now(UTC))
    return render(request, "customers.html", session=session, nav="customers",
                   customers=rows, q=search, **pagination(total, number))


@router.get("/admin/billing/customers/{key}", response_class=HTMLResponse)
def admin_customer(request: Request, ctx: CtxDep, key: str) -> Response:
    """`key`: our customer id (bcu_…) or Stripe's (cus_…), so a subscription links here."""
    session = guard(request, ctx)
    if isinstance(session, Response):
        return session
    with reading(ctx.engine) as conn:
        customer = customer_detail(conn, key, datetime.now(UTC))
    if customer is None:
        return render(request, "missing.html", code=404, session=session, nav="customers",
                       what="customer", id=key)
    return render(request, "customer.html", session=session, nav="customers",
                   customer=customer)
