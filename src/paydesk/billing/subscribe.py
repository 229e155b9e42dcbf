"""Starting a subscription: Checkout in `mode=subscription`, or (the shop's own card form) a
subscription created `default_incomplete` whose first invoice the browser confirms.

Every create carries an idempotency key from an id of ours made for this request, so the SDK's
own retries never open two subscriptions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal

import stripe as stripe_sdk
import structlog
from sqlalchemy import RowMapping, select

from paydesk.billing.customers import ensure_customer
from paydesk.billing.errors import PlanNotSynced, ProviderFailed, UnknownPlan
from paydesk.catalog.tables import products
from paydesk.context import AppContext
from paydesk.store.engine import reading

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ElementsStart:
    subscription_id: str
    client_secret: str
    intent_type: Literal["payment", "setup"]


def _plan(ctx: AppContext, plan_id: str) -> RowMapping:
    with reading(ctx.engine) as conn:
        row = conn.execute(
            select(products).where(products.c.id == plan_id, products.c.active.is_(True),
                                   products.c.type == "recurring")
        ).mappings().one_or_none()
    if row is None:
        raise UnknownPlan(plan_id)
    if not row["stripe_price_id"]:
        raise PlanNotSynced(f"plan {plan_id!r} has no Stripe price yet: run `paydesk catalog "
                            "sync`")
    return row


def _provider_failed(exc: stripe_sdk.StripeError, what: str) -> ProviderFailed:
    log.warning("billing.stripe_failed", what=what, error=type(exc).__name__,
                stripe_message=exc.user_message, stripe_request_id=exc.request_id)
    return ProviderFailed(f"the payment provider could not {what}; nothing was charged, "
                          "please try again")


def subscribe_checkout(ctx: AppContext, plan_id: str, email: str, quantity: int = 1) -> str:
    """A Checkout Session (mode=subscription) for the plan; returns its URL."""
    plan = _plan(ctx, plan_id)
    attempt = "sbs_" + secrets.token_urlsafe(12)
    subscription_data: dict[str, Any] = {"metadata": {"plan_id": plan_id}}
    if plan["trial_days"]:
        subscription_data["trial_period_days"] = plan["trial_days"]
    try:
        customer = ensure_customer(ctx, email)
        session = ctx.stripe.v1.checkout.sessions.create(
            {  # type: ignore[arg-type]
                "mode": "subscription",
                "customer": customer,
                "line_items": [{"price": plan["stripe_price_id"], "quantity": quantity}],
                "subscription_data": subscription_data,
                "metadata": {"plan_id": plan_id},
                "client_reference_id": attempt,
                "success_url": ctx.client_url
                + "/subscribe/success?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": ctx.client_url + "/",
            },
            {"idempotency_key": f"subscribe:{attempt}"},
        )
    except stripe_sdk.StripeError as exc:
        raise _provider_failed(exc, "start the subscription") from exc
    log.info("billing.checkout", plan=plan_id, session_id=session.id, customer=customer)
    return str(session.url)


def subscribe_elements(
    ctx: AppContext, plan_id: str, email: str, quantity: int = 1
) -> ElementsStart:
    """A subscription waiting for its first payment, confirmed in the browser with the first
    invoice's `confirmation_secret`; a trial charges nothing now, so its card is saved through
    the subscription's `pending_setup_intent` instead (which, with
    save_default_payment_method=on_subscription, makes it the card the trial converts with)."""
    plan = _plan(ctx, plan_id)
    attempt = "sbs_" + secrets.token_urlsafe(12)
    params: dict[str, Any] = {
        "items": [{"price": plan["stripe_price_id"], "quantity": quantity}],
        "payment_behavior": "default_incomplete",
        "payment_settings": {"save_default_payment_method": "on_subscription"},
        "expand": ["latest_invoice.confirmation_secret", "pending_setup_intent"],
        "metadata": {"plan_id": plan_id},
    }
    if plan["trial_days"]:
        params["trial_period_days"] = plan["trial_days"]
    try:
        params["customer"] = ensure_customer(ctx, email)
        sub = ctx.stripe.v1.subscriptions.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": f"subscribe:{attempt}"},
        )
        secret, kind = _client_secret(sub.to_dict()) or _own_setup(ctx, sub.id, params, attempt)
    except stripe_sdk.StripeError as exc:
        raise _provider_failed(exc, "start the subscription") from exc
    return ElementsStart(sub.id, secret, kind)


def _own_setup(
    ctx: AppContext, sub_id: str, params: dict[str, Any], attempt: str
) -> tuple[str, Literal["setup"]]:
    """Nothing to pay and no pending SetupIntent: Stripe had a card on file for this customer
    already. A SetupIntent of our own still lets the page take a card."""
    setup = ctx.stripe.v1.setup_intents.create(
        {"customer": params["customer"], "usage": "off_session",
         "metadata": {"subscription": sub_id, "plan_id": params["metadata"]["plan_id"]}},
        {"idempotency_key": f"subscribe:{attempt}:setup"},
    )
    return str(setup.client_secret), "setup"


def _client_secret(sub: dict[str, Any]) -> tuple[str, Literal["payment", "setup"]] | None:
    """The first invoice's payment to confirm, else the trial's SetupIntent (None: neither)."""
    invoice = sub.get("latest_invoice") or {}
    if isinstance(invoice, dict) and invoice.get("amount_due"):
        secret = (invoice.get("confirmation_secret") or {}).get("client_secret")
        if isinstance(secret, str) and secret:
            return secret, "payment"
    setup = sub.get("pending_setup_intent") or {}
    secret = setup.get("client_secret") if isinstance(setup, dict) else None
    return (secret, "setup") if isinstance(secret, str) and secret else None
