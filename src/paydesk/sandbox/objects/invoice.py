"""Invoices, their lines and invoice items in Stripe's shape, and the invoice status machine."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.listing import one_page

# draft -> open (finalised; a draft is deleted, never paid); open -> paid / void /
# uncollectible; uncollectible can still be paid or voided.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"open"}),
    "open": frozenset({"paid", "void", "uncollectible"}),
    "uncollectible": frozenset({"paid", "void"}),
    "paid": frozenset(),
    "void": frozenset(),
}


def invoice(obj_id: str, created: int, customer: Obj) -> Obj:
    obj: Obj = {
        "id": obj_id,
        "object": "invoice",
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatically_finalizes_at": None,
        "billing_reason": "manual",
        "collection_method": "charge_automatically",
        "created": created,
        "currency": customer.get("currency") or "usd",
        "customer": customer["id"],
        "customer_address": customer.get("address"),
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_shipping": customer.get("shipping"),
        "customer_tax_exempt": customer.get("tax_exempt", "none"),
        "default_payment_method": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "footer": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "lines": one_page([], f"/v1/invoices/{obj_id}/lines", counted=True),
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": created,
        "period_start": created,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subscription": None,
        "test_clock": customer.get("test_clock"),
        "webhooks_delivered_at": created,
    }
    obj.update(_money())
    obj.update(_not_modelled())
    return obj


def _money() -> Obj:
    """The amounts, all zero until `invoice_math.recompute` fills them from the lines (and
    `ending_balance`/`effective_at`, set when the invoice is finalised)."""
    zero = ("amount_due", "amount_overpaid", "amount_paid", "amount_remaining", "amount_shipping",
            "post_payment_credit_notes_amount", "pre_payment_credit_notes_amount",
            "starting_balance", "subtotal", "subtotal_excluding_tax", "total",
            "total_excluding_tax")  # fmt: skip
    money: Obj = dict.fromkeys(zero, 0)
    money.update(total_discount_amounts=[], total_pretax_credit_amounts=[], total_taxes=[])
    money.update(ending_balance=None, effective_at=None)
    return money


def _not_modelled() -> Obj:
    """Fields of features the sandbox does not model (Connect, automatic tax, shipping, credit
    notes, revisions…), in Stripe's shape with their empty values."""
    empty = ("account_tax_ids", "application", "custom_fields", "customer_account",
             "default_source", "from_invoice", "last_finalization_error", "latest_revision",
             "on_behalf_of", "receipt_number", "rendering", "shipping_cost", "shipping_details",
             "statement_descriptor")  # fmt: skip
    fields: Obj = dict.fromkeys(empty)
    fields.update(
        account_country="US",
        account_name="paydesk sandbox",
        automatic_tax={
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        customer_tax_ids=[],
        issuer={"type": "self"},
        livemode=False,
    )
    return fields


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
