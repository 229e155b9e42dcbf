"""POST /api/subscribe, POST /api/account-link."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse

from paydesk.billing import emails, records
from paydesk.billing.links import account_url
from paydesk.billing.schemas import AccountLinkIn, SubscribeElementsOut, SubscribeIn, SubscribeOut
from paydesk.billing.subscribe import subscribe_checkout, subscribe_elements
from paydesk.notify.outbox import queue_emails
from paydesk.web.deps import CtxDep, browser_key
from paydesk.web.ratelimit import limit_checkouts

router = APIRouter(prefix="/api", tags=["billing"])

# Each call makes Stripe objects (customer, session): the checkout's per-address limit applies.
RATE_LIMITED = [Depends(limit_checkouts)]


@router.post("/subscribe", status_code=status.HTTP_201_CREATED, dependencies=RATE_LIMITED,
             response_model=SubscribeOut | SubscribeElementsOut)
def post_subscribe(body: SubscribeIn, ctx: CtxDep) -> SubscribeOut | SubscribeElementsOut:
    if body.flow == "elements":
        key = browser_key(ctx)  # before any subscription exists: nothing half-made
        started = subscribe_elements(ctx, body.plan_id, body.email, body.quantity)
        return SubscribeElementsOut(
            subscription_id=started.subscription_id, client_secret=started.client_secret,
            publishable_key=key, intent_type=started.intent_type,
        )
    return SubscribeOut(url=subscribe_checkout(ctx, body.plan_id, body.email, body.quantity))


@router.post("/account-link", status_code=status.HTTP_202_ACCEPTED, dependencies=RATE_LIMITED)
def post_account_link(body: AccountLinkIn, ctx: CtxDep) -> JSONResponse:
    """202 whatever the email: whether it has an account is only told to its inbox."""
    email = body.email.lower()
    with ctx.engine.begin() as conn:
        if records.customer_by_email(conn, email) is not None:
            url = account_url(ctx.client_url, ctx.signing_key, email)
            queue_emails(conn, [emails.account_link(email, url, secrets.token_hex(8))])
    return JSONResponse({"message": "If that email has an account, a link is on its way."},
                        status_code=status.HTTP_202_ACCEPTED)
