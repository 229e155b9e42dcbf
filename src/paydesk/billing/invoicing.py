"""One-off invoices from the admin API: invoice items for the customer of an email, then an
invoice that takes them (`pending_invoice_items_behavior=include`) with
`collection_method=send_invoice`, finalized and sent. Each Stripe call's idempotency key comes
from our request id, so a retry (ours or the SDK's) never bills twice."""

from __future__ import annotations

from dataclasses import dataclass

import stripe as stripe_sdk
import structlog

from paydesk.billing.customers import ensure_customer
from paydesk.billing.errors import BillingError, ProviderFailed
from paydesk.context import AppContext

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    amount: int  # minor units
    currency: str


def create_one_off_invoice(
    ctx: AppContext, request_id: str, email: str, lines: list[InvoiceLine], days_until_due: int
) -> dict[str, object]:
    currencies = {line.currency for line in lines}
    if len(currencies) != 1:
        raise BillingError(f"one invoice takes one currency; these items mix {sorted(currencies)}")
    try:
        customer = ensure_customer(ctx, email)
        for n, line in enumerate(lines):
            ctx.stripe.v1.invoice_items.create(
                {"customer": customer, "amount": line.amount, "currency": line.currency,
                 "description": line.description, "metadata": {"paydesk_request": request_id}},
                {"idempotency_key": f"invoice:{request_id}:item:{n}"},
            )
        draft = ctx.stripe.v1.invoices.create(
            {"customer": customer, "collection_method": "send_invoice",
             "days_until_due": days_until_due, "pending_invoice_items_behavior": "include",
             "auto_advance": True, "metadata": {"paydesk_request": request_id}},
            {"idempotency_key": f"invoice:{request_id}:create"},
        )
        assert draft.id is not None
        ctx.stripe.v1.invoices.finalize_invoice(
            draft.id, {}, {"idempotency_key": f"invoice:{request_id}:finalize"}
        )
        sent = ctx.stripe.v1.invoices.send_invoice(
            draft.id, {}, {"idempotency_key": f"invoice:{request_id}:send"}
        )
    except stripe_sdk.StripeError as exc:
        log.warning("billing.invoice_failed", request=request_id, error=type(exc).__name__,
                    stripe_message=exc.user_message)
        raise ProviderFailed(
            f"the payment provider refused the invoice: {exc.user_message or type(exc).__name__}"
        ) from exc
    log.info("billing.invoice_sent", request=request_id, invoice=sent.id)
    return {"invoice_id": sent.id, "status": sent.status,
            "hosted_invoice_url": sent.hosted_invoice_url, "invoice_pdf": sent.invoice_pdf}
