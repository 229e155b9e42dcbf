"""Invoices, their lines and invoice items in Stripe's shape, and the invoice status machine."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj

# draft -> open (finalised) or deleted; open -> paid / void / uncollectible;
# uncollectible can still be paid or voided.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"open", "paid"}),
    "open": frozenset({"paid", "void", "uncollectible"}),
    "uncollectible": frozenset({"paid", "void"}),
    "paid": frozenset(),
    "void": frozenset(),
}


def invoice(obj_id: str, created: int, customer: Obj) -> Obj:
    return {
        "id": obj_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "paydesk sandbox",
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": "manual",
        "collection_method": "charge_automatically",
        "created": created,
        "currency": customer.get("currency") or "usd",
        "custom_fields": None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_address": customer.get("address"),
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_shipping": customer.get("shipping"),
        "customer_tax_exempt": customer.get("tax_exempt", "none"),
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/invoices/{obj_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": created,
        "period_start": created,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subscription": None,
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": customer.get("test_clock"),
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": created,
    }


def subscription_parent(subscription: Obj) -> Obj:
    return {
        "quote_details": None,
        "subscription_details": {
            "metadata": subscription.get("metadata") or {},
            "subscription": subscription["id"],
        },
        "type": "subscription_details",
    }


def pricing(price: Obj | None, unit_amount_decimal: str) -> Obj | None:
    if price is None:
        return None
    return {
        "price_details": {"price": price["id"], "product": price["product"]},
        "type": "price_details",
        "unit_amount_decimal": unit_amount_decimal,
    }


def line(
    line_id: str,
    invoice_id: str | None,
    *,
    amount: int,
    currency: str,
    description: str | None,
    period: dict[str, int],
    quantity: int,
    price: Obj | None,
    parent: Obj,
    subscription: str | None,
    metadata: dict[str, Any],
) -> Obj:
    unit = str(amount // quantity) if quantity else str(amount)
    if price is not None and price.get("unit_amount_decimal") is not None:
        unit = str(price["unit_amount_decimal"])
    return {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": metadata,
        "parent": parent,
        "period": period,
        "pretax_credit_amounts": [],
        "pricing": pricing(price, unit),
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subscription": subscription,
        "subtotal": amount,
        "taxes": [],
    }


def invoice_item(obj_id: str, created: int, customer: Obj) -> Obj:
    return {
        "id": obj_id,
        "object": "invoiceitem",
        "amount": 0,
        "currency": "usd",
        "customer": customer["id"],
        "customer_account": None,
        "date": created,
        "description": None,
        "discountable": True,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "net_amount": 0,
        "parent": None,
        "period": {"end": created, "start": created},
        "pricing": None,
        "proration": False,
        "proration_details": {"credited_items": None},
        "quantity": 1,
        "quantity_decimal": "1",
        "tax_rates": [],
        "test_clock": customer.get("test_clock"),
    }
