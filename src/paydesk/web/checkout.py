"""POST /api/checkout, POST /api/create-payment-link (the seed's route), GET /api/orders/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status

from paydesk.checkout.orders import get_order
from paydesk.checkout.schemas import (
    CheckoutIn,
    CheckoutOut,
    OrderOut,
    PaymentLinkData,
    PaymentLinkIn,
    PaymentLinkOut,
)
from paydesk.checkout.service import create_checkout
from paydesk.web.deps import CtxDep
from paydesk.web.ratelimit import limit_checkouts

router = APIRouter(prefix="/api", tags=["checkout"])


# Each checkout holds stock for half an hour: anonymous callers get a rate limit per address.
RATE_LIMITED = [Depends(limit_checkouts)]


@router.post("/checkout", status_code=status.HTTP_201_CREATED, dependencies=RATE_LIMITED)
def post_checkout(body: CheckoutIn, ctx: CtxDep) -> CheckoutOut:
    checkout = create_checkout(ctx, [(i.product_id, i.quantity) for i in body.items], body.email)
    return CheckoutOut(order_id=checkout.order_id, url=checkout.url)


@router.post(
    "/create-payment-link", status_code=status.HTTP_201_CREATED, dependencies=RATE_LIMITED
)
def post_create_payment_link(body: PaymentLinkIn, ctx: CtxDep) -> PaymentLinkOut:
    checkout = create_checkout(ctx, [(body.id, 1)])
    return PaymentLinkOut(
        message="Payment Initialized Successfully", data=PaymentLinkData(url=checkout.url)
    )


@router.get("/orders/{order_id}")
def get_order_route(order_id: str, ctx: CtxDep) -> OrderOut:
    order = get_order(ctx, order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no order {order_id!r}")
    return order
