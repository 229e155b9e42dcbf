"""The customer's pages: after subscribing (the subscription's live state, read from Stripe),
and the account page behind a signed, expiring link."""

from __future__ import annotations

import re

import stripe as stripe_sdk
import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paydesk.billing.account import account_view, cancel_at_period_end, portal_url
from paydesk.billing.links import email_of
from paydesk.billing.parse import parse_subscription
from paydesk.web.deps import CtxDep
from paydesk.web.templating import problem_page, render_page

router = APIRouter(tags=["pages"], include_in_schema=False)
log = structlog.get_logger(__name__)

_SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
_SUB_ID = re.compile(r"^sub_[A-Za-z0-9_]{1,250}$")


@router.get("/subscribe/success", response_class=HTMLResponse)
def subscribe_success(request: Request, ctx: CtxDep, session_id: str = "") -> HTMLResponse:
    """Trusts nothing in its URL: the session id is only a key to read the session from Stripe."""
    if not _SESSION_ID.match(session_id):
        return problem_page(request, 400, "That link is incomplete", "It carries no session.")
    try:
        session = ctx.stripe.v1.checkout.sessions.retrieve(
            session_id, {"expand": ["subscription"]}
        ).to_dict()
    except stripe_sdk.InvalidRequestError:
        return problem_page(request, 404, "We could not find that subscription",
                            "The link may be mistyped. Nothing was charged through it.")
    except stripe_sdk.StripeError:
        return problem_page(request, 502, "We could not reach the payment provider",
                            "Refresh this page in a moment.")
    sub = session.get("subscription")
    info = parse_subscription(sub) if isinstance(sub, dict) else None
    return render_page(request, "subscribed.html", info=info,
                       email=(session.get("customer_details") or {}).get("email"),
                       plan_id=(session.get("metadata") or {}).get("plan_id"))


def _email(ctx: CtxDep, token: str) -> str | None:
    return email_of(ctx.signing_keys, token)


@router.get("/account/{token}", response_class=HTMLResponse)
def account_page(request: Request, ctx: CtxDep, token: str, note: str = "") -> HTMLResponse:
    email = _email(ctx, token)
    if email is None:
        return problem_page(request, 404, "This link has expired",
                            "Ask for a new one on the shop's account page; it is emailed to you.")
    view = account_view(ctx, email)
    notes = {"canceled": "Your subscription will end at the end of the current period."}
    return render_page(request, "account.html", token=token, note=notes.get(note), **view)


@router.post("/account/{token}/portal")
def account_portal(request: Request, ctx: CtxDep, token: str) -> Response:
    email = _email(ctx, token)
    if email is None:
        return problem_page(request, 404, "This link has expired", "Ask for a new one.")
    try:
        url = portal_url(ctx, email, f"{ctx.client_url}/account/{token}")
    except stripe_sdk.StripeError as exc:
        log.warning("account.portal_failed", error=type(exc).__name__)
        return problem_page(request, 502, "We could not open the billing portal", "Try again soon.")
    if url is None:
        return problem_page(request, 404, "No billing account yet", "Subscribe to a plan first.")
    return RedirectResponse(url, status_code=303)


@router.post("/account/{token}/cancel")
def account_cancel(
    request: Request, ctx: CtxDep, token: str, subscription_id: str = Form("")
) -> Response:
    email = _email(ctx, token)
    if email is None or not _SUB_ID.match(subscription_id):
        return problem_page(request, 404, "This link has expired", "Ask for a new one.")
    try:
        done = cancel_at_period_end(ctx, email, subscription_id)
    except stripe_sdk.StripeError as exc:
        log.warning("account.cancel_failed", error=type(exc).__name__)
        return problem_page(request, 502, "We could not reach the payment provider", "Try again.")
    if not done:
        return problem_page(request, 404, "No such subscription", "It is not on this account.")
    return RedirectResponse(f"/account/{token}?note=canceled", status_code=303)
