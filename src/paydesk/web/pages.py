"""The shop's pages: storefront, payment success (reads the session from Stripe), cancel."""

from __future__ import annotations

import re

import stripe as stripe_sdk
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from paydesk.billing.model import billing_terms
from paydesk.catalog.service import list_products
from paydesk.checkout.limits import MAX_QUANTITY
from paydesk.checkout.orders import get_order
from paydesk.context import AppContext
from paydesk.core.money import decimals, format_money
from paydesk.fulfilment.service import fulfil_checkout
from paydesk.orders.lookup import order_for_session
from paydesk.orders.model import OrderStatus
from paydesk.orders.payments import CheckoutSession
from paydesk.orders.tables import orders
from paydesk.store.engine import reading
from paydesk.web.deps import CtxDep
from paydesk.web.templating import problem_page, render_page

router = APIRouter(tags=["pages"], include_in_schema=False)
log = structlog.get_logger(__name__)

_SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
_ORDER_ID = re.compile(r"^ord_[A-Za-z0-9_-]{1,60}$")
# What a buyer reads for each order status (the page's script keeps it up to date with these).
BUYER_STATUS = {
    "pending": "Waiting for your payment",
    "paid": "Paid, preparing your order",
    "fulfilled": "Confirmed",
    "expired": "Not paid: the checkout closed",
    "partially_refunded": "Partly refunded",
    "refunded": "Refunded",
}


@router.get("/", response_class=HTMLResponse)
def storefront(request: Request, ctx: CtxDep) -> HTMLResponse:
    with reading(ctx.engine) as conn:
        rows = list_products(conn)
    items = [
        {key: r[key] for key in ("id", "name", "description", "unit_amount", "currency", "stock",
                                 "type")}
        | {"price": format_money(r["unit_amount"], r["currency"]),
           "decimals": decimals(r["currency"])}
        for r in rows if r["type"] != "recurring"
    ]
    plans = [
        {"id": r["id"], "name": r["name"], "description": r["description"],
         "terms": billing_terms(format_money(r["unit_amount"], r["currency"]), r["interval"],
                                r["interval_count"], r["trial_days"])}
        for r in rows if r["type"] == "recurring"
    ]
    return render_page(request, "storefront.html", products=items, plans=plans,
                       max_quantity=MAX_QUANTITY)


@router.get("/payment/success", response_class=HTMLResponse)
def payment_success(request: Request, ctx: CtxDep, session_id: str = "") -> HTMLResponse:
    """Trusts nothing in its URL: the session id is only a key to read the session from Stripe."""
    if not _SESSION_ID.match(session_id):
        return problem_page(request, 400, "That link is incomplete",
                            "It carries no payment session.")
    try:
        session = ctx.stripe.v1.checkout.sessions.retrieve(session_id).to_dict()
    except stripe_sdk.InvalidRequestError:
        return problem_page(request, 404, "We could not find that payment",
                            "The link may be mistyped. Nothing was charged through it.")
    except stripe_sdk.StripeError as exc:
        log.warning("success_page.stripe_failed", error=type(exc).__name__)
        return problem_page(request, 502, "We could not reach the payment provider",
                            "Your payment is safe. Refresh this page in a moment.")
    facts = CheckoutSession.parse(session)
    order_id = _order_for(ctx, facts) if facts is not None else None
    if order_id is None or facts is None:
        return problem_page(request, 404, "We could not find that order",
                            "This payment does not belong to an order of this shop.")
    _fulfil(ctx, facts)
    order = get_order(ctx, order_id)
    return render_page(request, "success.html", order=order, labels=BUYER_STATUS, paid=facts.paid)


def _order_for(ctx: AppContext, session: CheckoutSession) -> str | None:
    # The webhook's own lookup, so the page and the pipeline agree on which order a session is.
    with reading(ctx.engine) as conn:
        return order_for_session(conn, session)


def _fulfil(ctx: AppContext, session: CheckoutSession) -> None:
    try:
        fulfil_checkout(ctx, session)
    except Exception:
        # The webhook runs the same fulfilment; the page polls until one of them has done it.
        log.exception("success_page.fulfil_failed", session_id=session.id)


@router.get("/payment/cancel", response_class=HTMLResponse)
def payment_cancel(request: Request, ctx: CtxDep, order_id: str = "") -> HTMLResponse:
    """The buyer left the hosted page: end their session now so its stock is not held for the
    rest of the half hour. The checkout.session.expired webhook then releases the stock through
    the pipeline, like any other expiry. The order id in the URL is unguessable, and expiring
    only ever ends a session that is still open, so a stranger's link can do no more."""
    if _ORDER_ID.match(order_id):
        _expire_pending_session(ctx, order_id)
    order = get_order(ctx, order_id) if _ORDER_ID.match(order_id) else None
    return render_page(request, "cancel.html", order=order)


def _expire_pending_session(ctx: AppContext, order_id: str) -> None:
    with reading(ctx.engine) as conn:
        row = conn.execute(
            select(orders.c.status, orders.c.checkout_session_id).where(orders.c.id == order_id)
        ).first()
    if row is None or row.status != OrderStatus.PENDING or not row.checkout_session_id:
        return
    try:
        ctx.stripe.v1.checkout.sessions.expire(row.checkout_session_id)
    except stripe_sdk.InvalidRequestError:
        pass  # no longer open: paid meanwhile, or expired already (a reload)
    except stripe_sdk.StripeError as exc:
        # The session still expires on its own at expires_at; the page need not fail.
        log.warning("cancel_page.expire_failed", order_id=order_id, error=type(exc).__name__)
