"""The shop's own payment page: POST /api/payment-intents and GET /pay/{order_id}.

The page confirms the order's PaymentIntent with Stripe.js's Payment Element and comes back to
itself (`return_url`). Its query string proves nothing: the page reads the order's own
PaymentIntent from Stripe and fulfils through the same exactly-once path as the webhook.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import stripe as stripe_sdk
import structlog
from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from paydesk.checkout.orders import get_order
from paydesk.checkout.schemas import CheckoutIn
from paydesk.context import AppContext
from paydesk.orders.payments import PaymentIntent
from paydesk.orders.tables import orders
from paydesk.payments.schemas import PaymentIntentOut
from paydesk.payments.service import create_payment, fulfil_intent
from paydesk.store.engine import reading
from paydesk.stripe_gateway import stripe_js_url
from paydesk.web.checkout import RATE_LIMITED
from paydesk.web.deps import CtxDep, browser_key
from paydesk.web.pages import BUYER_STATUS
from paydesk.web.templating import problem_page, render_page

router = APIRouter(tags=["payments"])
log = structlog.get_logger(__name__)

# The PaymentIntent statuses in which the buyer can (still, or again) confirm it.
_PAYABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_ORDER_ID = re.compile(r"^ord_[A-Za-z0-9_-]{1,60}$")


@router.post("/api/payment-intents", status_code=status.HTTP_201_CREATED, dependencies=RATE_LIMITED)
def post_payment_intent(body: CheckoutIn, ctx: CtxDep) -> PaymentIntentOut:
    key = browser_key(ctx)  # before any order exists: nothing half-made
    payment = create_payment(ctx, [(i.product_id, i.quantity) for i in body.items], body.email)
    return PaymentIntentOut(
        order_id=payment.order_id, client_secret=payment.client_secret, publishable_key=key
    )


@router.get("/pay/{order_id}", response_class=HTMLResponse, include_in_schema=False)
def pay_page(request: Request, order_id: str, ctx: CtxDep) -> HTMLResponse:
    pi_id = _intent_of(ctx, order_id) if _ORDER_ID.match(order_id) else None
    if pi_id is None:
        return problem_page(request, 404, "We could not find that order",
                            "The link may be mistyped. Nothing was charged through it.")
    try:
        pi = ctx.stripe.v1.payment_intents.retrieve(pi_id).to_dict()
    except stripe_sdk.StripeError as exc:
        log.warning("pay_page.stripe_failed", error=type(exc).__name__, order_id=order_id)
        return problem_page(request, 502, "We could not reach the payment provider",
                            "Nothing was charged. Refresh this page in a moment.")
    if pi.get("status") == "succeeded":
        _fulfil(ctx, pi)
    order = get_order(ctx, order_id)
    assert order is not None
    canceled = pi.get("status") == "canceled" or order.status == "expired"
    payable = order.status == "pending" and pi.get("status") in _PAYABLE
    if not canceled and not payable:
        return render_page(
            request, "success.html", 200, order=order, labels=BUYER_STATUS,
            paid=pi.get("status") == "succeeded",
        )
    return render_page(
        request,
        "pay.html",
        200,
        order=order,
        client_secret=pi["client_secret"],
        stripe_js=stripe_js_url(ctx.settings),
        publishable_key=browser_key(ctx),
        failure=(pi.get("last_payment_error") or {}).get("message"),
        canceled=canceled,
    )


def _intent_of(ctx: AppContext, order_id: str) -> str | None:
    with reading(ctx.engine) as conn:
        row = conn.execute(
            select(orders.c.payment_intent_id).where(
                orders.c.id == order_id, orders.c.checkout_session_id.is_(None)
            )
        ).first()
    return str(row.payment_intent_id) if row and row.payment_intent_id else None




def _fulfil(ctx: AppContext, obj: Mapping[str, object]) -> None:
    pi = PaymentIntent.parse(obj)
    if pi is None:
        return
    try:
        with ctx.engine.begin() as conn:
            fulfil_intent(conn, ctx, pi, datetime.now(UTC), via="pay_page")
    except Exception:
        # The webhook runs the same fulfilment; the page polls until one of them has done it.
        log.exception("pay_page.fulfil_failed", payment_intent=pi.id)
